"""The header of a PCD file: parsed, checked, and turned into field offsets."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from annotator.io.errors import FormatError

logger = logging.getLogger(__name__)

__all__ = ["PcdField", "PcdHeader", "read_header"]

_MAX_HEADER_LINES = 200
_MAX_LINE = 1 << 16
_VALID_SIZES = {"F": (2, 4, 8), "I": (1, 2, 4, 8), "U": (1, 2, 4, 8)}
_KEYS = ("VERSION", "FIELDS", "SIZE", "TYPE", "COUNT", "WIDTH", "HEIGHT", "VIEWPOINT", "POINTS", "DATA")


@dataclass(frozen=True)
class PcdField:
    """One PCD field: its name, byte size per value, type letter, count and offset in a point."""

    name: str
    size: int
    kind: str
    count: int
    offset: int

    @property
    def dtype(self) -> np.dtype:
        """The little-endian numpy dtype of one value (raw bytes for padding fields)."""
        if self.name == "_":
            return np.dtype(f"V{max(self.size, 1)}")
        return np.dtype(f"<{self.kind.lower()}{self.size}")


@dataclass(frozen=True)
class PcdHeader:
    """A parsed PCD header; ``data_line`` is the 1-based line number of the DATA line."""

    version: str
    fields: tuple[PcdField, ...]
    width: int
    height: int
    points: int
    data: str
    data_line: int

    @property
    def point_size(self) -> int:
        """Bytes per point in binary data (padding included)."""
        return sum(f.size * f.count for f in self.fields)

    def field(self, name: str) -> PcdField:
        """The first field called ``name``."""
        for fld in self.fields:
            if fld.name == name:
                return fld
        raise KeyError(name)


def _ints(path: Path, key: str, values: list[str], line: int) -> list[int]:
    try:
        out = [int(v) for v in values]
    except ValueError:
        raise FormatError(
            path, f"expected integers, got {' '.join(values)!r}", line=line, field=key
        ) from None
    if any(v < 0 for v in out):
        raise FormatError(path, f"negative value in {' '.join(values)!r}", line=line, field=key)
    return out


def read_header(path: Path, f: BinaryIO) -> PcdHeader:
    """Read the header lines from ``f`` (left positioned at the first data byte) and check them."""
    entries: dict[str, tuple[list[str], int]] = {}
    lineno = 0
    while True:
        raw = f.readline(_MAX_LINE)
        lineno += 1
        if not raw:
            if lineno == 1:
                raise FormatError(path, "empty file")
            raise FormatError(path, "header has no DATA line", line=lineno - 1)
        if lineno > _MAX_HEADER_LINES or (not raw.endswith(b"\n") and len(raw) >= _MAX_LINE):
            raise FormatError(path, "not a PCD file: no DATA line in the header", line=lineno)
        try:
            text = raw.decode("ascii").strip()
        except UnicodeDecodeError:
            raise FormatError(path, "not a PCD file: binary bytes in the header", line=lineno) from None
        if not text or text.startswith("#"):
            continue
        key, *values = text.split()
        key = key.upper()
        if key == "COLUMNS":  # PCD v0.5 spelling
            key = "FIELDS"
        if key not in _KEYS:
            if not entries:
                raise FormatError(path, f"not a PCD file: unexpected {key!r}", line=lineno)
            logger.warning("%s:%d: unknown header line %r ignored", path, lineno, text)
            continue
        entries[key] = (values, lineno)
        if key == "DATA":
            break
    return _check(path, entries)


def _check(path: Path, entries: dict[str, tuple[list[str], int]]) -> PcdHeader:
    data_values, data_line = entries["DATA"]
    data = data_values[0].lower() if data_values else ""
    if data not in ("ascii", "binary", "binary_compressed"):
        raise FormatError(
            path,
            f"unknown encoding {data!r} (ascii, binary, binary_compressed)",
            line=data_line,
            field="DATA",
        )
    if "FIELDS" not in entries:
        raise FormatError(path, "header has no FIELDS line", line=data_line)
    names, fields_line = entries["FIELDS"]
    n = len(names)
    if n == 0:
        raise FormatError(path, "no fields", line=fields_line, field="FIELDS")

    def per_field(key: str, default: str) -> tuple[list[str], int]:
        values, line = entries.get(key, ([default] * n, fields_line))
        if len(values) != n:
            raise FormatError(path, f"{len(values)} values for {n} fields", line=line, field=key)
        return values, line

    sizes_s, size_line = per_field("SIZE", "4")
    sizes = _ints(path, "SIZE", sizes_s, size_line)
    kinds, type_line = per_field("TYPE", "F")
    counts_s, count_line = per_field("COUNT", "1")
    counts = _ints(path, "COUNT", counts_s, count_line)

    fields: list[PcdField] = []
    offset = 0
    for name, size, kind, count in zip(names, sizes, kinds, counts):
        kind = kind.upper()
        if name != "_":
            if kind not in _VALID_SIZES:
                raise FormatError(
                    path, f"field {name!r}: unknown type {kind!r} (F, I, U)", line=type_line, field="TYPE"
                )
            if size not in _VALID_SIZES[kind]:
                raise FormatError(
                    path,
                    f"field {name!r}: size {size} is invalid for type {kind}",
                    line=size_line,
                    field="SIZE",
                )
        fields.append(PcdField(name, size, kind, count, offset))
        offset += size * count
    seen: set[str] = set()
    for k, fld in enumerate(fields):
        if fld.name != "_" and fld.name in seen:
            logger.warning("%s: duplicate field %r renamed %r", path, fld.name, f"{fld.name}_{k}")
            fields[k] = PcdField(f"{fld.name}_{k}", fld.size, fld.kind, fld.count, fld.offset)
        seen.add(fld.name)
    for axis in "xyz":
        fld = next((f for f in fields if f.name == axis), None)
        if fld is None:
            raise FormatError(
                path, f"no {axis!r} field (fields: {' '.join(names)})", line=fields_line, field="FIELDS"
            )
        if fld.count != 1:
            raise FormatError(
                path, f"field {axis!r} must have COUNT 1, not {fld.count}", line=count_line, field="COUNT"
            )

    width = height = points = None
    for key in ("WIDTH", "HEIGHT", "POINTS"):
        if key in entries:
            values, line = entries[key]
            if len(values) != 1:
                raise FormatError(
                    path, f"expected one integer, got {' '.join(values)!r}", line=line, field=key
                )
            value = _ints(path, key, values, line)[0]
            width, height, points = (
                (value, height, points)
                if key == "WIDTH"
                else (width, value, points)
                if key == "HEIGHT"
                else (width, height, value)
            )
    if points is None:
        if width is None:
            raise FormatError(path, "header has neither POINTS nor WIDTH", line=data_line)
        points = width * (1 if height is None else height)
    width = points if width is None else width
    height = 1 if height is None else height
    if width * height != points:
        logger.warning("%s: WIDTH*HEIGHT = %d but POINTS = %d; using POINTS", path, width * height, points)
    version = entries.get("VERSION", (["0.5"], 0))[0]
    return PcdHeader(
        version=version[0] if version else "",
        fields=tuple(fields),
        width=width,
        height=height,
        points=points,
        data=data,
        data_line=data_line,
    )
