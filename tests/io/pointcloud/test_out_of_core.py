"""A huge cloud read out of core: its arrays lie in an unlinked scratch file whose pages go back to it once
used, so neither reading nor drawing it keeps the whole cloud in the process's memory."""

from __future__ import annotations

import mmap
import threading
import time
import tracemalloc
import weakref
from pathlib import Path

import numpy as np
import pytest
from memory_support import linux_only, resident_bytes  # type: ignore[import-not-found]

from annotator.core.cuboids.cuboid import Cuboid
from annotator.io import pointcloud
from annotator.io.pointcloud import arranged, backing, read_indexed
from annotator.io.pointcloud.arranged import read_arranged


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder / "annotator" / "scratch"


@pytest.fixture
def scan(tmp_path: Path) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(11)
    points = np.empty((400_000, 4), dtype=np.float32)
    points[:, :2] = rng.normal(0.0, 20.0, (len(points), 2))
    points[:, 2] = rng.uniform(-2.0, 1.0, len(points))
    points[:, 3] = np.arange(len(points)) % 251
    path = tmp_path / "scan.bin"
    pointcloud.write_kitti_bin(path, points)
    return path, points


@linux_only
def test_a_scratch_array_keeps_its_values_without_keeping_its_pages(scratch) -> None:
    values = backing.scratch_array((2_000_000, 3), np.float32)
    assert backing.is_backed(values) and backing.is_backed(values[10:20, 1])
    assert list(scratch.iterdir()) == []  # unlinked at once: no other program can truncate it
    values[:] = np.arange(6_000_000, dtype=np.float32).reshape(-1, 3)
    assert resident_bytes(values) >= values.nbytes
    backing.release(values[: len(values) // 2])
    assert resident_bytes(values) <= values.nbytes // 2 + 8192
    assert values[999_999, 2] == 2_999_999.0 and float(values[:, 0].sum(dtype=np.float64)) > 0
    backing.release(values)
    assert resident_bytes(values) <= 8192


def test_a_large_span_is_handed_back_in_bounded_steps_that_let_other_threads_run(monkeypatch) -> None:
    """``mmap.madvise`` holds Python's lock: the 1.2 GB of a 100M-point cloud in one call held it for 25-50 ms."""
    monkeypatch.setattr(backing, "RELEASE_STEP", 1 << 20)

    class Mapping:  # records the calls of a mapping of 12 MB
        def __init__(self) -> None:
            self.calls: list[tuple[int, int]] = []

        def __len__(self) -> int:
            return 12_000_000

        def madvise(self, option: int, start: int, length: int) -> None:
            assert option == mmap.MADV_DONTNEED
            self.calls.append((start, length))

    mapping = Mapping()
    backing._drop(mapping, 100, 11_999_990)
    starts = [start for start, _ in mapping.calls]
    assert len(mapping.calls) == 12 and all(length <= 1 << 20 for _, length in mapping.calls)
    assert (
        starts[0] == 0 and sum(length for _, length in mapping.calls) == 12_000_000
    )  # whole spans, to the end
    assert all(a + n == b for (a, n), b in zip(mapping.calls, starts[1:]))  # one after another, no gaps


def test_without_room_for_a_scratch_file_the_array_stays_in_memory(tmp_path) -> None:
    values = backing.scratch_array((1000, 3), np.float32, directory=tmp_path / "missing")
    assert not backing.is_backed(values) and values.shape == (1000, 3)
    backing.release(values)  # nothing to hand back: no error
    assert not backing.is_backed(np.zeros(3)) and backing.scratch_array((0, 3), np.float32).shape == (0, 3)


def test_read_out_of_core_the_cloud_and_its_queries_are_the_same_with_no_copy_in_memory(
    scratch, scan, monkeypatch
) -> None:
    path, points = scan
    monkeypatch.setattr(arranged, "ARRANGE_BLOCK", 4_096)
    in_memory, memory_index = read_arranged(path)
    tracemalloc.start()
    try:
        cloud, index = read_arranged(path, out_of_core=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert backing.is_backed(cloud.xyz) and backing.is_backed(cloud.intensity)
    assert not backing.is_backed(in_memory.xyz)
    assert peak < len(points) * 16 // 4  # blocks and the cell table only: the points lie in the file
    assert np.array_equal(cloud.xyz, in_memory.xyz) and np.array_equal(cloud.intensity, in_memory.intensity)
    box = Cuboid((5.0, -3.0, -0.5), (4.0, 2.0, 2.0), 0.4)
    assert np.array_equal(index.indices_inside(box), memory_index.indices_inside(box))
    assert index.points_examined < len(points) // 20  # the query read only the cells under the box


def test_only_clouds_from_the_threshold_on_are_read_out_of_core(scratch, scan, monkeypatch) -> None:
    path, _ = scan
    monkeypatch.setattr(pointcloud, "ARRANGE_FROM", 1_000)
    assert not backing.is_backed(read_indexed(path)[0].xyz)
    monkeypatch.setattr(pointcloud, "OUT_OF_CORE_FROM", 100_000)
    assert backing.is_backed(read_indexed(path)[0].xyz)


def test_a_scratch_array_no_longer_used_is_unmapped_by_a_worker_not_by_the_thread_that_dropped_it(
    scratch, monkeypatch
) -> None:
    # Unmapping the scratch file of a 100M-point cloud took 100-430 ms on the window's thread when it showed
    # the next frame (the previous cloud's last array dropped there).
    closed_on: dict[int, str] = {}  # mapping's id: the thread that closed it (other tests' arrays too)
    close = backing._close_when_released
    monkeypatch.setattr(
        backing,
        "_close_when_released",
        lambda mapped: (closed_on.setdefault(id(mapped), threading.current_thread().name), close(mapped)),
    )
    values = backing.scratch_array((100_000, 4), np.float32)
    values[:] = 1.0
    mapping = weakref.ref(backing._mapping(values))
    key = id(mapping())
    rows = values[10:20]  # a view keeps the mapping
    del values
    time.sleep(0.05)
    assert mapping() is not None and key not in closed_on
    assert float(rows.sum()) == 40.0
    del rows
    deadline = time.monotonic() + 5.0
    while mapping() is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert mapping() is None
    assert closed_on[key] == "unmapper"
