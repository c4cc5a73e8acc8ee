"""PCD (Point Cloud Library) files, v0.5 and v0.7: DATA ascii, binary and binary_compressed.

Binary data is read without parsing: the header becomes a numpy structured dtype with explicit
offsets and item size, ``np.frombuffer`` views the memory-mapped file through it, and only the
columns the cloud keeps are copied out. Padding fields named ``_`` are skipped, fields with
``COUNT 0`` take no bytes, fields with ``COUNT k > 1`` become (N, k) arrays, bytes after the last
point are ignored, and ``rgb``/``rgba`` packed in 32 bits are unpacked to (N, 3) uint8.
"""

from __future__ import annotations

import contextlib
import logging
import mmap
import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np

from annotator.io.errors import FormatError
from annotator.io.limits import ReadDeadline, check_budget
from annotator.io.pointcloud import lzf
from annotator.io.pointcloud.cloud import PointCloud, from_columns
from annotator.io.pointcloud.pcd_header import PcdField, PcdHeader, read_header
from annotator.io.pointcloud.table import parse_table

logger = logging.getLogger(__name__)

__all__ = ["PcdField", "PcdHeader", "read_pcd", "write_pcd"]

_ENCODINGS = ("ascii", "binary", "binary_compressed")


def read_pcd(path: str | Path) -> PointCloud:
    """Read a PCD file (any encoding) into a PointCloud; NaN points are dropped."""
    path = Path(path)
    with open(path, "rb") as f:
        header = read_header(path, f)
        decoded = header.points * (header.point_size + 12)  # the records, then the columns copied out
        check_budget(path, decoded, f"{header.points:,} points of {header.point_size} bytes")
        if header.data == "ascii":
            text = f.read()
            columns = _parse_ascii(path, header, text)
        elif header.data == "binary":
            columns = _read_binary(path, header, f)
        else:
            columns = _read_compressed(path, header, f)
    xyz = columns.pop("__xyz__")
    return from_columns(path, xyz, columns)


def _record_dtype(header: PcdHeader) -> np.dtype:
    """The numpy structured dtype of one point, padding and COUNT 0 fields left out."""
    names, formats, offsets = [], [], []
    for fld in header.fields:
        if fld.name == "_" or fld.count == 0:
            continue
        names.append(fld.name)
        formats.append((fld.dtype, (fld.count,)) if fld.count > 1 else fld.dtype)
        offsets.append(fld.offset)
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": header.point_size})


