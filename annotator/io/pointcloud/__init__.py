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

from annotator.io.errors import FormatError
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

logger = logging.getLogger(__name__)

__all__ = [
    "PointCloud",
    "Reader",
    "read_point_cloud",
    "register_reader",
    "supported_suffixes",
    "write_kitti_bin",
    "write_pcd",
    "write_ply",
]

Reader = Callable[[Path], PointCloud]

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
