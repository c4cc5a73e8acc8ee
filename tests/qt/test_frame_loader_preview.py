"""A large cloud is drawn from a sample of its file first; the whole cloud, indexed, replaces it."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from annotator.io import pointcloud
from annotator.io.workspace import Workspace
from annotator.qt.document import Document
from annotator.qt.frame_loader import LOADER_NICENESS, FrameLoader, LoadedFrame, load_preview


@pytest.fixture
def large(
    qtbot, street_project: Path, monkeypatch
) -> Iterator[tuple[Document, list[LoadedFrame], Workspace]]:
    """A document whose loader counts 20k points as large: previews from 5k, cell order from 1k."""
    monkeypatch.setattr(pointcloud, "ARRANGE_FROM", 1_000)
    loader = FrameLoader(threads=1, lod_budget=2_000, preview_from=5_000)  # one thread: jobs in order
    arrivals: list[LoadedFrame] = []
    loader.loaded.connect(arrivals.append)
    document = Document(loader)
    workspace = Workspace.open(street_project)
    yield document, arrivals, workspace
    document.close()
    workspace.close()
    loader.shutdown()


def test_the_sample_comes_first_and_the_whole_indexed_cloud_replaces_it(large, qtbot) -> None:
    document, arrivals, workspace = large
    shown: list[tuple[int, bool]] = []
    document.cloud_changed.connect(
        lambda: document.cloud is not None and shown.append((len(document.cloud), document.cloud.partial))
    )
    with qtbot.waitSignal(document.cloud_changed, timeout=10_000):
        document.open(workspace)
    qtbot.waitUntil(lambda: document.cloud is not None and not document.cloud.partial, timeout=20_000)
    whole = document.cloud
    assert whole.index.arranged and len(whole) == 20_000
    assert shown[-1] == (20_000, False)
    previews = [loaded for loaded in arrivals if loaded.cloud.partial]
    assert len(previews) == 1  # for the frame shown, not for the next one prefetched
    assert previews[0].cloud.total == 20_000 and 1_500 <= len(previews[0].cloud) <= 2_000
    assert shown[0] == (len(previews[0].cloud), True)
    car = document.cuboids()[0]
    assert document.points_inside(car) == len(whole.inside(car.cuboid)) > 100


def test_box_counts_wait_for_the_whole_cloud_and_a_late_preview_is_ignored(large, qtbot) -> None:
    document, _, workspace = large
    document.open(workspace, wait=True)
    whole = document.cloud
    assert whole is not None and not whole.partial
    late = load_preview(document.frame_id, document.loaded.path, 2_000)
    assert late is not None and late.cloud.partial
    assert document.points_inside(document.cuboids()[0]) is not None
    document.loader.loaded.emit(late)
    assert document.cloud is whole  # the sample never replaces the whole cloud
    document.loaded = late
    assert document.points_inside(document.cuboids()[0]) is None  # unknown while only the sample is in


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is Linux's")
def test_loads_run_at_a_lower_priority_than_the_window(large, qtbot) -> None:
    document, _, workspace = large
    document.open(workspace)
    qtbot.waitUntil(lambda: document.cloud is not None and not document.cloud.partial, timeout=20_000)
    window_niceness = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen: list[int] = []
    document.loader.jobs.submit(
        lambda _context: os.getpriority(os.PRIO_PROCESS, threading.get_native_id()),
        on_done=lambda outcome: seen.append(outcome.result),
    )
    qtbot.waitUntil(lambda: bool(seen), timeout=5_000)
    assert seen[0] == min(19, window_niceness + LOADER_NICENESS)  # the loader's one thread
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == window_niceness


def test_the_whole_read_waits_for_the_sample_even_with_two_threads(
    street_project, qtbot, monkeypatch
) -> None:
    """Read side by side, the sample's thousands of short reads each waited behind the whole read's block
    work for the GIL (100M points: 0.7 s alone, 13 s beside it): the sample is read first, then the rest."""
    from annotator.qt import frame_loader

    events: list[str] = []
    real_sample, real_indexed = frame_loader.read_sample, frame_loader.read_indexed

    def slow_sample(path, budget):
        events.append("sample starts")
        threading.Event().wait(0.2)  # long enough for a second thread to start the whole read meanwhile
        events.append("sample read")
        return real_sample(path, budget)

    def whole(path):
        events.append("whole starts")
        return real_indexed(path)

    monkeypatch.setattr(frame_loader, "read_sample", slow_sample)
    monkeypatch.setattr(frame_loader, "read_indexed", whole)
    loader = FrameLoader(threads=2, lod_budget=2_000, preview_from=5_000)
    arrivals: list[bool] = []
    loader.loaded.connect(lambda loaded: arrivals.append(loaded.cloud.partial))
    cloud = sorted(street_project.parent.glob("*.bin"))[0]
    try:
        assert loader.request(1, cloud) is None
        qtbot.waitUntil(lambda: len(arrivals) == 2, timeout=10_000)
    finally:
        loader.shutdown()
    assert events == ["sample starts", "sample read", "whole starts"]
    assert arrivals == [True, False]  # the sample shown first, then the whole cloud


def test_a_cloud_larger_than_the_cache_is_not_prefetched(street_project, qtbot) -> None:
    cloud = sorted(street_project.parent.glob("*.bin"))[1]  # 20k points
    small = FrameLoader(threads=1, cache_points=10_000)
    roomy = FrameLoader(threads=1, cache_points=30_000)
    try:
        small.prefetch(2, cloud)
        roomy.prefetch(2, cloud)
        assert not small.is_pending(2, cloud)  # it would push the shown cloud out of the cache
        assert roomy.is_pending(2, cloud)
        roomy.wait()
    finally:
        small.shutdown()
        roomy.shutdown()
