"""Arrays kept in a scratch file instead of the process's memory: the out-of-core points of huge clouds.

A 100M-point cloud's coordinates and intensity take 1.6 GB. Read into arrays mapped from a scratch file
(`scratch_array`), they are file pages rather than anonymous memory: the kernel can write them out and drop
them when memory runs short (there may be no swap), and `release` hands back the resident pages of any part
once it has been used (a chunk of full detail drawn, a whole pass over the cloud), so what stays resident
is what is in use. Reading them again costs a page fault from the page cache, or a disk read when the
kernel dropped them.

The scratch file is allocated in full before it is mapped (a full disk is an error then, never a crash on a
write into a page with nowhere to go) and unlinked at once: no other program can find it to truncate it
under the mapping, and it disappears with the last array that uses it. That last step (unmapping a file of
a gigabyte or more, its page cache and blocks freed) took 100-430 ms on the thread that dropped the last
array, the window's own when it showed the next frame: the mapping is therefore closed on a thread of
its own (`_close_when_released`) once no array uses it.
"""

from __future__ import annotations

import logging
import math
import mmap
import os
import tempfile
import threading
import time
import weakref
from collections.abc import Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

__all__ = ["is_backed", "release", "scratch_array", "scratch_directory"]

#: Bytes a released span is rounded out to: a page fault in a file mapping also maps the neighbouring
#: pages of the page cache (Linux's fault-around, 64 KiB), which would stay resident otherwise.
FAULT_AROUND = max(mmap.PAGESIZE, 1 << 16)
#: Most bytes handed back by one call (`_drop`): Python holds its lock through ``mmap.madvise``, and handing
#: back the 1.2 GB of a 100M-point cloud's coordinates in one call held it for 25-50 ms, stalling the window
#: while the cloud was read; 64 MiB takes about 1.5 ms, and other threads run between two calls.
RELEASE_STEP = 1 << 26
#: Seconds a scratch mapping no array uses waits for its last buffer to be released before it is closed.
EXPORT_WAIT = 5.0


def scratch_directory() -> Path:
    """Where scratch files go: the user's cache directory (on disk, where ``/tmp`` may be memory), else
    the system's temporary directory."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    folder = Path(cache) / "annotator" / "scratch"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    except OSError:
        return Path(tempfile.gettempdir())


def scratch_array(
    shape: tuple[int, ...], dtype: np.dtype | type, directory: Path | None = None
) -> np.ndarray:
    """A writable array of ``shape`` mapped from an unlinked scratch file in ``directory`` (default
    `scratch_directory`); an ordinary array in memory when the file cannot be made (no room, no such
    directory, an empty shape)."""
    dtype = np.dtype(dtype)
    size = math.prod(shape) * dtype.itemsize
    if size == 0:
        return np.empty(shape, dtype=dtype)
    try:
        fd, name = tempfile.mkstemp(
            prefix="annotator-", suffix=".points", dir=directory or scratch_directory()
        )
    except OSError as exc:
        logger.warning("no scratch file for %d MB (%s): kept in memory", size >> 20, exc)
        return np.empty(shape, dtype=dtype)
    try:
        os.unlink(name)
        if hasattr(os, "posix_fallocate"):
            os.posix_fallocate(fd, 0, size)  # every block reserved now: no SIGBUS on a full disk later
        else:  # pragma: no cover - not Linux
            os.ftruncate(fd, size)
        mapped = mmap.mmap(fd, size)  # shared, readable and writable
    except OSError as exc:
        logger.warning("no scratch file for %d MB (%s): kept in memory", size >> 20, exc)
        return np.empty(shape, dtype=dtype)
    finally:
        os.close(fd)
    flat = np.frombuffer(mapped, dtype=dtype)  # every view of the array keeps this one alive
    unmap = weakref.finalize(flat, _close_later, mapped)  # holds the mapping until then
    unmap.atexit = False  # at exit the process's mappings go with it
    return flat.reshape(shape)


def _mapping(array: np.ndarray) -> mmap.mmap | None:
    """The scratch mapping ``array`` is a view of, if any."""
    base: object = array
    while isinstance(base, np.ndarray):
        base = base.base
    if isinstance(base, memoryview):  # np.frombuffer keeps the buffer's memoryview
        base = base.obj
    return base if isinstance(base, mmap.mmap) else None


def is_backed(array: np.ndarray) -> bool:
    """True when ``array`` lies in a scratch file (see `scratch_array`)."""
    return _mapping(array) is not None


def release(array: np.ndarray, rows: Sequence[tuple[int, int]] | None = None) -> None:
    """Hand back the resident pages of ``array`` (a scratch array or a view of one; nothing otherwise), or
    of its ``rows`` ranges (start, end) only. Its values stay as they are: the next read takes them from
    the page cache or the file."""
    mapped = _mapping(array)
    if mapped is None or array.size == 0 or not hasattr(mmap, "MADV_DONTNEED"):
        return
    origin = np.frombuffer(mapped, dtype=np.uint8).__array_interface__["data"][0]
    offset = array.__array_interface__["data"][0] - origin
    reach = sum((extent - 1) * stride for extent, stride in zip(array.shape[1:], array.strides[1:]))
    row = array.strides[0]
    for start, end in [(0, len(array))] if rows is None else rows:
        if end > start:
            ends = (offset + start * row, offset + (end - 1) * row + reach)
            _drop(mapped, min(ends), max(ends) + array.itemsize)


def _drop(mapped: mmap.mmap, first: int, last: int) -> None:
    """Unmap the pages holding bytes ``first`` to ``last`` of ``mapped`` from this process."""
    start = first // FAULT_AROUND * FAULT_AROUND  # whole spans: a fault maps its neighbours too
    end = min(len(mapped), -(-last // FAULT_AROUND) * FAULT_AROUND)
    for step in range(start, end, RELEASE_STEP):  # in steps: the interpreter's lock goes round between two
        mapped.madvise(mmap.MADV_DONTNEED, step, min(end, step + RELEASE_STEP) - step)


def _close_later(mapped: mmap.mmap) -> None:
    """Have ``mapped`` closed on a thread of its own (`_close_when_released`), not the caller's."""
    threading.Thread(target=_close_when_released, args=(mapped,), name="unmapper", daemon=True).start()


def _close_when_released(mapped: mmap.mmap) -> None:
    """Close ``mapped`` once the last buffer of it is released: closing one of a gigabyte unmaps it and frees
    its file's pages and blocks (100-430 ms measured) without the interpreter's lock, so the window's thread
    goes on meanwhile. The array's buffer may still be being released on the thread that dropped it: wait
    for it up to `EXPORT_WAIT` seconds, then leave the mapping to be freed with its last reference."""
    end = time.monotonic() + EXPORT_WAIT
    while True:
        try:
            mapped.close()
            return
        except BufferError:
            if time.monotonic() > end:
                logger.debug("a scratch mapping is still exported: freed with its last reference")
                return
            time.sleep(0.005)
