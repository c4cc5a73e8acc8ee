"""PLY files (ascii, binary little and big endian): the ``vertex`` element becomes the cloud.

The header becomes a numpy structured dtype and binary vertex data is read with ``np.frombuffer``.
Other elements (faces, edges) are skipped: those before ``vertex`` by their size (walking list
properties item by item where needed), those after it are never read. ``red``/``green``/``blue``
become ``rgb`` (N, 3) uint8; ``intensity`` and other scalar properties become fields.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from annotator.io.errors import FormatError
from annotator.io.limits import check_budget
from annotator.io.pointcloud.cloud import PointCloud, from_columns
from annotator.io.pointcloud.table import parse_table

logger = logging.getLogger(__name__)

__all__ = ["read_ply", "write_ply"]

_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1",
    "short": "i2", "int16": "i2", "ushort": "u2", "uint16": "u2",
    "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}  # fmt: skip
_NAMES = {
    "i1": "char",
    "u1": "uchar",
    "i2": "short",
    "u2": "ushort",
    "i4": "int",
    "u4": "uint",
    "f4": "float",
    "f8": "double",
}
_FORMATS = {"ascii": "", "binary_little_endian": "<", "binary_big_endian": ">"}
_MAX_HEADER_LINES = 10_000


@dataclass
class _Property:
    name: str
    type: str  # numpy code without byte order, e.g. "f4"
    list_count_type: str | None = None  # set for list properties


@dataclass
class _Element:
    name: str
    count: int
    line: int
    properties: list[_Property] = field(default_factory=list)

    def dtype(self, order: str) -> np.dtype:
        return np.dtype([(p.name, order + p.type) for p in self.properties])


def _parse_type(path: Path, name: str, line: int) -> str:
    try:
        return _TYPES[name]
    except KeyError:
        raise FormatError(path, f"unknown property type {name!r}", line=line) from None


def _read_header(path: Path, f: BinaryIO) -> tuple[str, list[_Element], int]:
    """Return (format, elements, number of header lines); ``f`` is left at the first data byte."""
    first = f.readline(64)
    if not first:
        raise FormatError(path, "empty file")
    if first.strip() != b"ply":
        raise FormatError(path, "not a PLY file: the first line is not 'ply'", line=1)
    fmt = ""
    elements: list[_Element] = []
    lineno = 1
    while True:
        raw = f.readline(1 << 16)
        lineno += 1
        if not raw or lineno > _MAX_HEADER_LINES:
            raise FormatError(path, "header has no end_header line", line=lineno)
        try:
            words = raw.decode("ascii").split()
        except UnicodeDecodeError:
            raise FormatError(path, "binary bytes in the header", line=lineno) from None
        if not words or words[0] in ("comment", "obj_info"):
            continue
        key = words[0]
        if key == "end_header":
            break
        if key == "format":
            if len(words) < 2 or words[1] not in _FORMATS:
                raise FormatError(
                    path, f"unknown format {' '.join(words[1:])!r}", line=lineno, field="format"
                )
            fmt = words[1]
        elif key == "element":
            if len(words) != 3 or not words[2].isdigit():
                raise FormatError(path, "expected 'element <name> <count>'", line=lineno)
            elements.append(_Element(words[1], int(words[2]), lineno))
        elif key == "property":
            if not elements:
                raise FormatError(path, "property before any element", line=lineno)
            if len(words) == 5 and words[1] == "list":
                prop = _Property(
                    words[4], _parse_type(path, words[3], lineno), _parse_type(path, words[2], lineno)
                )
            elif len(words) == 3:
                prop = _Property(words[2], _parse_type(path, words[1], lineno))
            else:
                raise FormatError(path, "expected 'property <type> <name>'", line=lineno)
            elements[-1].properties.append(prop)
        else:
            raise FormatError(path, f"unexpected header keyword {key!r}", line=lineno)
    if not fmt:
        raise FormatError(path, "header has no format line")
    return fmt, elements, lineno


def read_ply(path: str | Path) -> PointCloud:
    """Read the ``vertex`` element of a PLY file into a PointCloud; NaN points are dropped."""
    path = Path(path)
    with open(path, "rb") as f:
        fmt, elements, header_lines = _read_header(path, f)
        index = next((k for k, e in enumerate(elements) if e.name == "vertex"), None)
        if index is None:
            raise FormatError(path, "no 'vertex' element")
        vertex = elements[index]
        names = [p.name for p in vertex.properties]
        if any(p.list_count_type for p in vertex.properties):
            raise FormatError(
                path, "list properties in the vertex element are not supported", line=vertex.line
            )
        missing = [axis for axis in "xyz" if axis not in names]
        if missing:
            raise FormatError(path, f"vertex element has no {', '.join(missing)} property", line=vertex.line)
        if len(set(names)) != len(names):
            raise FormatError(path, "duplicate vertex property names", line=vertex.line)
        record_size = vertex.dtype("=").itemsize
        check_budget(path, vertex.count * (record_size + 12), f"{vertex.count:,} vertices")
        if fmt == "ascii":
            records = _read_ascii(path, f, elements[:index], vertex, header_lines)
        else:
            records = _read_binary(path, f, elements[:index], vertex, _FORMATS[fmt])
    xyz = np.empty((len(records), 3), dtype=np.float32)
    for k, axis in enumerate("xyz"):
        xyz[:, k] = records[axis]
    columns = {
        name: np.array(records[name], dtype=records.dtype[name].newbyteorder("="))
        for name in names
        if name not in ("x", "y", "z")
    }
    return from_columns(path, xyz, columns)


def _skip_binary(path: Path, f: BinaryIO, element: _Element, order: str) -> None:
    """Move past an element's binary data, walking list properties one item at a time."""
    if not any(p.list_count_type for p in element.properties):
        f.seek(element.count * element.dtype(order).itemsize, 1)
        return
    for _ in range(element.count):
        for prop in element.properties:
            if prop.list_count_type is None:
                f.seek(np.dtype(prop.type).itemsize, 1)
                continue
            code = np.dtype(order + prop.list_count_type)
            raw = f.read(code.itemsize)
            if len(raw) < code.itemsize:
                raise FormatError(path, f"truncated data in element {element.name!r}", field=prop.name)
            count = int(np.frombuffer(raw, dtype=code)[0])
            f.seek(count * np.dtype(prop.type).itemsize, 1)


