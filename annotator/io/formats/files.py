"""Reading and writing label files safely: atomic writes, JSON with line numbers, checked numbers.

Writes go to a temporary file in the target's directory which then replaces the target with
`os.replace`, so a reader (or a crash) never sees half a file. Files are not fsynced: an export is
derived data that can be written again.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.errors import AnnotatorError
from annotator.io.errors import FormatError

logger = logging.getLogger(__name__)


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` all at once; parent directories are created."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and `os.replace`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Any, indent: int | str | None = 2) -> None:
    """Write ``data`` as JSON (NaN and infinity refused) atomically."""
    write_bytes_atomic(path, json_bytes(data, indent))


def json_bytes(data: Any, indent: int | str | None = 2) -> bytes:
    """``data`` as the bytes of a JSON file (UTF-8, a final newline); `ValueError` for NaN or infinity."""
    return (json.dumps(data, indent=indent, allow_nan=False) + "\n").encode("utf-8")


def read_text(path: Path) -> str:
    """A text file's content; `FormatError` when it is missing, not a file or not UTF-8."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FormatError(path, "no such file") from None
    except IsADirectoryError:
        raise FormatError(path, "is a directory, expected a file") from None
    except UnicodeDecodeError as error:
        raise FormatError(path, f"not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise FormatError(path, f"cannot read ({error.strerror or error})") from None


def load_json(path: Path) -> Any:
    """Parse a JSON file; a syntax error is reported with its line."""
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise FormatError(
            path, f"not valid JSON ({error.msg}, column {error.colno})", line=error.lineno
        ) from None
    except RecursionError:
        raise FormatError(path, "JSON nested too deeply") from None
    except ValueError as error:  # e.g. an integer of more than 4300 digits
        raise FormatError(path, f"not valid JSON ({error})") from None


def finite(value: Any, path: Path, field: str, line: int | None = None) -> float:
    """``value`` as a finite float, or `FormatError` naming the field."""
    if isinstance(value, bool):
        raise FormatError(path, f"expected a number, got {value!r}", line=line, field=field)
    try:
        number = float(value)
    except OverflowError:
        raise FormatError(
            path, "expected a finite number, got a huge integer", line=line, field=field
        ) from None
    except (TypeError, ValueError):
        raise FormatError(path, f"expected a number, got {_show(value)}", line=line, field=field) from None
    if not math.isfinite(number):
        raise FormatError(path, f"expected a finite number, got {_show(value)}", line=line, field=field)
    return number


def integer(value: Any, path: Path, field: str, line: int | None = None) -> int:
    """``value`` as an int (integral floats such as ``3.0`` accepted), or `FormatError`."""
    number = finite(value, path, field, line)
    if number != int(number):
        raise FormatError(path, f"expected an integer, got {_show(value)}", line=line, field=field)
    return int(number)


def numbers(
    value: Any, count: int | tuple[int, ...], path: Path, field: str, line: int | None = None
) -> list[float]:
    """A list of ``count`` (or one of several counts) finite numbers, or `FormatError`."""
    counts = (count,) if isinstance(count, int) else count
    if not isinstance(value, list | tuple) or len(value) not in counts:
        wanted = " or ".join(str(c) for c in counts)
        raise FormatError(
            path, f"expected a list of {wanted} numbers, got {_show(value)}", line=line, field=field
        )
    return [finite(v, path, f"{field}[{i}]", line) for i, v in enumerate(value)]


def member(data: Any, key: str, path: Path, field: str, kind: type | tuple[type, ...] = object) -> Any:
    """``data[key]`` checked to exist and be of ``kind``; `FormatError` naming ``field.key`` otherwise."""
    where = f"{field}.{key}" if field else key
    if not isinstance(data, Mapping):
        raise FormatError(path, f"expected an object, got {_show(data)}", field=field or None)
    if key not in data:
        raise FormatError(path, "missing", field=where)
    value = data[key]
    if kind is not object and not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise FormatError(path, f"expected {_json_kind(names)}, got {_show(value)}", field=where)
    return value


def _json_kind(names: str) -> str:
    return (
        names.replace("dict", "an object")
        .replace("list", "a list")
        .replace("str", "a string")
        .replace("int", "an integer")
        .replace("float", "a number")
    )


def _show(value: Any) -> str:
    if value is None:
        return "null"
    text = json.dumps(value) if isinstance(value, str | int | float | bool) else type(value).__name__
    if isinstance(value, list | dict):
        text = f"{'a list' if isinstance(value, list) else 'an object'} of {len(value)}"
    return text if len(text) <= 40 else text[:37] + "..."


def safe_file_name(name: str) -> str:
    """``name`` if it can name a file in an output folder (no separators, not ``.``/``..``)."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise AnnotatorError(f"the name {name!r} cannot be used as a file name")
    return name


_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[Any, ...]:
    """Sort key that orders ``frame2`` before ``frame10``."""
    return tuple(int(part) if part.isdigit() else part for part in _DIGITS.split(name))


def format_number(value: float, decimals: int = 6) -> float:
    """``value`` rounded for writing (``-0.0`` becomes ``0.0``)."""
    rounded = round(float(value), decimals)
    return 0.0 if rounded == 0 else rounded


def checked_cuboid(
    center: Any,
    size: Any,
    rotation: tuple[float, float, float],
    path: Path,
    field: str,
    line: int | None = None,
) -> Cuboid:
    """A `Cuboid` (``rotation`` is yaw, pitch, roll), or `FormatError` for a negative or degenerate size."""
    try:
        cuboid = Cuboid(tuple(center), tuple(size), *rotation)
    except ValueError as error:
        raise FormatError(path, str(error), line=line, field=field) from None
    if min(cuboid.size) <= 0:
        raise FormatError(
            path, f"a cuboid size must be positive, got {list(cuboid.size)}", line=line, field=field
        )
    if max(cuboid.size) > MAX_BOX_SIZE or max(abs(c) for c in cuboid.center) > MAX_COORDINATE:
        raise FormatError(
            path,
            f"implausible cuboid (size {[float(f'{v:.3g}') for v in cuboid.size]} m, centre "
            f"{[float(f'{v:.3g}') for v in cuboid.center]} m; at most {MAX_BOX_SIZE:g} m and {MAX_COORDINATE:g} m)",
            line=line,
            field=field,
        )
    return cuboid


#: Largest cuboid edge (m) and centre coordinate (m) an import accepts: beyond, the file is wrong.
MAX_BOX_SIZE = 1.0e4
MAX_COORDINATE = 1.0e7


def class_name(value: Any, path: Path, field: str, line: int | None = None) -> str:
    """``value`` as a class name: printable text of 1-200 characters, or `FormatError`."""
    problem = name_problem(value)
    if problem:
        raise FormatError(path, f"bad class name {_show(value)}: {problem}", line=line, field=field)
    return str(value).strip()


def name_problem(value: Any) -> str | None:
    """Why ``value`` cannot name a class (None when it can)."""
    if not isinstance(value, str):
        return "not text"
    text = value.strip()
    if not text:
        return "empty"
    if len(text) > 200:
        return "longer than 200 characters"
    if any(not ch.isprintable() for ch in text):
        return "holds control characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "not valid Unicode (a lone surrogate)"
    return None
