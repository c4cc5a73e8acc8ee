"""Worker threads that give the cores to the window first: a lower CPU priority, per thread (Linux)."""

from __future__ import annotations

import logging
import os
import sys
import threading

logger = logging.getLogger(__name__)

#: How much a background thread lowers its priority (niceness added) by default.
BACKGROUND_NICENESS = 5

_lowered = threading.local()


def lower_thread_priority(step: int = BACKGROUND_NICENESS) -> None:
    """Run the calling thread ``step`` niceness lower (at most 19), once per thread: on a busy machine the
    window's thread then gets the cores first. Linux gives threads their own nice value; elsewhere, or
    where it is not allowed, nothing happens."""
    if getattr(_lowered, "done", False) or not sys.platform.startswith("linux"):
        return
    _lowered.done = True
    try:
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + step))
    except OSError:  # not permitted here: stay as it is
        logger.debug("cannot lower the priority of thread %s", threading.current_thread().name, exc_info=True)


def keep_blas_on_the_calling_thread() -> None:
    """Have numpy's BLAS (OpenBLAS, MKL, ...) compute on the calling thread only, in this whole process.

    A window process calls BLAS for small products only (points by a 3x3 rotation), where a second BLAS
    thread gains nothing; OpenBLAS's own thread then spins on a core after each call. Traced on a
    walked box at 10M-20M points on 2 cores, that thread took 20-40 ms of CPU in the longest steps, beside
    the window's thread and the rasteriser's. Nothing happens without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # an install without it: BLAS keeps its threads
        logger.debug("threadpoolctl is not installed: BLAS keeps its threads")
        return
    threadpool_limits(limits=1, user_api="blas")
