"""Framework-free point handling shared by the PyTorch and the Paddle detectors: cropping to the grid and
grouping points into pillars with each point's 9 input features.

A point's features are x, y, z, intensity, its offsets from its pillar's mean (3) and from the pillar's
centre (2): the decoration PointPillars (and Paddle3D's ``PillarFeatureNet``) feed the pillar encoder.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from plugins.pointpillars.config import PillarConfig

logger = logging.getLogger(__name__)

POINT_FEATURES = 9


def crop_points(points: np.ndarray, config: PillarConfig) -> np.ndarray:
    """The (N, 4) float32 points inside the grid and its z range (other columns than 4 are cut/padded)."""
    points = np.asarray(points, dtype=np.float32)
    if points.ndim != 2 or points.shape[1] < 3:
        raise ValueError(f"points must be (N, 3+) x, y, z[, intensity], got shape {points.shape}")
    x, y, z = points[:, 0], points[:, 1], points[:, 2]
    # A NaN fails every comparison and an infinite x, y or z lies outside the bounded ranges.
    keep = (x >= config.x_range[0]) & (x < config.x_range[1]) & (y >= config.y_range[0])
    keep &= (y < config.y_range[1]) & (z >= config.z_range[0]) & (z < config.z_range[1])
    intensity = config.intensity and points.shape[1] > 3
    if intensity:
        keep &= np.isfinite(points[:, 3])
    cropped = np.zeros((np.count_nonzero(keep), 4), dtype=np.float32)
    cropped[:, : 4 if intensity else 3] = points[keep, : 4 if intensity else 3]
    return cropped


@dataclass
class PillarGroups:
    """Cropped points grouped by pillar, points sorted by pillar: ``features`` (N, 9) float32,
    ``pillar`` (N,) the index of each point's pillar (0..P-1, non-decreasing), ``cells`` (P,) each pillar's
    flat index into the (B, NX, NY) grid, ``counts`` (P,) its points."""

    features: np.ndarray
    pillar: np.ndarray
    cells: np.ndarray
    counts: np.ndarray


def pillar_groups(points: np.ndarray, frame: np.ndarray, config: PillarConfig) -> PillarGroups:
    """Group cropped (`crop_points`) points (N, 4) of frames ``frame`` (N,) into the grid's pillars."""
    nx, ny = config.grid_shape
    x0, y0 = config.x_range[0], config.y_range[0]
    ix = np.clip(((points[:, 0] - x0) / config.cell).astype(np.int64), 0, nx - 1)
    iy = np.clip(((points[:, 1] - y0) / config.cell).astype(np.int64), 0, ny - 1)
    key = (np.asarray(frame, dtype=np.int64) * nx + ix) * ny + iy
    order = np.argsort(key, kind="stable")
    points, key, ix, iy = points[order], key[order], ix[order], iy[order]
    # The keys are sorted: each pillar is a run of them (no second sort as np.unique would make).
    starts = np.flatnonzero(np.diff(key, prepend=-1))
    cells = key[starts]
    counts = np.diff(starts, append=len(key))
    pillar = np.repeat(np.arange(len(starts)), counts)
    sums = (
        np.zeros((len(starts), 3))
        if not len(key)
        else np.add.reduceat(points[:, :3].astype(np.float64), starts)
    )
    mean = (sums / counts[:, None]).astype(np.float32)
    centre = np.stack([(ix + 0.5) * config.cell + x0, (iy + 0.5) * config.cell + y0], axis=1)
    features = np.concatenate(
        [points, points[:, :3] - mean[pillar], points[:, :2] - centre.astype(np.float32)], axis=1
    )
    return PillarGroups(features.astype(np.float32), pillar.astype(np.int64), cells, counts)
