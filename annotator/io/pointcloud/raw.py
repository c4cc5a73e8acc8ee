"""Headerless and numpy point files: KITTI ``.bin``, nuScenes ``.pcd.bin``, ``.npy``, ``.npz`` and text.

- KITTI ``.bin``: float32 x, y, z, reflectance per point (16 bytes).
- nuScenes ``.pcd.bin``: float32 x, y, z, intensity, ring per point (20 bytes).
- ``.npy``: an (N, >= 3) numeric array (x, y, z, [intensity], further columns as ``column_<k>``)
  or a structured array with named fields.
- ``.npz``: the array ``points`` (as for ``.npy``), else arrays named ``x``, ``y``, ``z``, ...,
  else the first array.
- ``.xyz``/``.pts``/``.txt``: whitespace- or comma-separated columns x y z [intensity] [r g b];
  ``#``/``//`` comments; a first line with a point count (``.pts``) or column names is recognised.
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from annotator.io.errors import FormatError
from annotator.io.limits import check_archive, check_budget, check_present
from annotator.io.pointcloud.cloud import PointCloud, from_columns
from annotator.io.pointcloud.table import parse_table

logger = logging.getLogger(__name__)

__all__ = [
    "float_blocks",
    "read_kitti_bin",
    "read_npy",
    "read_npz",
    "read_nuscenes_bin",
    "read_text",
    "record_count",
    "write_kitti_bin",
]

_NUMBER = re.compile(rb"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(nan|inf|infinity)$", re.IGNORECASE)


#: Points copied per block when a float file is split into columns (bounds the memory the read needs
#: beyond its result).
READ_BLOCK = 1 << 20


def record_count(path: Path, width: int) -> int:
    """Points in a file of ``width`` float32 values per point (checked for size first)."""
    size = path.stat().st_size
    if size == 0:
        raise FormatError(path, "empty file")
    record = 4 * width
    if size % record:
        raise FormatError(
            path, f"size {size} bytes is not a multiple of {record} ({width} float32 values per point)"
        )
    return size // record


def float_blocks(path: Path, width: int, block: int = READ_BLOCK) -> Iterator[tuple[int, np.ndarray]]:
    """The records of a file of ``width`` float32 values per point, ``block`` points at a time, as
    (first point, (n, ``width``) array) read into one reused buffer (copy what you keep): no memory map,
    which would count the whole file in the process's resident memory. A file that shrinks while it is
    read raises FormatError."""
    count = record_count(path, width)
    buffer = np.empty((min(count, block), width), dtype="<f4")
    with path.open("rb", buffering=0) as file:
        for start in range(0, count, block):
            chunk = buffer[: min(block, count - start)]
            wanted, got, view = chunk.nbytes, 0, memoryview(chunk).cast("B")
            while got < wanted:  # a raw read may return less than asked
                more = file.readinto(view[got:])
                if not more:
                    break
                got += more
            if got != wanted:
                raise FormatError(path, f"the file changed while it was read (point {start:,})")
            yield start, chunk


def _split_columns(path: Path, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Contiguous float32 x, y, z (N, 3) and the other columns (N, ``width`` - 3) of a float file, copied
    block by block: the read needs no second copy of the file in memory, and the result does not
    depend on the file staying as it was."""
    count = record_count(path, width)
    xyz = np.empty((count, 3), dtype=np.float32)
    rest = np.empty((count, width - 3), dtype=np.float32)
    for start, block in float_blocks(path, width):
        xyz[start : start + len(block)] = block[:, :3]
        rest[start : start + len(block)] = block[:, 3:]
    return xyz, rest


def read_kitti_bin(path: str | Path) -> PointCloud:
    """Read a KITTI velodyne ``.bin``: float32 x, y, z, reflectance (becomes ``intensity``)."""
    path = Path(path)
    xyz, rest = _split_columns(path, 4)
    return from_columns(path, xyz, {"intensity": rest[:, 0]})