def _columns_from_buffer(buffer, offset: int, header: PcdHeader) -> dict[str, np.ndarray]:
    """Copy the xyz block and every named field out of binary point records in ``buffer``."""
    n = header.points
    dtype = _record_dtype(header)
    records = np.frombuffer(buffer, dtype=dtype, count=n, offset=offset)
    fx, fy, fz = (header.field(c) for c in "xyz")
    if (
        fx.dtype == fy.dtype == fz.dtype == np.dtype("<f4")
        and (fy.offset, fz.offset) == (fx.offset + 4, fx.offset + 8)
        and dtype.itemsize % 4 == 0
        and fx.offset % 4 == 0
    ):
        # x, y, z adjacent: view the records as float32 rows and copy the (N, 3) block at once.
        rows = np.frombuffer(buffer, dtype="<f4", count=n * dtype.itemsize // 4, offset=offset)
        first = fx.offset // 4
        xyz = np.array(rows.reshape(n, dtype.itemsize // 4)[:, first : first + 3], dtype=np.float32)
    else:
        xyz = np.empty((n, 3), dtype=np.float32)
        for k, fld in enumerate((fx, fy, fz)):
            xyz[:, k] = records[fld.name]
    columns: dict[str, np.ndarray] = {"__xyz__": xyz}
    for fld in header.fields:
        if fld.name in ("_", "x", "y", "z") or fld.count == 0:
            continue
        columns[fld.name] = np.array(records[fld.name], dtype=fld.dtype.newbyteorder("="))
    return columns


def _read_binary(path: Path, header: PcdHeader, f: BinaryIO) -> dict[str, np.ndarray]:
    offset = f.tell()
    size = path.stat().st_size
    need = header.points * header.point_size
    if size - offset < need:
        raise FormatError(
            path,
            f"truncated binary data: {header.points} points of {header.point_size} bytes need "
            f"{need} bytes after the header, the file has {size - offset}",
        )
    if size - offset > need:
        logger.debug("%s: %d bytes after the last point ignored", path, size - offset - need)
    if need == 0:
        return _columns_from_buffer(b"", 0, header)
    mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        return _columns_from_buffer(mm, offset, header)  # copies: no array keeps the map alive
    finally:
        with contextlib.suppress(BufferError):  # a traceback may still hold a view: GC closes it
            mm.close()


def _read_compressed(path: Path, header: PcdHeader, f: BinaryIO) -> dict[str, np.ndarray]:
    sizes = f.read(8)
    if len(sizes) < 8:
        raise FormatError(path, "truncated binary_compressed data: missing the two size words")
    compressed_size, raw_size = struct.unpack("<II", sizes)
    need = header.points * header.point_size
    if raw_size > lzf.MAX_EXPANSION * compressed_size + 64:
        raise FormatError(
            path, f"binary_compressed data: {compressed_size} bytes cannot expand to the {raw_size} announced"
        )
    check_budget(path, raw_size, "the binary_compressed data")
    if raw_size < need:
        raise FormatError(
            path, f"binary_compressed data holds {raw_size} bytes, {header.points} points need {need}"
        )
    payload = f.read(compressed_size)
    if len(payload) < compressed_size:
        raise FormatError(
            path,
            f"truncated binary_compressed data: {compressed_size} bytes announced, {len(payload)} present",
        )
    try:
        raw = lzf.decompress(payload, raw_size, ReadDeadline(path).check)
    except lzf.LZFError as exc:
        raise FormatError(path, f"corrupt binary_compressed data: {exc}") from None
    n = header.points
    columns: dict[str, np.ndarray] = {}
    xyz = np.empty((n, 3), dtype=np.float32)
    start = 0
    for fld in header.fields:  # field-major: all x, then all y, ...
        nbytes = n * fld.size * fld.count
        if fld.name != "_" and fld.count > 0:
            values = np.frombuffer(raw, dtype=fld.dtype, count=n * fld.count, offset=start)
            if fld.name in ("x", "y", "z"):
                xyz[:, "xyz".index(fld.name)] = values
            else:
                values = values.astype(fld.dtype.newbyteorder("="))
                columns[fld.name] = values.reshape(n, fld.count) if fld.count > 1 else values
        start += nbytes
    columns["__xyz__"] = xyz
    return columns


def _parse_ascii(path: Path, header: PcdHeader, text: bytes) -> dict[str, np.ndarray]:
    n = header.points
    width = sum(fld.count for fld in header.fields)
    values = parse_table(path, text, first_line=header.data_line + 1, width=width, rows=n, unit="points")
    columns: dict[str, np.ndarray] = {}
    xyz = np.empty((n, 3), dtype=np.float32)
    col = 0
    for fld in header.fields:
        block = values[:, col : col + fld.count]
        if fld.name in ("x", "y", "z"):
            xyz[:, "xyz".index(fld.name)] = block[:, 0]
        elif fld.name != "_" and fld.count > 0:
            if fld.name.lower() in ("rgb", "rgba") and fld.kind == "F":
                block = block.astype(np.float32)  # packed colour: the float's bits are the colour
            arr = block.astype(fld.dtype.newbyteorder("="))
            columns[fld.name] = arr[:, 0] if fld.count == 1 else arr
        col += fld.count
    columns["__xyz__"] = xyz
    return columns


def write_pcd(path: str | Path, cloud: PointCloud, encoding: str = "binary") -> None:
    """Write ``cloud`` as a PCD v0.7 file: ``encoding`` is "binary", "ascii" or "binary_compressed".

    Fields: x y z (float32), then every field of the cloud; ``rgb`` is packed PCL-style into one
    unsigned 32-bit value, (N, k) fields get ``COUNT k``.
    """
    if encoding not in _ENCODINGS:
        raise ValueError(f"encoding must be one of {_ENCODINGS}, got {encoding!r}")
    path = Path(path)
    n = len(cloud)
    columns: list[tuple[str, np.ndarray]] = [
        ("x", cloud.xyz[:, 0]),
        ("y", cloud.xyz[:, 1]),
        ("z", cloud.xyz[:, 2]),
    ]
    for name, values in cloud.fields.items():
        if not name or any(ch.isspace() for ch in name) or name in ("x", "y", "z", "_"):
            raise ValueError(f"field name {name!r} cannot be written to PCD")
        values = np.asarray(values)
        if name == "rgb" and values.ndim == 2 and values.shape[1] == 3:
            rgb = values.astype(np.uint32)
            values = (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
        if values.dtype == np.bool_:
            values = values.astype(np.uint8)
        if values.dtype.kind not in "fiu":
            raise ValueError(f"field {name!r} has dtype {values.dtype}, which PCD cannot store")
        columns.append((name, values.astype(values.dtype.newbyteorder("<"), copy=False)))
    counts = [1 if v.ndim == 1 else int(np.prod(v.shape[1:])) for _, v in columns]
    lines = [
        "# .PCD v0.7 - Point Cloud Data file format",
        "VERSION 0.7",
        "FIELDS " + " ".join(name for name, _ in columns),
        "SIZE " + " ".join(str(v.dtype.itemsize) for _, v in columns),
        "TYPE " + " ".join({"f": "F", "i": "I", "u": "U"}[v.dtype.kind] for _, v in columns),
        "COUNT " + " ".join(map(str, counts)),
        f"WIDTH {n}",
        "HEIGHT 1",
        "VIEWPOINT 0 0 0 1 0 0 0",
        f"POINTS {n}",
        f"DATA {encoding}",
    ]
    head = ("\n".join(lines) + "\n").encode("ascii")
    with open(path, "wb") as f:
        f.write(head)
        f.write(_body(columns, counts, n, encoding))


def _body(columns: list[tuple[str, np.ndarray]], counts: list[int], n: int, encoding: str) -> bytes:
    """The data section of a PCD file for the given columns."""
    if encoding == "binary":
        dtype = np.dtype(
            [
                (f"f{k}", v.dtype, (c,)) if c > 1 else (f"f{k}", v.dtype)
                for k, ((_, v), c) in enumerate(zip(columns, counts))
            ]
        )
        records = np.empty(n, dtype=dtype)
        for k, ((_, values), c) in enumerate(zip(columns, counts)):
            records[f"f{k}"] = values.reshape((n, c) if c > 1 else n)
        return records.tobytes()
    if encoding == "binary_compressed":  # field-major: all x, then all y, ...
        raw = b"".join(np.ascontiguousarray(v).tobytes() for _, v in columns)
        packed = lzf.compress(raw)
        return struct.pack("<II", len(packed), len(raw)) + packed
    if n == 0:
        return b""
    formats = []
    for (_, v), c in zip(columns, counts):
        formats += [("%.9g" if v.dtype.itemsize <= 4 else "%.17g") if v.dtype.kind == "f" else "%d"] * c
    table = np.column_stack([v.reshape(n, c).astype(object) for (_, v), c in zip(columns, counts)])
    line = " ".join(formats)
    return ("\n".join(line % tuple(row) for row in table) + "\n").encode("ascii")
