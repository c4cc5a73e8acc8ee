"""Where a pasted object stands, and what it hides: for ground-truth sampling of the base training.

Real pedestrians and cyclists stand in front of walls, hedges, poles and tree trunks; generated ones mostly
walk in the open, and the base detector learnt that a person is a column of points with nothing behind it
(on the Argoverse development sweeps it missed most pedestrians standing against something). `against_structure`
moves a pasted object along the sensor's rays so that it stands just in front of a structure of the frame.
`shadow` removes the frame's points the object hides from the sensor (at the origin of the frame), as a
real object in that place would.
"""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)

#: Heights above the ground (m) of background points that make a structure worth standing against.
STRUCTURE_HEIGHTS = (0.5, 2.5)
#: Ranges (m, bird's-eye view) where objects are moved to, and how far in front of the structure they
#: stand (centre to structure point, m).
STRUCTURE_RANGES = (4.0, 45.0)
STANDOFF = (0.35, 0.9)
#: Angular margin (radians) added round an object's silhouette when its shadow is cut.
SHADOW_MARGIN = 0.002


def structure_points(points: np.ndarray, owner: np.ndarray, ground_z: float) -> np.ndarray:
    """Indices of background points (no object owns them) standing `STRUCTURE_HEIGHTS` above a ground at
    ``ground_z`` within `STRUCTURE_RANGES`: walls, fences, hedges, poles, trunks, signs."""
    height = points[:, 2] - ground_z
    distance = np.hypot(points[:, 0], points[:, 1])
    return np.flatnonzero(
        (owner < 0)
        & (height > STRUCTURE_HEIGHTS[0])
        & (height < STRUCTURE_HEIGHTS[1])
        & (distance > STRUCTURE_RANGES[0])
        & (distance < STRUCTURE_RANGES[1])
    )


def move_to(points: np.ndarray, box: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An object's points (K, 4+) and box (7,) moved so that its centre lies at ``target`` (x, y): turned
    about the sensor (so the sensor still sees the same side of it), then slid along the ray."""
    angle = np.arctan2(target[1], target[0]) - np.arctan2(box[1], box[0])
    c, s = np.cos(angle), np.sin(angle)
    rotation = np.array([[c, -s], [s, c]])
    moved, placed = points.copy(), np.asarray(box, dtype=np.float64).copy()
    placed[:2] = rotation @ placed[:2]
    placed[6] = np.arctan2(np.sin(placed[6] + angle), np.cos(placed[6] + angle))
    offset = np.asarray(target, dtype=np.float64) - placed[:2]
    moved[:, :2] = (moved[:, :2].astype(np.float64) @ rotation.T + offset).astype(points.dtype)
    placed[:2] += offset
    return moved, placed


def against_structure(
    points: np.ndarray, box: np.ndarray, structure: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray] | None:
    """The object (points, box) moved to stand `STANDOFF` in front of one of the ``structure`` points
    (N, 2+; x, y), on the sensor's side of it; None when there is none."""
    if len(structure) == 0:
        return None
    spot = np.asarray(structure[int(rng.integers(len(structure)))][:2], dtype=np.float64)
    distance = float(np.hypot(*spot))
    standoff = float(rng.uniform(*STANDOFF)) + 0.25 * float(min(box[3], box[4]))
    if distance - standoff < STRUCTURE_RANGES[0]:
        return None
    return move_to(points, box, spot * (distance - standoff) / distance)


def polar(points: np.ndarray) -> np.ndarray:
    """(N, 3) azimuth, bird's-eye-view distance and elevation angle of (N, 3+) points seen from the origin
    (computed once per frame for `shadow`)."""
    distance = np.hypot(points[:, 0], points[:, 1])
    return np.column_stack(
        [np.arctan2(points[:, 1], points[:, 0]), distance, np.arctan2(points[:, 2], distance)]
    )


def shadow(seen: np.ndarray, occluder: np.ndarray) -> np.ndarray:
    """Which points, given as `polar` coordinates ``seen`` (N, 3), the ``occluder``'s points (K, 3+) hide
    from a sensor at the origin: farther than its nearest point, within its span of azimuths and below its
    highest elevation (a conservative silhouette: the object's azimuth and elevation extents)."""
    hidden = np.zeros(len(seen), dtype=bool)
    if len(occluder) == 0 or len(seen) == 0:
        return hidden
    mine = polar(occluder)
    centre = np.arctan2(np.sin(mine[:, 0]).mean(), np.cos(mine[:, 0]).mean())
    spread = np.arctan2(np.sin(mine[:, 0] - centre), np.cos(mine[:, 0] - centre))
    candidates = np.flatnonzero(seen[:, 1] > mine[:, 1].min())
    azimuth = seen[candidates, 0] - centre
    azimuth = np.arctan2(np.sin(azimuth), np.cos(azimuth))
    inside = (azimuth >= spread.min() - SHADOW_MARGIN) & (azimuth <= spread.max() + SHADOW_MARGIN)
    low = seen[candidates, 2] <= mine[:, 2].max() + SHADOW_MARGIN
    hidden[candidates[inside & low]] = True
    return hidden
