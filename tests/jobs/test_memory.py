"""Freed blocks of a large cloud's temporaries go back to the system at once (glibc)."""

from __future__ import annotations

import subprocess
import sys

import pytest

#: Frees a 16 MiB block (glibc then raises its mmap threshold to 16 MiB), then allocates 200 blocks of
#: 1 MiB (the size of a crop or a chunk of full detail), each followed by a small object that stays, frees
#: the large ones and prints how much of them stayed resident, MiB.
PROBE = """
import sys
from pathlib import Path
from annotator.jobs.memory import return_large_blocks
if sys.argv[1] == "fixed":
    assert return_large_blocks()
def anonymous():
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("RssAnon:"))
    return int(line.split()[1]) / 1024
big = bytearray(16 << 20)
del big
before = anonymous()
blocks = [(bytearray(1 << 20), bytearray(1000)) for _ in range(200)]
kept = [small for _, small in blocks]
del blocks
print(anonymous() - before)
"""


def _kept_mib(mode: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=60, check=True
    )
    return float(done.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator on Linux")
def test_freed_blocks_are_handed_back_once_the_threshold_is_fixed() -> None:
    assert _kept_mib("default") > 150  # glibc as it comes: the freed 1 MiB blocks stay with the process
    assert _kept_mib("fixed") < 10
