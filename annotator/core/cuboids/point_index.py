"""Many points against many cuboids: an x-sorted index and per-point owners."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid


# -- many points against many boxes ----------------------------------------------------------------
@dataclass
class PointIndex:
    """Points sorted along x once, so each box only tests the points in its x-slab.

    Use it when many boxes are tested against the same cloud (object lists, exports, fitting).
    """

    points: np.ndarray
    _order: np.ndarray = field(init=False, repr=False)
    _sorted_x: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.points = np.asarray(self.points)
        self._order = np.argsort(self.points[:, 0], kind="stable")
        self._sorted_x = self.points[self._order, 0]

    def indices_inside(self, cuboid: Cuboid, margin: float = 0.0) -> np.ndarray:
        """Sorted indices of the points inside ``cuboid`` (grown by ``margin``)."""
        corners = cuboid.corners()
        lo = corners[:, 0].min() - margin
        hi = corners[:, 0].max() + margin
        start = np.searchsorted(self._sorted_x, lo, side="left")
        stop = np.searchsorted(self._sorted_x, hi, side="right")
        candidates = self._order[start:stop]
        inside = cuboid.points_inside(self.points[candidates], margin)
        return np.sort(candidates[inside])

    def count_inside(self, cuboid: Cuboid, margin: float = 0.0) -> int:
        """Number of points inside ``cuboid``."""
        return len(self.indices_inside(cuboid, margin))


def points_in_cuboids(points: np.ndarray, cuboids: Sequence[Cuboid]) -> np.ndarray:
    """For each point, the index of the first cuboid containing it, or -1 (vectorised over points)."""
    owner = np.full(len(points), -1, dtype=np.int32)
    if len(points) == 0 or not cuboids:
        return owner
    index = PointIndex(points)
    for i in range(len(cuboids) - 1, -1, -1):
        owner[index.indices_inside(cuboids[i])] = i
    return owner
