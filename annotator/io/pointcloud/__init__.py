"""Point-cloud readers and writers: one ``read_point_cloud`` for every supported format.

``read_point_cloud(path)`` picks a reader by the file's suffix (case-insensitive, the longest
registered suffix wins, so ``.pcd.bin`` is nuScenes while ``.bin`` is KITTI) and returns a
:class:`PointCloud`: float32 ``xyz`` (N, 3) plus canonical ``fields`` (``intensity``, ``rgb``,
``ring``, ``time``, ...). Points with NaN or infinite coordinates are dropped. Every malformed
or unreadable input raises :class:`annotator.io.errors.FormatError` naming the file.

Coordinates are float32 whatever the file stores (see :mod:`annotator.io.pointcloud.cloud`).
No Qt, no VTK; open3d is never used, laspy is imported only to read LAS/LAZ.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable, Iterable
from pathlib import Path

from annotator.core.cuboids.point_index import PointIndex
from annotator.io.errors import FormatError
from annotator.io.pointcloud.arranged import read_arranged
from annotator.io.pointcloud.cloud import PointCloud
from annotator.io.pointcloud.las import read_las
from annotator.io.pointcloud.pcd import read_pcd, write_pcd
from annotator.io.pointcloud.ply import read_ply, write_ply
from annotator.io.pointcloud.raw import (
    read_kitti_bin,
    read_npy,
    read_npz,
    read_nuscenes_bin,
    read_text,
    write_kitti_bin,
)
from annotator.io.pointcloud.sample import point_count, read_sample

logger = logging.getLogger(__name__)

__all__ = [
    "PointCloud",
    "Reader",
    "point_count",
    "read_indexed",
    "read_point_cloud",
    "read_sample",
    "register_reader",
    "supported_suffixes",
    "write_kitti_bin",
    "write_pcd",
    "write_ply",
]

Reader = Callable[[Path], PointCloud]

#: Fixed-record files of at least this many points are read in cell order with their index.
ARRANGE_FROM = 1_000_000
#: Fixed-record files of at least this many points are read out of core: into a scratch file, whose pages
#: the kernel may drop (see `annotator.io.pointcloud.backing`).
OUT_OF_CORE_FROM = 50_000_000

_READERS: dict[str, Reader] = {
    ".pcd": read_pcd,
    ".ply": read_ply,
    ".bin": read_kitti_bin,
    ".pcd.bin": read_nuscenes_bin,
    ".npy": read_npy,
    ".npz": read_npz,
    ".las": read_las,
    ".laz": read_las,
    ".xyz": read_text,
    ".pts": read_text,
    ".txt": read_text,
}


def _normalise(suffix: str) -> str:
    suffix = suffix.strip().lower()
    if not suffix or suffix == ".":
        raise ValueError("empty suffix")
    return suffix if suffix.startswith(".") else "." + suffix


def register_reader(suffixes: str | Iterable[str], func: Reader) -> None:
    """Register ``func(path) -> PointCloud`` for one or more suffixes (".pcd", "las", ".pcd.bin").

    A later registration for the same suffix replaces the earlier one. ``func`` should raise
    FormatError for malformed input.
    """
    if isinstance(suffixes, str):
        suffixes = [suffixes]
    for suffix in suffixes:
        _READERS[_normalise(suffix)] = func


def supported_suffixes() -> tuple[str, ...]:
    """The registered suffixes, sorted, with leading dots (".bin", ".las", ...)."""
    return tuple(sorted(_READERS))


def _reader_for(path: Path) -> Reader | None:
    name = path.name.lower()
    matches = [suffix for suffix in _READERS if name.endswith(suffix) and len(name) > len(suffix)]
    return _READERS[max(matches, key=len)] if matches else None


def read_point_cloud(path: str | Path) -> PointCloud:
    """Read a point cloud, choosing the reader by suffix; raise FormatError for any bad input."""
    path = Path(path)
    reader = _reader_for(path)
    if reader is None:
        suffix = "".join(path.suffixes) or "(none)"
        raise FormatError(
            path, f"unsupported point-cloud format {suffix!r}; supported: {', '.join(supported_suffixes())}"
        )
    if not path.exists():
        raise FormatError(path, "no such file")
    if not path.is_file():
        raise FormatError(path, "not a file")
    try:
        cloud = reader(path)
    except FormatError:
        raise
    except (OSError, ValueError, EOFError, struct.error, IndexError, KeyError, TypeError) as exc:
        logger.debug("reader for %s failed", path, exc_info=True)
        raise FormatError(path, f"cannot read: {type(exc).__name__}: {exc}") from exc
    logger.debug("read %s: %d points, fields %s", path, len(cloud), list(cloud.fields))
    return cloud


def read_indexed(path: str | Path) -> tuple[PointCloud, PointIndex | None]:
    """`read_point_cloud`, except that a large KITTI / nuScenes ``.bin`` comes in cell order with its
    point index (see `annotator.io.pointcloud.arranged`), out of core from `OUT_OF_CORE_FROM` points;
    other files come as read, without an index."""
    path = Path(path)
    if not path.is_file() or _reader_for(path) not in (read_kitti_bin, read_nuscenes_bin):
        return read_point_cloud(path), None
    try:
        count = point_count(path)
        found = (
            read_arranged(path, out_of_core=count >= OUT_OF_CORE_FROM)
            if count is not None and count >= ARRANGE_FROM
            else None
        )
    except FormatError:
        raise
    except (OSError, ValueError, IndexError, MemoryError) as exc:  # IndexError: the file grew meanwhile
        logger.debug("reading %s in cell order failed", path, exc_info=True)
        raise FormatError(path, f"cannot read: {type(exc).__name__}: {exc}") from exc
    if found is None:
        return read_point_cloud(path), None
    logger.debug("read %s in cell order: %d points", path, len(found[0]))
    return found
