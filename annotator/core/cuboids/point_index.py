"""Many points against many cuboids: a grid index of the points and per-point owners.

The index is built block by block (bounded temporaries: no sort, key or mask array the size of the cloud
beyond the one int32 per point it keeps) and a box query touches only the cells under the box, so its
cost depends on the points near the box, never on the size of the cloud.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from annotator.core.cuboids.cuboid import CORNER_SIGNS, Cuboid

#: Most cells of a `PointIndex` grid (its cell table holds one int32 per cell, plus one).
GRID_MAX_CELLS = 1 << 22
#: Points per grid cell aimed at (few cells per box, few points per cell outside the box).
GRID_POINTS_PER_CELL = 32
#: Smallest grid cell (metres).
GRID_MIN_CELL = 0.25
#: Points bucketed per step while the index is built (bounds its temporaries to about 20 MB).
BUILD_BLOCK = 1 << 19


def column_bounds(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column minimum and maximum of an (N, k) array, one column at a time (numpy reduces a
    column ten times faster than ``min(axis=0)`` of an (N, 3) array, and makes no temporary)."""
    lo = np.array([points[:, k].min() for k in range(points.shape[1])], dtype=np.float64)
    hi = np.array([points[:, k].max() for k in range(points.shape[1])], dtype=np.float64)
    return lo, hi


