"""Reading a large fixed-record cloud straight into cell order, indexed on the way.

A KITTI ``.bin`` or nuScenes ``.pcd.bin`` file is read twice, block by block: first to count the points
of each grid cell (and find the bounds), then to write each block's points to their places, cell by
cell. The result is the cloud's arrays in cell order plus a `PointIndex` that keeps no per-point array:
no copy of the file, no sort or permutation of the whole cloud, no temporary larger than a block. A box
query then reads a few contiguous slices (see `annotator.core.cuboids.point_index`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from annotator.core.cuboids.point_index import CellGrid, CellPlacer, PointIndex, column_bounds
from annotator.io.errors import FormatError
from annotator.io.pointcloud.backing import release, scratch_array
from annotator.io.pointcloud.cloud import PointCloud, from_columns
from annotator.io.pointcloud.raw import float_blocks, record_count
from annotator.io.pointcloud.sample import read_sample, record_width

logger = logging.getLogger(__name__)

__all__ = ["read_arranged"]

#: Most points placed per block (the temporaries take about 80 bytes a point of a block); a cloud is
#: placed in at least `ARRANGE_BLOCKS` blocks, so they stay a small share of its size. Big blocks write
#: longer runs of each cell at a time (100M points: 22 s with blocks of 3M, 37 s with blocks of 1M).
ARRANGE_BLOCK = 1 << 22
ARRANGE_BLOCKS = 32
#: Points of the sample the grid is laid over (its extent; points beyond it fall in the edge cells).
GRID_SAMPLE = 20_000


def read_arranged(path: str | Path, out_of_core: bool = False) -> tuple[PointCloud, PointIndex] | None:
    """The cloud of a fixed-record file in cell order, with its index; None for other formats and for
    files with NaN or infinite coordinates (read those with `read_point_cloud`). Raises FormatError for a
    bad file, or one that changes while it is read. ``out_of_core``: the arrays lie in a scratch file
    (`annotator.io.pointcloud.backing`), handed back to it once written."""
    path = Path(path)
    width = record_width(path)
    if width is None:
        return None
    count = record_count(path, width)
    sample = read_sample(path, GRID_SAMPLE)
    assert sample is not None
    if len(sample) == 0:
        return None
    sample_lo, sample_hi = column_bounds(sample.xyz)
    placer = CellPlacer(CellGrid.covering(count, sample_lo[:2], sample_hi[:2]))
    lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
    size = min(ARRANGE_BLOCK, max(1 << 16, count // ARRANGE_BLOCKS))
    for _, block in float_blocks(path, width, size):
        block_lo, block_hi = column_bounds(block[:, :3])
        if not (np.isfinite(block_lo).all() and np.isfinite(block_hi).all()):
            return None  # NaN points are dropped by the plain reader
        lo, hi = np.minimum(lo, block_lo), np.maximum(hi, block_hi)
        placer.count(block)
    starts = placer.starts(np.int32 if count < 2**31 - 1 else np.int64)
    make = scratch_array if out_of_core else np.empty
    xyz, rest = make((count, 3), np.float32), make((count, width - 3), np.float32)
    for _, block in float_blocks(path, width, size):
        local, places = placer.place(block)
        rows = block.view(np.dtype((np.void, block.strides[0]))).reshape(-1)[local].view("<f4")
        rows = rows.reshape(len(block), width)  # the block in cell order, each record moved as one item
        _scatter_rows(xyz, places, rows[:, :3])
        _scatter_rows(rest, places, rows[:, 3:])
    if not placer.complete:
        raise FormatError(path, "the file changed while it was read")
    columns = {"intensity": rest[:, 0]}
    if width == 5:
        columns = {"intensity": make((count,), np.float32), "ring": rest[:, 1]}
        columns["intensity"][:] = rest[:, 0]
    cloud = from_columns(path, xyz, columns)
    for values in (xyz, rest, columns["intensity"]):
        release(values)  # written and checked: out of core, the pages go back to the scratch file
    logger.debug("%s: %d points read in cell order, bounds %s-%s", path, count, lo, hi)
    return cloud, PointIndex.over_arranged(cloud.xyz, placer.grid, starts)


#: Rows scattered per step (`_scatter_rows`): a bounded step of work between two chances for other threads.
SCATTER_STEP = 1 << 18


def _scatter_rows(target: np.ndarray, places: np.ndarray, rows: np.ndarray) -> None:
    """``target[places] = rows`` for float32 rows, each row moved as one item (twice as fast as numpy's
    row-by-row assignment of a 2-D fancy index), `SCATTER_STEP` rows at a time."""
    item = np.dtype((np.void, 4 * target.shape[1]))
    flat, moved = target.view(item).reshape(-1), np.ascontiguousarray(rows).view(item).reshape(-1)
    for start in range(0, len(places), SCATTER_STEP):
        flat[places[start : start + SCATTER_STEP]] = moved[start : start + SCATTER_STEP]
