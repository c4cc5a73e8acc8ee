"""A large cloud is held decoded once: the next frame is prefetched as page cache and a preview sample,
and the large frame shown before is freed once the window shows another."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from window_support import show_window  # type: ignore[import-not-found]

from annotator.io import pointcloud
from annotator.io.workspace import Workspace
from annotator.qt import frame_loader
from annotator.qt.document import Document
from annotator.qt.frame_loader import FrameLoader


@pytest.fixture
def large_loader(monkeypatch) -> Iterator[FrameLoader]:
    """A loader that counts the street's 20k-point clouds as large (previews from 5k points)."""
    monkeypatch.setattr(pointcloud, "ARRANGE_FROM", 1_000)
    loader = FrameLoader(threads=1, lod_budget=2_000, preview_from=5_000)
    yield loader
    loader.shutdown()


def _path(document: Document, position: int) -> Path:
    project = document.project
    assert project is not None
    return project.resolve_path(document.frames()[position].cloud)


def test_the_next_large_frame_is_read_ahead_and_sampled_not_decoded(
    large_loader, street_project: Path, qtbot, monkeypatch
) -> None:
    ahead: list[str] = []
    sampled: list[str] = []
    real_sample = frame_loader.read_sample
    monkeypatch.setattr(frame_loader, "read_ahead", lambda path: ahead.append(str(path)) or True)
    monkeypatch.setattr(
        frame_loader,
        "read_sample",
        lambda path, budget: sampled.append(str(path)) or real_sample(path, budget),
    )
    document = Document(large_loader)
    workspace = Workspace.open(street_project)
    try:
        document.open(workspace)
        qtbot.waitUntil(lambda: document.cloud is not None and not document.cloud.partial, timeout=20_000)
        qtbot.waitUntil(lambda: not large_loader.jobs.busy(), timeout=20_000)
        first, second = document.frames()[0], document.frames()[1]
        assert large_loader.cached(second.id, _path(document, 1)) is None  # no second decoded cloud
        assert large_loader.decoded_points() == len(document.cloud) == 20_000
        assert ahead == [str(_path(document, 1))]  # its file is read ahead into the page cache
        assert sampled.count(str(_path(document, 1))) == 1  # and its preview made

        shown: list[bool] = []
        document.cloud_changed.connect(
            lambda: document.cloud is not None and shown.append(document.cloud.partial)
        )
        document.step_frame(1)
        qtbot.waitUntil(lambda: document.cloud is not None and not document.cloud.partial, timeout=20_000)
        assert document.frame_id == second.id
        assert shown[0] is True and shown[-1] is False  # the kept preview first, then the whole cloud
        assert sampled.count(str(_path(document, 1))) == 1  # the preview was not read again
        assert large_loader.cached(first.id, _path(document, 0)) is None  # decoded alone
        assert large_loader.cached(second.id, _path(document, 1)) is not None
    finally:
        document.close()
        workspace.close()


def test_small_frames_are_still_prefetched_whole(document: Document, qtbot) -> None:
    qtbot.waitUntil(lambda: not document.loader.jobs.busy(), timeout=20_000)
    following = document.frames()[1]
    assert document.loader.cached(following.id, _path(document, 1)) is not None


def test_the_large_frame_shown_before_is_freed_once_another_is_shown(
    large_loader, settings, street_project: Path, qtbot
) -> None:
    window = show_window(qtbot, settings, street_project, loader=large_loader)
    document = window.document
    qtbot.waitUntil(lambda: document.cloud is not None and not document.cloud.partial, timeout=20_000)
    document.select(document.cuboids()[0].id)  # the orthographic views fit the car, its points highlighted
    window.grid.render_all_now()
    qtbot.waitUntil(lambda: not window.grid.focus_jobs.busy(), timeout=20_000)
    shown_before = weakref.ref(document.cloud)

    window.step_frame(1)
    qtbot.waitUntil(lambda: document.cloud is not None and not document.cloud.partial, timeout=20_000)
    window.grid.render_all_now()
    gc.collect()
    assert shown_before() is None  # neither the loader's cache nor the views' caches hold it
    window.close()
