"""Shape, height, density and planarity features of a candidate: what tells a car or a person from a wall,
a hedge, a tree trunk or a pole, independent of the scanner.

Every feature is a physical quantity, so the calibration (`plugins.geometric.calibration`) carries from one
LiDAR to another:

- support: log of the point count, and of the point count relative to what a surface of the box's visible
  size would return at its range (``density``: a scan line every ~0.4 degrees, so returns fall with range
  squared; sparse, porous vegetation returns fewer);
- shape: the fitted extents (length, width, height above the ground), the gap between the ground and the
  lowest point (canopies, signs), how much of the points lie on the box's faces (hollow shells vs filled
  volumes);
- planarity: eigenvalues of the points' covariance: ``linearity`` (poles, trunks), ``planarity`` (walls,
  facades, fences: one dominant vertical plane with little depth), ``scatter`` (volumetric clutter) and
  ``verticality`` of the plane's normal;
- context: how free of other raised points the box's surroundings are (``isolation``; fragments of walls
  and hedges have neighbours), whether the top is cut by the field of view, and the class likelihood of
  the box's size (`plugins.geometric.shapes`).
"""

from __future__ import annotations

import logging
import math

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid

logger = logging.getLogger(__name__)

FEATURE_NAMES = (
    "log_points",
    "log_density",
    "range",
    "length",
    "width",
    "height",
    "floor_gap",
    "surface",
    "linearity",
    "planarity",
    "scatter",
    "verticality",
    "isolation",
    "likelihood",
    "top_cut",
    "vertical_spread",
)
#: Angular step (radians) of a scanner's returns used for the expected density (about a VLP-32's or an
#: HDL-64's vertical spacing and a finer horizontal one): a surface of area A at range r returns about
#: A / (r * STEP_V * r * STEP_H) points.
STEP_V, STEP_H = math.radians(0.4), math.radians(0.2)


def eigen_features(points: np.ndarray) -> tuple[float, float, float, float]:
    """Linearity, planarity, scatter (from the sorted covariance eigenvalues l1 >= l2 >= l3) and the
    verticality (|z| of the normal of the best plane; 0 for a vertical wall, 1 for a flat roof)."""
    if len(points) < 3:
        return 1.0, 0.0, 0.0, 0.0
    centred = points - points.mean(axis=0)
    values, vectors = np.linalg.eigh(centred.T @ centred / len(points))
    l3, l2, l1 = np.maximum(values, 1e-12)
    return (l1 - l2) / l1, (l2 - l3) / l1, l3 / l1, float(abs(vectors[2, 0]))


def candidate_features(
    box: Cuboid,
    points: np.ndarray,
    ground_z: float,
    surface: float,
    isolation: float,
    likelihood: float,
    top_cut: bool,
) -> np.ndarray:
    """The `FEATURE_NAMES` vector of a candidate: its fitted ``box``, its points (n, 3), the ground height
    under it and the already computed surface fraction, isolation, class likelihood and top cut."""
    pts = np.asarray(points, dtype=np.float64)
    n = max(len(pts), 1)
    length, width, height = box.size
    reach = max(math.hypot(box.center[0], box.center[1]), 1.0)
    face = max(length, width)
    visible = max(face * max(height, 0.2), 0.05)
    expected = visible / (reach * STEP_V * reach * STEP_H)
    floor_gap = float(pts[:, 2].min() - ground_z) if len(pts) else 0.0
    linearity, planarity, scatter, verticality = eigen_features(pts)
    spread = float(np.std(pts[:, 2]) / max(height, 0.1)) if len(pts) else 0.0
    return np.array(
        [
            math.log(n),
            math.log(n / expected),
            reach,
            length,
            width,
            height,
            floor_gap,
            surface,
            linearity,
            planarity,
            scatter,
            verticality,
            isolation,
            likelihood,
            float(top_cut),
            spread,
        ]
    )
