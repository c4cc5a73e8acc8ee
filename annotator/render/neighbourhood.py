"""The points around the box being edited, copied out once, so that its inside queries test only these.

`PreparedCloud.focus` makes one in a worker around the selected box; while the box is nudged within it, its
inside points (exact, or block by block in a worker for a very large cloud) and the crops of the views come
from these points, never from the whole cloud's index. Pure numpy.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.point_index import take_rows

if TYPE_CHECKING:
    from annotator.render.cloud import PreparedCloud

logger = logging.getLogger(__name__)

#: Points of the neighbourhood a worker tests between two checks for a newer edit (`find_inside`).
FIND_BLOCK = 262_144

#: Most points of a neighbourhood a stand-in of a box's exact point set tests (`stand_in`): a larger one
#: keeps an even sample of about this many, copied out with it (`Neighbourhood.thin`), in contiguous rows.
THIN_POINTS = 100_000

#: Boxes whose coverage a neighbourhood remembers (`Neighbourhood.covers`).
_COVERED = 256


@dataclass(frozen=True, eq=False)
class Neighbourhood:
    """The points around a box (``region``), copied out once: a box within it tests only these points."""

    region: Cuboid
    indices: np.ndarray  # sorted indices into the cloud
    local: np.ndarray  # their points in the region's own axes, float32 (3, N): one contiguous row per axis,
    # so a box turned as the region tests them with six comparisons over contiguous rows (three times as
    # fast as over the columns of an (N, 3) array)
    xyz: np.ndarray  # the cloud's points (shared, not copied): a box turned otherwise tests them
    #: A smaller neighbourhood inside this one (same centre and axes): the nudged box's own queries test
    #: fewer points there.
    inner: Neighbourhood | None = None
    #: An even sample of this one's points (every k-th, at most `THIN_POINTS`) when it holds more: what a
    #: stand-in tests (`PreparedCloud.stand_in`). None: this one is small enough itself.
    thin: Neighbourhood | None = None
    #: Boxes asked about lately and whether the region covers them (`covers`: the views and panels ask
    #: about the same few boxes several times per edit).
    _covered: dict[Cuboid, bool] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def of(cls, cloud: PreparedCloud, region: Cuboid) -> Neighbourhood:
        """The points of ``cloud`` inside ``region``."""
        indices = cloud.index.indices_inside(region)
        return cls(region, indices, _local_rows(region, take_rows(cloud.xyz, indices)), cloud.xyz)

    def shrunk(self, region: Cuboid) -> Neighbourhood:
        """The points of this neighbourhood inside ``region`` (its axes, a smaller size; its centre may lie
        off this one's, as in a region reaching ahead of a walked box), in ``region``'s own coordinates."""
        offset = self.region.world_to_box(np.asarray([region.center], dtype=np.float64))[0].astype(np.float32)
        half = np.asarray(region.size, dtype=np.float32) / 2.0
        mask = _within(self.local, offset - half, offset + half)
        local = np.ascontiguousarray(self.local[:, mask] - offset[:, None])
        return Neighbourhood(region, self.indices[mask], local, self.xyz)

    def thinned(self) -> Neighbourhood:
        """This neighbourhood (and its inner one) with its `thin` sample copied out."""
        step = -(-len(self.indices) // THIN_POINTS)
        thin = None
        if step > 1:
            thin = Neighbourhood(
                self.region,
                self.indices[::step].copy(),
                np.ascontiguousarray(self.local[:, ::step]),
                self.xyz,
            )
        return replace(self, thin=thin, inner=None if self.inner is None else self.inner.thinned())

    def around(self, cuboid: Cuboid) -> Neighbourhood | None:
        """The smallest neighbourhood here covering ``cuboid`` (None: none does)."""
        if self.inner is not None and self.inner.covers(cuboid):
            return self.inner
        return self if self.covers(cuboid) else None

    def covers(self, cuboid: Cuboid) -> bool:
        """True when every corner of ``cuboid`` lies in the region (so do all points inside it); remembered
        for the last `_COVERED` boxes asked about."""
        known = self._covered.get(cuboid)
        if known is None:
            region = self.region
            # its centre outside the region's bounding sphere: some corner is outside (most boxes of a frame)
            known = math.dist(cuboid.center, region.center) <= _half_diagonal(region) and bool(
                region.points_inside(cuboid.corners()).all()
            )
            if len(self._covered) >= _COVERED:
                self._covered.clear()
            self._covered[cuboid] = known
        return known

    def indices_inside(self, cuboid: Cuboid, limit: int | None = None) -> np.ndarray:
        """Sorted indices of the cloud's points inside ``cuboid`` (which the region must cover); with
        ``limit``, of an even sample of them of about that many or more: every k-th point of the region is
        tested, k from the share of the region the box takes (a crop of a 100M-point cloud tests 80k of
        the 4.5M points around the box, not all of them)."""
        step = 1 if limit is None else self._step(cuboid, limit)
        return self._tested(cuboid, slice(None, None, step))

    def blocks_inside(self, cuboid: Cuboid, block: int | None = None) -> Iterator[np.ndarray]:
        """`indices_inside` (exact, no limit) block by block of ``block`` points of the region (default
        `FIND_BLOCK`): each block's sorted hits, in order (a worker checks for a newer edit between two)."""
        block = block or FIND_BLOCK
        for start in range(0, len(self.indices), block):
            yield self._tested(cuboid, slice(start, start + block))

    def _tested(self, cuboid: Cuboid, part: slice) -> np.ndarray:
        """Sorted indices of the points of ``part`` of the region inside ``cuboid``."""
        region = self.region
        indices, local = self.indices[part], self.local[:, part]
        if (cuboid.yaw, cuboid.pitch, cuboid.roll) != (region.yaw, region.pitch, region.roll):
            return indices[cuboid.points_inside(take_rows(self.xyz, indices))]
        centre = region.world_to_box(np.asarray([cuboid.center], dtype=np.float64))[0]
        half = np.asarray(cuboid.size) / 2.0
        lo, hi = (centre - half).astype(np.float32), (centre + half).astype(np.float32)
        return indices[_within(local, lo, hi)]

    def _step(self, cuboid: Cuboid, limit: int) -> int:
        """Every how many points of the region to test so that about ``limit`` or more of those inside
        ``cuboid`` are found (its share of the region's volume, halved for uneven density)."""
        share = min(1.0, float(np.prod(cuboid.size)) / max(float(np.prod(self.region.size)), 1e-9))
        return max(1, int(len(self.indices) * share) // (2 * max(1, limit)))


def _local_rows(region: Cuboid, points: np.ndarray) -> np.ndarray:
    """``points`` (N, 3), a copy the caller gives up, in ``region``'s own axes as (3, N) float32 rows
    (`Cuboid.world_to_box`, transposed): computed in place and in float32, then one product straight into
    rows (2.5 times as fast as transforming in float64 and copying the transpose, on 0.6M points)."""
    points = points.astype(np.float32, copy=False)  # a cloud's points are float32 already: no copy
    points -= np.asarray(region.center, dtype=np.float32)
    local = np.empty((3, len(points)), dtype=np.float32)
    np.dot(region.rotation.astype(np.float32).T, points.T, out=local)
    return local


def _half_diagonal(cuboid: Cuboid) -> float:
    """The radius of a box's bounding sphere."""
    return 0.5 * math.sqrt(sum(side * side for side in cuboid.size))


def _within(local: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Mask of the points of ``local`` (3, N), one row per axis, with ``lo`` <= each coordinate <= ``hi``."""
    mask = local[0] >= lo[0]
    mask &= local[0] <= hi[0]
    for axis in (1, 2):
        mask &= local[axis] >= lo[axis]
        mask &= local[axis] <= hi[axis]
    return mask
