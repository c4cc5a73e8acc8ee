"""A guard against compiled extensions that drop a reference to ``None`` on calls returning nothing.

Measured in this environment on CPython 3.11: PySide6 6.12.0 loses one reference per call of a void
method (``QLabel.setText`` x200: -200), psygnal's compiled signals about one per two emits. ``None`` is
not immortal before Python 3.12, so after some thousands of such calls (filling a table of a few hundred
rows, adding a few thousand annotations) Python aborts with "none_dealloc: deallocating None".
`protect_none` gives ``None`` a reserve of references so large that it never runs out, which is what
Python 3.12 does for every immortal object. Call it once at start-up (window, command line, tests).
"""

from __future__ import annotations

import ctypes
import logging
import sys

logger = logging.getLogger(__name__)

#: References added to None (never used up in a process's life).
NONE_RESERVE = 1 << 40


def protect_none() -> bool:
    """Give ``None`` its reserve on Python < 3.12; True when it was given now (False: not needed or done)."""
    if sys.version_info >= (3, 12) or sys.getrefcount(None) > NONE_RESERVE // 2:
        return False
    ctypes.c_ssize_t.from_address(id(None)).value += NONE_RESERVE
    logger.debug("None given a reserve of %d references", NONE_RESERVE)
    return True
