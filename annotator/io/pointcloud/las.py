"""LAS/LAZ files through laspy (imported on first use).

Coordinates are the scaled ones (``las.x``, ...) cast to float32 with nothing subtracted, so clouds
in projected coordinates (UTM, ...) lose precision; a warning is logged for them. Intensity becomes
float32 in [0, 1]: divided by 255 when every value fits 8 bits, else by 65535. Colours are scaled
from 16 to 8 bits (``>> 8``) unless every value already fits 8 bits. ``gps_time`` becomes
``time``; ``classification``, ``return_number`` and extra-bytes dimensions are kept as they are.
LAZ needs a laspy LAZ backend (the ``lazrs`` or ``laszip`` package).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from annotator.io.errors import FormatError
from annotator.io.limits import check_budget, check_present
from annotator.io.pointcloud.cloud import PointCloud, from_columns

logger = logging.getLogger(__name__)

__all__ = ["read_las"]

_KEPT = ("classification", "return_number", "number_of_returns")


def read_las(path: str | Path) -> PointCloud:
    """Read a ``.las`` or ``.laz`` file into a PointCloud (float32 coordinates, see the module)."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise FormatError(path, "empty file")
    try:
        import laspy
    except ImportError:  # pragma: no cover - laspy is a dependency
        raise FormatError(path, "reading LAS/LAZ needs the 'laspy' package") from None
    _check_header(path, laspy)
    try:
        las = laspy.read(path)
    except laspy.errors.LaspyException as exc:
        message = str(exc)
        if "LazBackend" in message or ("laz" in message.lower() and "backend" in message.lower()):
            message = "LAZ decompression needs the 'lazrs' or 'laszip' package (pip install lazrs)"
        raise FormatError(path, message) from None
    except (ValueError, OSError, EOFError) as exc:
        raise FormatError(path, f"not a readable LAS file: {exc}") from None
    except Exception as exc:  # the LAZ backends (lazrs, laszip) raise their own error types
        raise FormatError(path, f"not a readable LAS/LAZ file: {type(exc).__name__}: {exc}") from None
    n = len(las.points)
    xyz = np.empty((n, 3), dtype=np.float32)
    xyz[:, 0] = las.x
    xyz[:, 1] = las.y
    xyz[:, 2] = las.z
    dims = set(las.point_format.dimension_names)
    columns: dict[str, np.ndarray] = {}
    if "intensity" in dims:
        raw = np.asarray(las.intensity)
        scale = 255.0 if n == 0 or int(raw.max()) <= 255 else 65535.0
        columns["intensity"] = (raw / scale).astype(np.float32)
    if {"red", "green", "blue"} <= dims:
        rgb = np.stack([np.asarray(las.red), np.asarray(las.green), np.asarray(las.blue)], axis=1)
        if n and int(rgb.max()) > 255:
            rgb = rgb >> 8
        columns["rgb"] = rgb.astype(np.uint8)
    if "gps_time" in dims:
        columns["time"] = np.asarray(las.gps_time, dtype=np.float64)
    for name in _KEPT:
        if name in dims:
            columns[name] = np.array(las[name])
    for name in las.point_format.extra_dimension_names:
        columns[name] = np.array(las[name])
    return from_columns(path, xyz, columns)


#: Most points a LAZ file may declare per compressed byte (real LAZ needs 2-10 bytes a point).
_LAZ_POINTS_PER_BYTE = 16


def _check_header(path: Path, laspy: Any) -> None:
    """Compare the point count and data offset the header declares with the file, before decoding."""
    size = path.stat().st_size
    try:
        with laspy.open(path) as reader:
            header = reader.header
            count, record = int(header.point_count), int(header.point_format.size)
            offset, compressed = int(header.offset_to_point_data), bool(header.are_points_compressed)
    except laspy.errors.LaspyException:
        return  # laspy.read names the problem
    except (ValueError, OSError, EOFError, OverflowError, MemoryError) as exc:
        raise FormatError(path, f"not a readable LAS file: {exc}") from None
    if offset > size:
        raise FormatError(path, f"point data offset {offset:,} is past the end of the file ({size:,} bytes)")
    check_budget(path, count * (record + 32), f"{count:,} points of {record} bytes")
    if compressed:
        if count > _LAZ_POINTS_PER_BYTE * (size - offset) + 64:
            raise FormatError(path, f"{count:,} points declared in {size - offset:,} bytes of LAZ data")
    else:
        check_present(path, count * record, size - offset, f"{count:,} points of {record} bytes")
