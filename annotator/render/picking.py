"""Picking without VTK: which cuboid a ray from the camera through the cursor hits first."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid

logger = logging.getLogger(__name__)


def ray_hits_cuboid(
    origin: np.ndarray, direction: np.ndarray, cuboid: Cuboid, slack: float = 0.0
) -> float | None:
    """Distance along the ray to where it enters ``cuboid`` (0 when it starts inside), or None.

    ``slack`` grows the box by that many metres on each side (easier to hit thin boxes).
    """
    rotation = cuboid.rotation
    local_origin = (np.asarray(origin, dtype=np.float64) - np.asarray(cuboid.center)) @ rotation
    local_dir = np.asarray(direction, dtype=np.float64) @ rotation
    half = np.asarray(cuboid.size) / 2.0 + slack
    t_near, t_far = -np.inf, np.inf
    for axis in range(3):
        if abs(local_dir[axis]) < 1e-12:
            if abs(local_origin[axis]) > half[axis]:
                return None
            continue
        t1 = (-half[axis] - local_origin[axis]) / local_dir[axis]
        t2 = (half[axis] - local_origin[axis]) / local_dir[axis]
        t_near = max(t_near, min(t1, t2))
        t_far = min(t_far, max(t1, t2))
        if t_near > t_far:
            return None
    if t_far < 0:
        return None
    return max(float(t_near), 0.0)


def pick_cuboid(
    origin: np.ndarray, direction: np.ndarray, cuboids: Iterable[tuple[int, Cuboid]], slack: float = 0.05
) -> int | None:
    """Id of the nearest cuboid the ray hits (the smaller box wins a tie, e.g. the camera inside both)."""
    best: tuple[float, float, int] | None = None
    for key, cuboid in cuboids:
        distance = ray_hits_cuboid(origin, direction, cuboid, slack)
        if distance is None:
            continue
        candidate = (distance, cuboid.volume, key)
        if best is None or candidate[:2] < best[:2]:
            best = candidate
    return None if best is None else best[2]
