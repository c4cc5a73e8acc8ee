"""The points of a large fixed-record file near one box, read block by block (no copy of the whole cloud).

Used where one box's surroundings are wanted from a cloud that is not loaded (the track strip's crops):
a 100M-point KITTI ``.bin`` is 1.6 GB, while the points near a car are a few thousand. Each block of the
file is tested against the box's bounds first (two column comparisons), then the few points left against
the box itself.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.io.pointcloud.raw import READ_BLOCK, float_blocks
from annotator.io.pointcloud.sample import record_width

logger = logging.getLogger(__name__)

__all__ = ["points_near"]


def points_near(
    path: str | Path, cuboid: Cuboid, margin: float, block: int = READ_BLOCK
) -> np.ndarray | None:
    """The points (M, 3) float32 of ``path`` inside ``cuboid`` grown by ``margin``, in file order, read
    ``block`` points at a time; None for formats without fixed records (read those whole). Raises
    FormatError for a bad file."""
    path = Path(path)
    width = record_width(path)
    if width is None:
        return None
    corners = cuboid.grown(margin).corners()
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    found = []
    for _, records in float_blocks(path, width, block):
        x, y = records[:, 0], records[:, 1]
        candidates = np.flatnonzero((x >= lo[0]) & (x <= hi[0]))
        candidates = candidates[(y[candidates] >= lo[1]) & (y[candidates] <= hi[1])]
        points = records[candidates, :3]
        found.append(points[cuboid.points_inside(points, margin=margin)])
    near = np.concatenate(found) if found else np.zeros((0, 3), dtype=np.float32)
    logger.debug("%s: %d points near the box", path, len(near))
    return np.ascontiguousarray(near, dtype=np.float32)