def _run_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Positions where a new key starts in a sorted array (the first is 0)."""
    change = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    return np.concatenate([np.zeros(1, dtype=change.dtype), change])


@dataclass(frozen=True)
class CellGrid:
    """Square cells in x, y: ``shape`` columns by rows of ``cell`` metres from ``origin``. Points beyond
    the grid belong to its edge cells."""

    origin: tuple[float, float]
    cell: float
    shape: tuple[int, int]

    @classmethod
    def covering(cls, count: int, lo: Sequence[float], hi: Sequence[float]) -> CellGrid:
        """A grid over the rectangle ``lo``-``hi`` (x, y) for ``count`` points: about
        `GRID_POINTS_PER_CELL` points a cell, cells of at least `GRID_MIN_CELL`, at most `GRID_MAX_CELLS`."""
        extent = (max(float(hi[0]) - float(lo[0]), 1e-6), max(float(hi[1]) - float(lo[1]), 1e-6))
        cells_wanted = min(GRID_MAX_CELLS, max(1, count // GRID_POINTS_PER_CELL))
        cell = max(GRID_MIN_CELL, math.sqrt(extent[0] * extent[1] / cells_wanted))
        while (extent[0] / cell + 1) * (extent[1] / cell + 1) > GRID_MAX_CELLS:  # long thin clouds
            cell *= 1.5
        shape = (int(extent[0] / cell) + 1, int(extent[1] / cell) + 1)
        return cls((float(lo[0]), float(lo[1])), cell, shape)

    @property
    def cells(self) -> int:
        """Number of cells."""
        return self.shape[0] * self.shape[1]

    def columns(self, x: np.ndarray) -> np.ndarray:
        """Column of each x (int32, clipped to the grid)."""
        return np.clip((x - self.origin[0]) / self.cell, 0, self.shape[0] - 1).astype(np.int32)

    def rows(self, y: np.ndarray) -> np.ndarray:
        """Row of each y (int32, clipped to the grid)."""
        return np.clip((y - self.origin[1]) / self.cell, 0, self.shape[1] - 1).astype(np.int32)

    def keys(self, points: np.ndarray) -> np.ndarray:
        """Cell number (int64, column-major: a column's cells are consecutive) of each point (N, >= 2)."""
        return self.columns(points[:, 0]).astype(np.int64) * self.shape[1] + self.rows(points[:, 1])


class CellPlacer:
    """Where each point goes when points arrive block by block and are laid out cell by cell, ascending
    within a cell (a counting sort with temporaries the size of a block): `count` every block, then
    `place` the same blocks in the same order."""

    def __init__(self, grid: CellGrid) -> None:
        self.grid = grid
        self.counts = np.zeros(grid.cells, dtype=np.int64)
        self._cursor: np.ndarray | None = None
        self._ends: np.ndarray | None = None

    def count(self, points: np.ndarray) -> None:
        """Count a block's points (N, >= 2) per cell."""
        self.counts += np.bincount(self.grid.keys(points), minlength=self.grid.cells)

    def starts(self, dtype: type = np.int64) -> np.ndarray:
        """The cell table: where each cell's points start, and the end (cells + 1 values)."""
        starts = np.zeros(self.grid.cells + 1, dtype=dtype)
        np.cumsum(self.counts, out=starts[1:])
        self._cursor, self._ends = starts[:-1].astype(np.int64), starts[1:].astype(np.int64)
        return starts

    def place(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For a block's points (N, >= 2): the block's positions in cell order and where each goes."""
        if self._cursor is None:
            self.starts()
        assert self._cursor is not None
        keyed = self.grid.keys(points) << 32  # the cell in the high half, the position in the low
        keyed |= np.arange(len(keyed), dtype=np.int64)
        keyed.sort()
        keys = keyed >> 32
        runs = _run_starts(keys)
        cell_of_run = keys[runs]
        lengths = np.diff(np.append(runs, len(keys)))
        # Each point goes to its cell's cursor plus its place in the run: the runs' offsets spread over
        # their points by a running sum of their steps (np.repeat held the GIL for 130-230 ms a block of
        # 3M points, stalling the window while a 100M-point cloud was read; cumsum and indexing do not).
        offsets = self._cursor[cell_of_run] - runs
        steps = np.zeros(len(keys), dtype=np.int64)
        steps[runs] = np.diff(offsets, prepend=0)
        places = np.cumsum(steps, out=steps)
        places += np.arange(len(keys))
        self._cursor[cell_of_run] += lengths
        return keyed & 0xFFFFFFFF, places

    @property
    def complete(self) -> bool:
        """True when exactly the counted points were placed."""
        return self._cursor is not None and bool(np.array_equal(self._cursor, self._ends))


@dataclass
class PointIndex:
    """Points bucketed once into a grid of square cells in x and y, so each box only tests the points of
    the cells under it (a few thousand of millions).

    The index holds one int32 per point (the points in cell order, ascending within a cell) and one per
    cell: it shares the points, never copies them. Points read already in cell order (`over_arranged`)
    need no per-point array at all. Use it when many boxes are tested against the same cloud (object
    lists, exports, fitting, the crops of the orthographic views).
    """

    points: np.ndarray
    #: Cells read by the last query (for tests and benchmarks: a query's work is bounded by them).
    cells_touched: int = field(default=0, init=False, repr=False)
    #: Points read by the last query.
    points_examined: int = field(default=0, init=False, repr=False)
    #: Indices of the points in cell order; None when the points themselves are in cell order.
    _order: np.ndarray | None = field(init=False, repr=False)
    _starts: np.ndarray = field(init=False, repr=False)
    _grid: CellGrid = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.points = np.asarray(self.points)
        count = len(self.points)
        index_type = np.int32 if count < 2**31 - 1 else np.int64
        if count == 0:
            self._grid = CellGrid((0.0, 0.0), 1.0, (1, 1))
            self._order = np.zeros(0, dtype=index_type)
            self._starts = np.zeros(2, dtype=index_type)
            return
        lo, hi = column_bounds(self.points[:, :2])
        self._grid = CellGrid.covering(count, lo, hi)
        placer = CellPlacer(self._grid)
        for start in range(0, count, BUILD_BLOCK):
            placer.count(self.points[start : start + BUILD_BLOCK])
        self._starts = placer.starts(index_type)
        self._order = np.empty(count, dtype=index_type)
        for start in range(0, count, BUILD_BLOCK):
            local, places = placer.place(self.points[start : start + BUILD_BLOCK])
            self._order[places] = local + start

    @classmethod
    def over_arranged(cls, points: np.ndarray, grid: CellGrid, starts: np.ndarray) -> PointIndex:
        """The index of points already laid out cell by cell on ``grid`` (``starts``: the cell table of
        `CellPlacer.starts`); nothing is computed or copied."""
        index = cls.__new__(cls)
        index.points, index.cells_touched, index.points_examined = points, 0, 0
        index._order, index._starts, index._grid = None, starts, grid
        return index

    @property
    def arranged(self) -> bool:
        """True when the points lie in cell order (the index keeps no per-point array)."""
        return self._order is None

    def span_bounds(self, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For runs of consecutive points ``starts[k]:ends[k]`` (non-empty) of an `arranged` index, the x, y
        rectangles (lo, hi: (K, 2)) holding each run's points: the cells it spans, from the cell table alone
        (no point is read). A run within one column of cells spans its rows; one over several columns
        their whole height."""
        grid, table = self._grid, self._starts
        first = np.searchsorted(table, starts, side="right") - 1
        last = np.searchsorted(table, np.asarray(ends) - 1, side="right") - 1
        rows = grid.shape[1]
        col0, col1 = first // rows, last // rows
        same = col0 == col1
        row0 = np.where(same, first % rows, 0)
        row1 = np.where(same, last % rows, rows - 1)
        origin = np.asarray(grid.origin)
        # one cell of room each way: points beyond the grid's edge belong to its edge cells
        lo = origin + grid.cell * (np.stack([col0, row0], axis=1) - 1)
        hi = origin + grid.cell * (np.stack([col1, row1], axis=1) + 2)
        return lo, hi

    def _slices(self, lo: Sequence[float], hi: Sequence[float]) -> list[tuple[int, int]]:
        """Ranges of ``_order`` holding the points of the cells that meet the rectangle ``lo``-``hi``."""
        grid = self._grid
        c0, c1 = (int(v) for v in grid.columns(np.array([lo[0], hi[0]])))
        r0, r1 = (int(v) for v in grid.rows(np.array([lo[1], hi[1]])))
        if c1 < c0 or r1 < r0:  # (points beyond the grid lie in its edge cells: those are searched)
            self.cells_touched = 0
            return []
        self.cells_touched = (c1 - c0 + 1) * (r1 - r0 + 1)
        rows, starts = grid.shape[1], self._starts
        return [(int(starts[c * rows + r0]), int(starts[c * rows + r1 + 1])) for c in range(c0, c1 + 1)]

    def candidates(self, lo: Sequence[float], hi: Sequence[float], step: int = 1) -> np.ndarray:
        """Indices (unsorted) of the points in the cells that meet the rectangle ``lo``-``hi`` in x, y; with
        ``step``, every ``step``-th of them (an even sample, taken without gathering them all first)."""
        return self._gather([(a, b) for a, b in self._slices(lo, hi) if b > a], step)

    def _gather(self, slices: list[tuple[int, int]], step: int) -> np.ndarray:
        """Indices of every ``step``-th point of the non-empty ``slices`` of the cell order."""
        self.points_examined = sum(-(-(b - a) // step) for a, b in slices)
        if self._order is None:
            parts = [np.arange(a, b, step, dtype=np.int64) for a, b in slices]
        else:
            parts = [self._order[a:b:step] for a, b in slices]
        if not parts:
            return np.zeros(0, dtype=np.int64 if self._order is None else self._order.dtype)
        return np.concatenate(parts) if len(parts) > 1 else parts[0].copy()

    def indices_inside(self, cuboid: Cuboid, margin: float = 0.0, limit: int | None = None) -> np.ndarray:
        """Sorted indices of the points inside ``cuboid`` (grown by ``margin``); with ``limit``, of an even
        sample of them of about that many points when there are more (every k-th point of the cells
        under the box is tested, so the work stays bounded too)."""
        lo, hi = _grown_bounds(cuboid, margin)
        slices = [(a, b) for a, b in self._slices(lo, hi) if b > a]
        step = 1
        if limit is not None:
            total = sum(b - a for a, b in slices)
            step = max(1, -(-total // (2 * limit)))  # about half the cells' points are in the box
        if self._order is not None:
            found = self._gather(slices, step)
            return np.sort(found[_inside(cuboid, np.take(self.points, found, axis=0), margin)])
        # The cells' points lie in slices, in index order: test them where they lie, then turn the
        # positions of the hits into indices (no gather, no sort, nothing per candidate kept).
        sizes = np.array([-(-(b - a) // step) for a, b in slices], dtype=np.int64)
        self.points_examined = int(sizes.sum())
        if not slices:
            return np.zeros(0, dtype=np.int64)
        picked = np.concatenate([self.points[a:b:step] for a, b in slices])
        hits = np.flatnonzero(_inside(cuboid, picked, margin))
        firsts = np.array([a for a, _ in slices], dtype=np.int64)  # where each slice starts in the cloud
        begins = np.cumsum(sizes) - sizes  # and where it starts in ``picked``
        part = np.searchsorted(begins, hits, side="right") - 1
        return firsts[part] + (hits - begins[part]) * step

    def count_inside(self, cuboid: Cuboid, margin: float = 0.0) -> int:
        """Number of points inside ``cuboid``."""
        return len(self.indices_inside(cuboid, margin))


def _inside(cuboid: Cuboid, picked: np.ndarray, margin: float) -> np.ndarray:
    """Mask of the ``picked`` points inside ``cuboid`` grown by ``margin``. A box without pitch and roll
    (the common case) is tested in float32 with three column passes; others by `Cuboid.points_inside`."""
    if cuboid.pitch or cuboid.roll or picked.dtype != np.float32:
        return cuboid.points_inside(picked, margin)
    half = np.asarray(cuboid.size, dtype=np.float64) / 2.0 + margin
    centre = np.asarray(cuboid.center, dtype=np.float32)
    rotation = cuboid.rotation.astype(np.float32)
    dx, dy = picked[:, 0] - centre[0], picked[:, 1] - centre[1]
    mask = np.abs(picked[:, 2] - centre[2]) <= np.float32(half[2])
    mask &= np.abs(dx * rotation[0, 0] + dy * rotation[1, 0]) <= np.float32(half[0])
    mask &= np.abs(dx * rotation[0, 1] + dy * rotation[1, 1]) <= np.float32(half[1])
    return mask


def _grown_bounds(cuboid: Cuboid, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """World bounds of ``cuboid`` grown by ``margin`` on each side (a turned box grown reaches past its
    own bounds grown by the margin, as `Cuboid.points_inside` knows)."""
    half = np.asarray(cuboid.size, dtype=np.float64) / 2.0 + margin
    corners = cuboid.box_to_world(CORNER_SIGNS * half)
    return corners.min(axis=0), corners.max(axis=0)


def points_in_cuboids(points: np.ndarray, cuboids: Sequence[Cuboid]) -> np.ndarray:
    """For each point, the index of the first cuboid containing it, or -1 (vectorised over points)."""
    owner = np.full(len(points), -1, dtype=np.int32)
    if len(points) == 0 or not cuboids:
        return owner
    index = PointIndex(points)
    for i in range(len(cuboids) - 1, -1, -1):
        owner[index.indices_inside(cuboids[i])] = i
    return owner


def take_rows(array: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """The rows of ``array`` at ``indices``, a contiguous copy in memory (of a scratch array too). A
    contiguous array's rows are gathered with ``np.take``: rows of an (N, 3) array by fancy indexing took
    twice as long (600k of 20M points: 32 ms against about 12). Not so a strided view (a column of the
    points): ``np.take`` would copy the whole of it first."""
    if not array.flags["C_CONTIGUOUS"]:
        return np.ascontiguousarray(array[indices])
    return np.asarray(np.take(array, indices, axis=0))