def read_nuscenes_bin(path: str | Path) -> PointCloud:
    """Read a nuScenes ``.pcd.bin``: float32 x, y, z, intensity, ring (ring becomes int32)."""
    path = Path(path)
    xyz, rest = _split_columns(path, 5)
    return from_columns(path, xyz, {"intensity": np.ascontiguousarray(rest[:, 0]), "ring": rest[:, 1]})


def write_kitti_bin(path: str | Path, xyzi: np.ndarray) -> None:
    """Write an (N, 4) array x, y, z, intensity as a KITTI ``.bin`` (float32, little endian)."""
    xyzi = np.asarray(xyzi)
    if xyzi.ndim != 2 or xyzi.shape[1] != 4:
        raise ValueError(f"xyzi must have shape (N, 4), got {xyzi.shape}")
    np.ascontiguousarray(xyzi, dtype="<f4").tofile(Path(path))


def _from_array(path: Path, array: np.ndarray, what: str) -> PointCloud:
    """A cloud from a structured array or an (N, >= 3) numeric array."""
    if array.dtype.names:
        names = {n.lower(): n for n in array.dtype.names}
        if not all(axis in names for axis in "xyz"):
            raise FormatError(path, f"{what} has fields {list(array.dtype.names)}, none named x, y, z")
        xyz = np.stack([array[names[axis]] for axis in "xyz"], axis=1).astype(np.float32)
        others = {n: np.asarray(array[n]) for n in array.dtype.names if n.lower() not in "xyz"}
        return from_columns(path, xyz, others)
    if array.ndim != 2 or array.shape[1] < 3 or array.dtype.kind not in "fiu":
        raise FormatError(path, f"{what} must be a numeric (N, >= 3) array, got {array.dtype} {array.shape}")
    columns: dict[str, np.ndarray] = {}
    if array.shape[1] >= 4:
        columns["intensity"] = array[:, 3]
    for k in range(4, array.shape[1]):
        columns[f"column_{k}"] = array[:, k].copy()
    return from_columns(path, np.ascontiguousarray(array[:, :3], dtype=np.float32), columns)


def read_npy(path: str | Path) -> PointCloud:
    """Read a ``.npy`` array: (N, >= 3) x, y, z, [intensity, ...] or a structured array."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise FormatError(path, "empty file")
    _check_npy_size(path)
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise FormatError(path, f"not a readable .npy file: {exc}") from None
    return _from_array(path, array, "the array")


def _check_npy_size(path: Path) -> None:
    """Compare the shape a ``.npy`` header declares with the bytes present, before numpy allocates."""
    fmt = np.lib.format
    try:
        with open(path, "rb") as file:
            version = fmt.read_magic(file)
            if version not in ((1, 0), (2, 0), (3, 0)):
                raise ValueError(f"unknown .npy version {version}")
            length_bytes = file.read(2 if version == (1, 0) else 4)
            length = int.from_bytes(length_bytes, "little")
            if len(length_bytes) < 2 or length > _LONGEST_NPY_HEADER:
                raise ValueError(f"a header of {length} bytes")
            file.seek(0)
            fmt.read_magic(file)
            read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            shape, _, dtype = read_header(file, max_header_size=_LONGEST_NPY_HEADER)
            start = file.tell()
    except Exception as exc:  # numpy's header parser raises many kinds (ValueError, SyntaxError, ...)
        raise FormatError(path, f"not a readable .npy file: {exc}") from None
    count = 1
    for extent in shape:
        count *= int(extent)
    need = count * dtype.itemsize
    check_budget(path, need, f"an array of shape {shape}")
    check_present(path, need, path.stat().st_size - start, f"an array of shape {shape}")


_LONGEST_NPY_HEADER = 10_000


def read_npz(path: str | Path) -> PointCloud:
    """Read a ``.npz``: array ``points``, else arrays ``x``, ``y``, ``z`` (+ others), else the first."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise FormatError(path, "empty file")
    check_archive(path)  # before anything is inflated
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise FormatError(path, f"not a readable .npz file: {exc}") from None
    if not arrays:
        raise FormatError(path, "the archive holds no arrays")
    if "points" in arrays:
        return _from_array(path, arrays["points"], "array 'points'")
    lowered = {name.lower(): name for name in arrays}
    if all(axis in lowered for axis in "xyz"):
        xyz = np.stack([np.ravel(arrays[lowered[a]]) for a in "xyz"], axis=1)
        n = len(xyz)
        others = {}
        for name, values in arrays.items():
            if name.lower() in "xyz":
                continue
            if len(values) != n:
                raise FormatError(path, f"{len(values)} values for {n} points", field=name)
            others[name] = values
        return from_columns(path, xyz.astype(np.float32), others)
    name = next(iter(arrays))
    return _from_array(path, arrays[name], f"array {name!r}")


