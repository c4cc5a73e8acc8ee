"""Test helper: how much of an array's memory mapping is resident in this process (Linux)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

#: Skips a test that reads /proc/self/smaps where there is none.
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/smaps")


def resident_bytes(array: np.ndarray) -> int:
    """Bytes of the mapping holding ``array`` that are resident in this process (/proc/self/smaps)."""
    address = array.ctypes.data
    inside = False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()[0]
        if "-" in head and not head.endswith(":"):
            low, high = (int(part, 16) for part in head.split("-"))
            inside = low <= address < high
        elif inside and head == "Rss:":
            return int(line.split()[1]) * 1024
    raise AssertionError("no mapping holds the array")
