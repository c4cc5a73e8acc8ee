"""Asking the kernel to read a file ahead into its page cache, without reading it into this process.

A frame the user will probably open next is large: decoding it ahead would hold a second copy of a
large cloud in the window's memory beside the one shown. Its file's pages are read ahead instead
(`read_ahead`): they lie in the kernel's page cache, which belongs to no process and is given up
first when memory runs short, and decoding the frame when it is opened reads from memory, not the disk.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

__all__ = ["read_ahead"]


def read_ahead(path: str | Path) -> bool:
    """Start reading the whole of ``path`` into the page cache in the background (``posix_fadvise``
    ``WILLNEED``); True when asked, False where the system cannot be asked (not Linux/BSD) or the file
    cannot be opened (the load that follows reports it)."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:  # pragma: no cover - not POSIX
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        logger.debug("no read-ahead of %s: %s", path, exc)
        return False
    try:
        advise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
    except OSError as exc:
        logger.debug("no read-ahead of %s: %s", path, exc)
        return False
    finally:
        os.close(fd)
    return True
