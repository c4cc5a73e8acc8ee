"""A point cloud made ready for display: colour scalars, value ranges, a level-of-detail sample, an index.

Pure numpy (no VTK): `prepare_cloud` runs in a worker thread; the views only wrap its arrays.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass, field, replace

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.point_index import PointIndex, column_bounds, take_rows
from annotator.io.pointcloud.backing import is_backed, release, scratch_array
from annotator.render.neighbourhood import Neighbourhood

logger = logging.getLogger(__name__)

#: Ways to colour points, in menu order. ``rgb`` needs per-point colours in the file.
COLOR_MODES = ("height", "intensity", "rgb", "distance")

#: Titles of the colour modes (menus, colour bar).
COLOR_MODE_TITLES = {
    "height": "Height (m)",
    "intensity": "Intensity",
    "rgb": "RGB",
    "distance": "Distance (m)",
}

#: Default number of points drawn while the camera moves.
DEFAULT_LOD_BUDGET = 150_000

#: Most points of the sample drawn at rest before the full detail comes in (an even sample of the camera-move
#: sample): the first picture of a large cloud, within the 50 ms budget under software OpenGL.
REST_POINTS = 20_000

#: Most consecutive points in one run of an out-of-core part (`OutOfCoreParts`).
RUN_POINTS = 1024

#: Boxes whose inside points a cloud remembers.
_INSIDE_CACHE = 1024
#: Most point indices remembered for them together (8 bytes each: 160 MB): a car in a 100M-point cloud
#: holds 300k points, and walking it remembers every position (and the two found ahead of it).
_INSIDE_POINTS = 20_000_000

#: Most points of the neighbourhood a box's exact point set may test on the caller's (the window's) thread:
#: beyond that (about 10 ms of a quiet core; a box in a 100M-point cloud tests 1.8M) the points are found
#: by a worker (`find_inside`) and the views draw a stand-in meanwhile (`inside_at_once`).
AT_ONCE_POINTS = 400_000

#: Most points of a crop tested one by one for a stand-in (`stand_in`): those the view draws.
STAND_IN_TESTS = 100_000

#: Points used to estimate value ranges and the ground height (a sample is plenty).
_STATS_SAMPLE = 200_000


@dataclass(frozen=True)
class PointSet:
    """Some points with their colour arrays, ready to be drawn (views of or copies from a cloud)."""

    xyz: np.ndarray
    scalars: Mapping[str, np.ndarray]
    #: True when some of these points stand in for points a worker still finds and the picture would
    #: change when they are found (a sparser sample than the exact points give; see `inside_points`).
    stand_in: bool = False

    def __len__(self) -> int:
        return int(self.xyz.shape[0])

    def every(self, step: int) -> PointSet:
        """Every ``step``-th of these points (contiguous copies)."""
        return PointSet(
            np.ascontiguousarray(self.xyz[::step]),
            {name: np.ascontiguousarray(values[::step]) for name, values in self.scalars.items()},
            self.stand_in,
        )


@dataclass(eq=False)
class PreparedCloud:
    """A frame's points with everything the views need, computed once off the UI thread.

    ``scalars`` holds contiguous arrays per colour mode (float32 (N,) or uint8 (N, 3) for ``rgb``);
    ``ranges`` the robust (1st-99th percentile) value range per scalar mode; ``coarse`` the sorted
    indices of a random sample of at most the level-of-detail budget; ``ground_z`` an estimate of the
    ground height (the grid and range rings lie on it).
    """

    xyz: np.ndarray
    scalars: dict[str, np.ndarray]
    ranges: dict[str, tuple[float, float]]
    coarse: np.ndarray
    bounds: tuple[float, float, float, float, float, float]
    ground_z: float
    index: PointIndex = field(repr=False)
    #: Points in the file when this is a preview sample of it (0: this is the whole cloud).
    total: int = 0
    #: Where the bulk of the points lies (`robust_bounds`): what a whole-frame view fits, so that a few far
    #: returns of a real sensor do not shrink the scene to a strip. None: the full ``bounds``.
    view_bounds: tuple[float, float, float, float, float, float] | None = None
    _coarse_set: PointSet | None = field(default=None, repr=False)
    _coarse_index: PointIndex | None = field(default=None, repr=False)
    _rest_set: PointSet | None = field(default=None, repr=False)
    _inside: dict[Cuboid, np.ndarray] = field(default_factory=dict, repr=False)
    _near: Neighbourhood | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return int(self.xyz.shape[0])

    @property
    def partial(self) -> bool:
        """True for a preview: a sample drawn while the whole cloud is still being read (counts of the
        points inside boxes are not known yet)."""
        return self.total > len(self)

    @property
    def color_modes(self) -> tuple[str, ...]:
        """The colour modes this cloud supports."""
        return tuple(mode for mode in COLOR_MODES if mode in self.scalars)

    @property
    def is_decimated(self) -> bool:
        """True when the coarse sample has fewer points than the cloud."""
        return len(self.coarse) < len(self)

    def full(self) -> PointSet:
        """Every point (no copies)."""
        return PointSet(self.xyz, self.scalars)

    def subset(self, indices: np.ndarray) -> PointSet:
        """The points at ``indices`` (copies; meant for small subsets)."""
        return PointSet(
            take_rows(self.xyz, indices),
            {name: take_rows(values, indices) for name, values in self.scalars.items()},
        )

    def coarse_points(self) -> PointSet:
        """The level-of-detail sample (the cloud itself when it is within the budget); made once."""
        return self._kept_subset("_coarse_set", self.coarse)

    @property
    def rest(self) -> np.ndarray:
        """Sorted indices of the sample drawn first at rest (an even sample of at most `REST_POINTS` of the
        coarse sample): the full detail is added to it chunk by chunk; whole-frame orthographic views draw
        it."""
        return self.coarse[:: -(-len(self.coarse) // REST_POINTS)]

    @property
    def out_of_core(self) -> bool:
        """True when the cloud's points lie in a scratch file, not in memory (see `strided`)."""
        return is_backed(self.xyz)

    @property
    def progressive(self) -> bool:
        """True when the picture at rest starts from the `rest` sample and the other points follow chunk by
        chunk (more points than `REST_POINTS`): no render of a new cloud draws more than that at once."""
        return len(self.rest) < len(self)

    def rest_points(self) -> PointSet:
        """The points at `rest` (the cloud itself when it is that small); made once."""
        return self._kept_subset("_rest_set", self.rest)

    def _kept_subset(self, name: str, indices: np.ndarray) -> PointSet:
        """The points at ``indices``, copied once and kept in the field ``name`` (all of them: the cloud
        itself)."""
        if len(indices) == len(self):
            return self.full()
        kept = getattr(self, name)
        if kept is None:
            kept = self.subset(indices)
            setattr(self, name, kept)
        return kept

    def strided(self, first: int, stop: int, parts: int, planes: np.ndarray | None = None) -> PointSet:
        """Parts ``first`` to ``stop`` (exclusive) of the cloud cut into ``parts`` interleaved parts (part
        ``k`` holds every ``parts``-th point from ``k``): each part is a uniform sample of the cloud, so
        drawing them one after another fills in detail evenly (copies). A cloud out of core is cut into
        `OutOfCoreParts` instead (interleaved runs of points, each run a few neighbouring cells), and with
        ``planes`` (the view frustum's, see `OutOfCoreParts`) leaves out the runs outside the view."""
        if self.out_of_core:
            return OutOfCoreParts(self, parts, planes).points(first, stop)

        def gather(values: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(np.concatenate([values[k::parts] for k in range(first, stop)]))

        return PointSet(gather(self.xyz), {name: gather(values) for name, values in self.scalars.items()})

    def answers_at_once(self, cuboid: Cuboid) -> bool:
        """True when the points inside ``cuboid`` are found without a query of the whole cloud's index on
        the caller's thread: the cloud is drawn whole (small), or they are remembered, or the
        neighbourhood copied out around the box being edited covers it (see `focus`)."""
        if not self.is_decimated or cuboid in self._inside:
            return True
        return self._near is not None and self._near.around(cuboid) is not None

    def sample_inside(self, cuboid: Cuboid) -> np.ndarray:
        """Sorted indices of the level-of-detail sample's points inside ``cuboid``: a stand-in for the
        points inside it, found through the sample's own index (`sample_index`: the sample's points under
        the box only, a fraction of a millisecond at any cloud size), to draw until the neighbourhood
        arrives (`answers_at_once`)."""
        if not self.is_decimated:
            return self.inside(cuboid)
        return self.coarse[self.sample_index().indices_inside(cuboid)]

    def sample_index(self) -> PointIndex:
        """A grid index of the level-of-detail sample's points (made once; `prepare_cloud` makes it in the
        worker): stand-ins of many boxes (a frame's 35 cars at 100M points) test the sample's points under
        each box, not the whole sample (150,000 points: 1.5 ms a box)."""
        index = self._coarse_index
        if index is None:
            index = self._coarse_index = PointIndex(self.coarse_points().xyz)
        return index

    def indices_near(self, cuboid: Cuboid, margin: float, limit: int | None = None) -> np.ndarray:
        """Sorted indices of the points inside ``cuboid`` grown by ``margin`` metres on each side (with
        ``limit``: an even sample of about that many when there are more)."""
        grown = cuboid.grown(margin)
        near = None if self._near is None else self._near.around(grown)
        if near is None:
            return self.index.indices_inside(cuboid, margin, limit)
        found = near.indices_inside(grown, limit)  # the box being edited, fitted afresh: its neighbourhood
        if limit is not None and len(found) > limit:
            found = found[:: -(-len(found) // limit)]
        return found

    def inside(self, cuboid: Cuboid, quick: bool = False) -> np.ndarray:
        """Sorted indices of the points inside ``cuboid``, remembered per box (counts, highlights); with
        ``quick``, a stand-in when they are not found at once (`stand_in`; not remembered)."""
        if quick and not self.inside_at_once(cuboid):
            return self.stand_in(cuboid)
        found = self._inside.get(cuboid)
        if found is None:
            near = None if self._near is None else self._near.around(cuboid)  # a box being edited?
            found = self.index.indices_inside(cuboid) if near is None else near.indices_inside(cuboid)
            self._remember(cuboid, found)
        return found

    def _remember(self, cuboid: Cuboid, found: np.ndarray) -> None:
        """Keep the points found inside ``cuboid`` (the oldest boxes are forgotten when there are many, or
        when their points are many)."""
        with suppress(RuntimeError, StopIteration):  # a worker may remember boxes too (`warm`)
            while self._inside and (
                len(self._inside) >= _INSIDE_CACHE
                or sum(map(len, list(self._inside.values()))) + len(found) > _INSIDE_POINTS
            ):
                self._inside.pop(next(iter(self._inside)), None)
        self._inside[cuboid] = found

    def inside_at_once(self, cuboid: Cuboid) -> bool:
        """True when `inside` answers for ``cuboid`` within a few milliseconds: `answers_at_once`, and the
        points copied out around the box (if they answer) are at most `AT_ONCE_POINTS`. Otherwise a worker
        finds them (`find_inside`) while a stand-in is drawn (`stand_in`) and counts wait (`found_later`)."""
        if not self.is_decimated or cuboid in self._inside:
            return True
        near = None if self._near is None else self._near.around(cuboid)
        return near is not None and len(near.indices) <= AT_ONCE_POINTS

    def found_later(self, cuboid: Cuboid) -> bool:
        """True when the points inside ``cuboid`` are left to a worker (`find_inside`): the points copied
        out around the box answer for it, but are too many to test on the window's thread."""
        return self.answers_at_once(cuboid) and not self.inside_at_once(cuboid)

    def stand_in(self, cuboid: Cuboid, within: np.ndarray | None = None) -> np.ndarray:
        """Sorted indices standing in for the points inside ``cuboid`` while a worker finds them, found
        in a few milliseconds at any cloud size: with ``within`` (a crop of at most `STAND_IN_TESTS`
        points), exactly those of it inside the box; else those of the even sample of the points copied
        out around the box (`Neighbourhood.thin`), or the level-of-detail sample's points inside."""
        if within is self.coarse:  # the sample drawn while the camera moves: its own points inside
            return self.sample_inside(cuboid)
        if within is not None and len(within) <= STAND_IN_TESTS:
            return within[cuboid.points_inside(take_rows(self.xyz, within))]
        near = None if self._near is None else self._near.around(cuboid)
        if near is None:
            return self.sample_inside(cuboid)
        return (near.thin or near).indices_inside(cuboid)

    def find_inside(self, cuboids: Iterable[Cuboid]) -> Iterator[Cuboid]:
        """Find and remember the points inside each of ``cuboids`` (a worker's job), yielding the box
        after every block of points tested, so that the job stops between two blocks when a newer edit
        cancels it (an unfinished box is not remembered)."""
        for cuboid in cuboids:
            if cuboid in self._inside:
                continue
            near = None if self._near is None else self._near.around(cuboid)
            if near is None:
                found = self.index.indices_inside(cuboid)
            else:
                parts = []
                for part in near.blocks_inside(cuboid):
                    parts.append(part)
                    yield cuboid
                found = np.concatenate(parts) if parts else near.indices[:0]
            self._remember(cuboid, found)
            yield cuboid

    @property
    def neighbourhood(self) -> Neighbourhood | None:
        """The points copied out around the box being edited (see `focus`), if any."""
        return self._near

    def focus(
        self,
        cuboid: Cuboid,
        margin: float,
        inner: float | None = None,
        reach: tuple[float, float, float] | None = None,
    ) -> Neighbourhood:
        """Copy out the points within ``margin`` of ``cuboid`` (the box being edited), so that `inside`
        (and `indices_near`) answer for the box nudged within that margin from these points alone, not
        the whole index; with ``inner``, those within that smaller margin too (tested first); with
        ``reach`` (metres along the box's own axes: where a walked box is heading), the region reaches
        that much farther that way, so the box walks longer before the points are copied out again.
        Safe to run in a worker thread (the neighbourhood is swapped in at the end, whole)."""
        region = cuboid.grown(margin) if reach is None else reaching(cuboid.grown(margin), reach)
        near = self._near
        if near is not None and near.covers(region):
            return near
        near = Neighbourhood.of(self, region)
        if inner is not None and inner < margin:
            near = replace(near, inner=near.shrunk(cuboid.grown(inner)))
        near = near.thinned()
        self._near = near
        return near

    def warm(self, cuboids: Iterable[Cuboid]) -> None:
        """Find the points inside these boxes ahead of time (in the worker that loads the cloud, or the
        views' worker for boxes drawn with a stand-in)."""
        for cuboid in cuboids:
            self.inside(cuboid)


@dataclass(frozen=True)
class OutOfCoreParts:
    """A cloud out of core cut into ``parts`` parts for progressive detail, each part a set of runs of
    consecutive points (at most `RUN_POINTS`), part ``k`` every ``parts``-th run from run ``k``. Points in
    cell order make each run a few neighbouring grid cells, so a part is still spread evenly over the
    scene while a chunk of parts reads a few hundred pages of the scratch file (`points` hands them back
    once copied): drawing the full detail never needs the whole cloud resident."""

    cloud: PreparedCloud
    parts: int
    #: The planes (a, b, c, d) of the view frustum, (6, 4), a x + b y + c z + d >= 0 inside (VTK's
    #: ``GetFrustumPlanes``): runs wholly outside one of them are left out (neither read nor drawn: the
    #: view's sample stands for them). None: every run.
    planes: np.ndarray | None = None

    def runs(self, first: int, stop: int) -> list[tuple[int, int]]:
        """The (start, end) point ranges of parts ``first`` to ``stop`` (exclusive), in order. Part ``k``
        starts at run ``k * stride mod parts`` (a stride near the golden share of ``parts``, prime to it):
        consecutive parts lie far apart, so the detail fills in all over the scene at once rather than in
        bands that sweep across it."""
        count, parts = len(self.cloud), max(1, self.parts)
        run = max(1, min(RUN_POINTS, count // parts))  # so every part holds a run
        total = -(-count // run)
        stride = max(1, round(parts * 0.618034))
        while math.gcd(stride, parts) != 1:
            stride += 1
        firsts = ((k * stride) % parts for k in range(first, stop))
        starts = np.sort(
            np.array([r * run for offset in firsts for r in range(offset, total, parts)], np.int64)
        )
        ends = np.minimum(count, starts + run)
        if self.planes is not None and self.cloud.index.arranged and len(starts):
            kept = self._in_view(starts, ends)
            starts, ends = starts[kept], ends[kept]
        return list(zip(starts.tolist(), ends.tolist(), strict=True))

    def _in_view(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Mask of the runs whose cells' box (the cloud's full height) meets the view frustum."""
        lo, hi = self.cloud.index.span_bounds(starts, ends)
        z0, z1 = self.cloud.bounds[4], self.cloud.bounds[5]
        keep = np.ones(len(starts), dtype=bool)
        for a, b, c, d in np.asarray(self.planes, dtype=np.float64).reshape(-1, 4):
            # the corner farthest along the plane's normal: when even it is outside, the whole box is
            x = np.where(a >= 0, hi[:, 0], lo[:, 0])
            y = np.where(b >= 0, hi[:, 1], lo[:, 1])
            keep &= a * x + b * y + c * (z1 if c >= 0 else z0) + d >= 0
        return keep

    def points(self, first: int, stop: int) -> PointSet:
        """The points of parts ``first`` to ``stop`` (copies), their pages handed back afterwards."""
        runs = self.runs(first, stop)
        arrays = {"xyz": self.cloud.xyz, **self.cloud.scalars}
        copied = {}
        for name, values in arrays.items():
            pieces = [values[a:b] for a, b in runs]
            copied[name] = np.ascontiguousarray(np.concatenate(pieces)) if pieces else values[:0].copy()
            release(values, runs)
        xyz = copied.pop("xyz")
        return PointSet(xyz, copied)


def reaching(region: Cuboid, reach: tuple[float, float, float]) -> Cuboid:
    """``region`` stretched by ``reach`` (metres along its own axes, signed) on that side only (where a
    walked box is heading)."""
    offset = np.asarray(reach, dtype=np.float64)
    center = np.asarray(region.center) + region.rotation @ (offset / 2.0)
    return region.replace(center=tuple(center), size=tuple(np.asarray(region.size) + np.abs(offset)))


def sample_indices(count: int, budget: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of ``budget`` distinct points drawn uniformly from ``count`` (all when it fits)."""
    if count <= budget:
        return np.arange(count)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(count, size=budget, replace=False, shuffle=False))


def robust_bounds(xyz: np.ndarray, share: float = 0.98) -> tuple[float, float, float, float, float, float]:
    """Bounds (x0, x1, y0, y1, z0, z1) holding the central ``share`` of the points along each axis, grown
    by 5 % so the points at their edge stay in view."""
    tail = (1.0 - share) / 2.0 * 100.0
    lo, hi = np.percentile(xyz, [tail, 100.0 - tail], axis=0)
    pad = 0.05 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]), float(lo[2]), float(hi[2]))


def _robust_range(values: np.ndarray) -> tuple[float, float]:
    if len(values) == 0:
        return 0.0, 1.0
    lo, hi = (float(v) for v in np.percentile(values, [1.0, 99.0]))
    if not hi > lo:
        lo, hi = float(values.min()), float(values.max())
    if not hi > lo:
        hi = lo + 1.0
    return lo, hi


def _distances(xyz: np.ndarray, block: int = 1 << 20) -> np.ndarray:
    """Distance of each point from the sensor as float16, computed block by block (small temporaries);
    in a scratch file when the points lie in one (out of core)."""
    out = (scratch_array if is_backed(xyz) else np.empty)((len(xyz),), np.float16)
    for start in range(0, len(xyz), block):
        part = xyz[start : start + block]
        out[start : start + len(part)] = np.sqrt(np.einsum("ij,ij->i", part, part))
    return out


def prepare_cloud(
    xyz: np.ndarray,
    fields: Mapping[str, np.ndarray] | None = None,
    lod_budget: int = DEFAULT_LOD_BUDGET,
    index: PointIndex | None = None,
    total: int = 0,
) -> PreparedCloud:
    """Colour scalars, ranges, the LOD sample and a point index for a cloud (xyz float32 (N, 3)).

    ``fields`` may hold ``intensity`` (N,) and ``rgb`` (N, 3) uint8, as read by
    `annotator.io.pointcloud.read_point_cloud`; ``index`` is the points' index when the reader made one
    (`annotator.io.pointcloud.arranged`); ``total`` the points of the file when ``xyz`` is a preview
    sample of it.
    """
    fields = fields or {}
    xyz = np.ascontiguousarray(xyz, dtype=np.float32).reshape(-1, 3)  # no copy when it already is
    count = len(xyz)
    # Compact colour scalars: height is a view of z (no copy), distance is stored as float16 (colours
    # need no more), intensity is used as read. Only small sets (samples, crops, chunks) are copied out.
    scalars: dict[str, np.ndarray] = {"height": xyz[:, 2], "distance": _distances(xyz)}
    intensity = fields.get("intensity")
    if intensity is not None and len(intensity) == count:
        scalars["intensity"] = np.asarray(intensity, dtype=np.float32).reshape(-1)
    rgb = fields.get("rgb")
    if rgb is not None and len(rgb) == count:
        scalars["rgb"] = np.ascontiguousarray(np.asarray(rgb)[:, :3], dtype=np.uint8)
    stats = sample_indices(count, _STATS_SAMPLE, seed=1)
    ranges = {name: _robust_range(values[stats]) for name, values in scalars.items() if values.ndim == 1}
    if count:
        lo, hi = column_bounds(xyz)
        bounds = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]), float(lo[2]), float(hi[2]))
        ground_z = float(np.percentile(scalars["height"][stats], 5.0))
    else:
        bounds = (-1.0, 1.0, -1.0, 1.0, -1.0, 1.0)
        ground_z = 0.0
    prepared = PreparedCloud(
        xyz=xyz,
        scalars=scalars,
        ranges=ranges,
        coarse=sample_indices(count, lod_budget),
        bounds=bounds,
        ground_z=ground_z,
        index=index if index is not None else PointIndex(xyz),
        total=total,
        view_bounds=robust_bounds(xyz[stats]) if count else None,
    )
    prepared.coarse_points()  # copy the samples here, in the worker, not on the UI thread
    prepared.rest_points()
    if prepared.is_decimated:
        prepared.sample_index()
    for values in (xyz, *scalars.values()):
        release(values)  # out of core: every point was read once; the pages go back to the scratch file
    return prepared
