"""Weights files that cannot run code: named arrays plus JSON metadata in a plain ``.npz`` archive.

`numpy.load` with ``allow_pickle=False`` reads only raw arrays, so a crafted file is rejected, never
executed (``pickle``-based formats such as ``paddle.save`` run code while loading). Member sizes are
checked against the file and a memory budget before anything is decompressed.
"""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from annotator.io.errors import FormatError
from annotator.io.limits import check_archive

logger = logging.getLogger(__name__)

META_KEY = "__meta__"
#: Largest total of decompressed array bytes a weights file may declare.
MAX_WEIGHTS_BYTES = 2 << 30


def save_arrays(path: Path | str, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` and JSON-ready ``meta`` to ``path`` (exactly that name, no suffix added)."""
    if META_KEY in arrays:
        raise ValueError(f"{META_KEY} is reserved")
    encoded = np.frombuffer(json.dumps(meta, allow_nan=False).encode("utf-8"), dtype=np.uint8)
    with open(path, "wb") as file:
        np.savez(file, **{META_KEY: encoded}, **{k: np.ascontiguousarray(v) for k, v in arrays.items()})


def load_arrays(
    path: Path | str, max_bytes: int = MAX_WEIGHTS_BYTES
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The metadata and arrays written by `save_arrays`; `FormatError` for anything else (a pickle, a
    damaged or oversized archive) without running or inflating it."""
    path = Path(path)
    if not zipfile.is_zipfile(path):
        raise FormatError(
            path, "not a safe weights archive (not a zip of arrays; pickled weights are refused)"
        )
    check_archive(path, max_bytes)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise FormatError(path, f"not a safe weights archive ({error})") from error
    meta_bytes = arrays.pop(META_KEY, None)
    if meta_bytes is None or meta_bytes.dtype != np.uint8:
        raise FormatError(path, "not a safe weights archive (no metadata)")
    try:
        meta = json.loads(meta_bytes.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise FormatError(path, f"damaged weights metadata ({error})") from error
    if not isinstance(meta, dict):
        raise FormatError(path, "damaged weights metadata (not an object)")
    return meta, arrays
