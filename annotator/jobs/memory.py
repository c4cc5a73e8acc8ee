"""Handing large freed blocks back to the system at once (glibc's allocator; nothing elsewhere).

glibc serves a request of at least its mmap threshold (128 KiB at first) from a mapping of its own and
unmaps it when freed. But the threshold rises to the size of the largest such block freed (up to 32 MiB),
so after the first large cloud the temporaries of reading, preparing and drawing the next ones (blocks of
points, crops, chunks of full detail: 0.1-30 MiB each) come from the heap, whose freed memory stays with
the process. Measured with a 5M-point cloud and a frame change: 560 MiB resident, 509 MiB with the
threshold fixed (`return_large_blocks`). The cost: fresh pages for every large temporary (the longest stall
while nudging a box at 5M: 20-22 ms as glibc leaves it, 24-31 ms fixed at 128 KiB, 21-22 ms at 4 MiB, where the
peak was 592 / 648 / 608-619 MiB; see the README's large clouds).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

logger = logging.getLogger(__name__)

__all__ = ["return_large_blocks"]

#: glibc's ``mallopt`` parameter for the mmap threshold (malloc.h).
M_MMAP_THRESHOLD = -3
#: Blocks of at least this many bytes are mapped on their own and unmapped when freed: glibc's own
#: starting value, kept from rising.
MMAP_THRESHOLD = 128 * 1024


def return_large_blocks(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix the allocator's mmap threshold at ``threshold`` bytes, so freed blocks of that size or more
    go back to the system at once (Linux with glibc; elsewhere nothing). True when set."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        logger.debug("no mallopt: the allocator keeps its own threshold")
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, threshold))
