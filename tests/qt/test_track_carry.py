"""Tracks in the window: a box carried to the next frame without a velocity finds its object there,
"copy from previous frame" fills an empty frame, and the Tracks actions need a selected cuboid."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt
from window_support import show_window  # type: ignore[import-not-found]

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.records import Annotation, Source
from annotator.io.frames import frames_from_files
from annotator.io.pointcloud import write_kitti_bin
from annotator.io.workspace import Workspace
from annotator.qt.frame_loader import FrameLoader
from tests.qt.conftest import street_points

VAN = Cuboid((12.0, 4.0, -0.6), (5.0, 2.0, 2.2), math.radians(10.0))
#: Frame 1: the van drove 1.7 m along its heading; a parked car stays.
MOVED = VAN.replace(center=(12.0 + 1.7 * math.cos(VAN.yaw), 4.0 + 1.7 * math.sin(VAN.yaw), -0.6))
PARKED = Cuboid((6.0, -6.0, -0.95), (4.2, 1.8, 1.5), 0.0)


def van_project(tmp_path: Path) -> Path:
    """Two frames of a van driving off (boxed on frame 0 only) beside a parked car."""
    files = []
    for k, van in enumerate((VAN, MOVED)):
        path = tmp_path / f"{k:06d}.bin"
        write_kitti_bin(path, street_points([van, PARKED], 12_000, seed=k))
        files.append(path)
    with Workspace.create(tmp_path / "project") as workspace:
        ids = workspace.push(AddFrames(frames_from_files(workspace.project, files))).ids
        workspace.push(AddAnnotations([Annotation(0, ids[0], "Van", cuboid=VAN)]))
    return tmp_path / "project"


@pytest.fixture
def moving_van(qtbot, settings, tmp_path: Path) -> Iterator:
    """The window on `van_project`."""
    main = show_window(qtbot, settings, van_project(tmp_path))
    yield main
    main.close()


def propagate_selected(main, qtbot):
    """Select the van, press Ctrl+P and wait for the carried box to be selected on the next frame."""
    van = main.document.cuboids()[0]
    main.document.select(van.id)
    qtbot.keyClick(main.grid.perspective, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: main.document.frame.id == main.document.frames()[1].id, timeout=10_000)
    return van, main.document.selected


def test_propagating_a_single_keyframe_finds_the_moved_object(moving_van, qtbot) -> None:
    main = moving_van
    van, carried = propagate_selected(main, qtbot)
    assert carried.frame_id == main.document.frames()[1].id and carried.track_id == van.track_id
    assert carried.cuboid.size == VAN.size and carried.cuboid.yaw == VAN.yaw
    moved = np.hypot(*(np.subtract(carried.cuboid.center, MOVED.center)[:2]))
    assert moved < 0.3  # a copy would be 1.7 m behind
    assert carried.provenance.source == Source.PROPAGATED


@pytest.fixture
def large_next_frame(qtbot, settings, tmp_path: Path) -> Iterator:
    """The window on `van_project` with a loader for which the next frame is large (from 1,000 points):
    prefetched as page cache and preview only, not decoded."""
    loader = FrameLoader(lod_budget=5_000, preview_from=1_000)
    main = show_window(qtbot, settings, van_project(tmp_path), loader=loader)
    following = main.document.frames()[1]
    assert loader.cached(following.id, main.document.project.resolve_path(following.cloud)) is None
    yield main
    main.close()


def test_propagating_onto_a_large_frame_not_yet_read_waits_for_the_loader_off_the_window_thread(
    large_next_frame, qtbot, monkeypatch
) -> None:
    main = large_next_frame
    monkeypatch.setattr(
        main.document.loader, "load_now", lambda *args, **kwargs: pytest.fail("read on the window's thread")
    )
    van, carried = propagate_selected(main, qtbot)
    assert carried.track_id == van.track_id
    assert np.hypot(*(np.subtract(carried.cuboid.center, MOVED.center)[:2])) < 0.3


def test_a_propagation_waiting_for_its_frame_carries_the_boxes_selected_when_it_was_asked(
    large_next_frame, qtbot
) -> None:
    main = large_next_frame
    van = main.document.cuboids()[0]
    main.document.select(van.id)
    qtbot.keyClick(main.grid.perspective, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    main.document.select(None)  # while the next frame is read
    qtbot.waitUntil(lambda: main.document.frame.id == main.document.frames()[1].id, timeout=10_000)
    assert [a.track_id for a in main.document.cuboids()] == [van.track_id]


def test_copy_from_previous_frame_fills_an_empty_frame(moving_van, qtbot) -> None:
    main = moving_van
    main.document.set_frame(main.document.frames()[1].id)
    assert main.document.cuboids() == []
    main.actions["tracks.copy_previous"].trigger()
    copied = main.document.cuboids()
    assert [a.cuboid for a in copied] == [VAN] and copied[0].provenance.source == Source.PROPAGATED
    main.actions["edit.undo"].trigger()
    assert main.document.cuboids() == []


def test_tracks_actions_need_a_selected_cuboid(moving_van) -> None:
    main = moving_van
    main.document.select(None)
    needs = ("tracks.copy", "tracks.propagate", "tracks.interpolate", "tracks.harmonize")
    assert not any(main.actions[name].isEnabled() for name in needs)
    assert main.actions["tracks.copy_all"].isEnabled()
    assert not main.actions["tracks.copy_previous"].isEnabled()  # frame 0 has no previous frame
    main.document.select(main.document.cuboids()[0].id)
    assert all(main.actions[name].isEnabled() for name in needs)
    main.document.set_frame(main.document.frames()[1].id)
    assert main.actions["tracks.copy_previous"].isEnabled()