def _read_binary(path: Path, f: BinaryIO, before: list[_Element], vertex: _Element, order: str) -> np.ndarray:
    for element in before:
        _skip_binary(path, f, element, order)
    dtype = vertex.dtype(order)
    need = vertex.count * dtype.itemsize
    data = f.read(min(need, path.stat().st_size - f.tell()))  # never a buffer the file cannot fill
    if len(data) < need:
        raise FormatError(
            path, f"truncated vertex data: {vertex.count} vertices need {need} bytes, {len(data)} present"
        )
    return np.frombuffer(data, dtype=dtype, count=vertex.count)


def _read_ascii(
    path: Path, f: BinaryIO, before: list[_Element], vertex: _Element, header_lines: int
) -> np.ndarray:
    skip = sum(e.count for e in before)  # one line per item, lists included
    data = f.read()
    if skip:
        ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
        data = data[int(ends[skip - 1]) + 1 :] if len(ends) >= skip else b""
    values = parse_table(
        path,
        data,
        first_line=header_lines + 1 + skip,
        width=len(vertex.properties),
        rows=vertex.count,
        unit="vertices",
    )
    records = np.empty(vertex.count, dtype=vertex.dtype("="))
    for k, prop in enumerate(vertex.properties):
        records[prop.name] = values[:, k]
    return records


def write_ply(
    path: str | Path,
    cloud: PointCloud,
    binary: bool = True,
    *,
    double: bool = False,
    big_endian: bool = False,
) -> None:
    """Write ``cloud`` as a PLY with one ``vertex`` element.

    x, y, z as float (double when ``double``), ``rgb`` as uchar red/green/blue, other fields as
    scalar properties ((N, k) fields as ``name_0`` ... ``name_{k-1}``). Binary is little endian
    unless ``big_endian``.
    """
    path = Path(path)
    n = len(cloud)
    coord = "f8" if double else "f4"
    columns: list[tuple[str, np.ndarray]] = [
        (axis, cloud.xyz[:, k].astype(coord)) for k, axis in enumerate("xyz")
    ]
    for name, values in cloud.fields.items():
        values = np.asarray(values)
        if name == "rgb":
            columns += [(c, values[:, k].astype(np.uint8)) for k, c in enumerate(("red", "green", "blue"))]
            continue
        if values.dtype == np.bool_:
            values = values.astype(np.uint8)
        if values.dtype.kind in "iu" and values.dtype.itemsize == 8:
            values = values.astype(np.float64)  # PLY has no 64-bit integers
        if values.dtype.str[1:] not in _NAMES:
            raise ValueError(f"field {name!r} has dtype {values.dtype}, which PLY cannot store")
        if values.ndim == 1:
            columns.append((name, values))
        else:
            flat = values.reshape(n, int(np.prod(values.shape[1:])))
            columns += [(f"{name}_{k}", flat[:, k]) for k in range(flat.shape[1])]
    fmt = "ascii" if not binary else "binary_big_endian" if big_endian else "binary_little_endian"
    head = ["ply", f"format {fmt} 1.0", "comment written by annotator", f"element vertex {n}"]
    head += [f"property {_NAMES[v.dtype.str[1:]]} {name}" for name, v in columns]
    head.append("end_header")
    with open(path, "wb") as f:
        f.write(("\n".join(head) + "\n").encode("ascii"))
        if binary:
            order = ">" if big_endian else "<"
            records = np.empty(n, dtype=[(name, order + v.dtype.str[1:]) for name, v in columns])
            for name, v in columns:
                records[name] = v
            f.write(records.tobytes())
        elif n:
            fmts = [_ascii_format(v.dtype) for _, v in columns]
            table = np.column_stack([v.astype(object) for _, v in columns])
            line = " ".join(fmts)
            f.write(("\n".join(line % tuple(row) for row in table) + "\n").encode("ascii"))


def _ascii_format(dtype: np.dtype) -> str:
    """A printf format that writes values of ``dtype`` exactly."""
    if dtype.kind != "f":
        return "%d"
    return "%.17g" if dtype.itemsize == 8 else "%.9g"
