"""Test helpers: how much of an array's memory mapping is resident in this process (Linux); a cloud read
out of core."""

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


def out_of_core_cloud(folder: Path, count: int = 300_000, lod_budget: int = 20_000, seed: int = 4):
    """A `PreparedCloud` of ``count`` points spread over 80 x 80 m, written to ``folder`` as a KITTI .bin
    and read back out of core (its points in cell order in a memory-mapped scratch file, with its index)."""
    from annotator.io import pointcloud
    from annotator.io.pointcloud.arranged import read_arranged
    from annotator.render.cloud import prepare_cloud

    rng = np.random.default_rng(seed)
    points = np.empty((count, 4), dtype=np.float32)
    points[:, :2] = rng.uniform(-40.0, 40.0, (count, 2))
    points[:, 2] = rng.uniform(-2.0, 1.0, count)
    points[:, 3] = rng.random(count)
    path = folder / "scan.bin"
    pointcloud.write_kitti_bin(path, points)
    cloud, index = read_arranged(path, out_of_core=True)
    return prepare_cloud(cloud.xyz, cloud.fields, lod_budget, index=index)
