"""Synthetic LiDAR returns for tests: a box scanned on its sides and top."""

from __future__ import annotations

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid


def scan_of(box: Cuboid, count: int) -> np.ndarray:
    """``count`` points (N, 4: x, y, z, intensity 0) on the sides and top of ``box``, just inside it (a scan of
    it); repeatable (seeded by ``count``)."""
    rng = np.random.default_rng(count)
    half = np.asarray(box.size) / 2.0
    local = rng.uniform(-1.0, 1.0, (count, 3)) * half
    face = rng.integers(0, 5, count)
    for k, (axis, sign) in enumerate([(0, 1), (0, -1), (1, 1), (1, -1), (2, 1)]):
        local[face == k, axis] = sign * half[axis]
    return np.column_stack([box.box_to_world(local * 0.98), np.zeros(count)])