_LONGEST_HEAD_LINE = 4096


def read_text(path: str | Path) -> PointCloud:
    """Read a text cloud (``.xyz``, ``.pts``, ``.txt``): columns x y z [intensity] [r g b]."""
    path = Path(path)
    check_budget(path, path.stat().st_size * 12, f"a text cloud of {path.stat().st_size:,} bytes")
    data = path.read_bytes()
    if not data.strip():
        raise FormatError(path, "empty file")
    names: list[str] | None = None
    pos, lineno = 0, 1
    while pos < len(data):  # the head: blank and comment lines, column names, a point count
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end
        if end - pos > _LONGEST_HEAD_LINE:  # a header line is short: this is data
            break
        text = data[pos:end].replace(b",", b" ").strip()
        if text.startswith(b"//") and names is None:  # CloudCompare: "//X,Y,Z,..."
            names = text[2:].decode("ascii", errors="replace").split()
        elif text and not text.startswith((b"#", b"//")):
            words = text.split()
            if not all(_NUMBER.match(w) for w in words) and names is None:
                names = text.decode("ascii", errors="replace").split()
            elif not (len(words) == 1 and words[0].isdigit()):  # .pts: a point count
                break
        pos, lineno = end + 1, lineno + 1
    body = data[pos:]
    if b"#" in body or b"//" in body:  # blank comment lines, keeping the line numbers
        body = b"\n".join(b"" if ln.lstrip().startswith((b"#", b"//")) else ln for ln in body.split(b"\n"))
    values = parse_table(path, body.replace(b",", b" "), first_line=lineno, unit="points")
    if len(values) == 0:
        raise FormatError(path, "no points")
    if values.shape[1] < 3:
        raise FormatError(path, f"need at least 3 columns (x y z), found {values.shape[1]}", line=lineno)
    return _text_columns(path, values, names)


def _colour(values: np.ndarray) -> np.ndarray:
    """Integral 0..255 values become uint8 as they are; anything else is scaled by from_columns."""
    if np.all(values == np.round(values)) and values.min(initial=0) >= 0 and values.max(initial=0) <= 255:
        return values.astype(np.uint8)
    return values


def _text_columns(path: Path, values: np.ndarray, names: list[str] | None) -> PointCloud:
    width = values.shape[1]
    if names is not None and len(names) == width:
        lowered = [n.lower() for n in names]
        if all(axis in lowered for axis in "xyz"):
            xyz = np.stack([values[:, lowered.index(axis)] for axis in "xyz"], axis=1).astype(np.float32)
            others = {
                name: _colour(values[:, k])
                if name.lower() in ("r", "g", "b", "red", "green", "blue")
                else values[:, k].copy()
                for k, name in enumerate(names)
                if name.lower() not in ("x", "y", "z")
            }
            return from_columns(path, xyz, others)
    elif names is not None:
        logger.warning("%s: %d column names for %d columns; names ignored", path, len(names), width)
    layout = {4: ["intensity"], 6: ["r", "g", "b"], 7: ["intensity", "r", "g", "b"]}
    extra = layout.get(width, [f"column_{k}" for k in range(3, width)])
    columns = {}
    for k, name in enumerate(extra, start=3):
        columns[name] = _colour(values[:, k]) if name in ("r", "g", "b") else values[:, k].copy()
    return from_columns(path, values[:, :3].astype(np.float32), columns)
