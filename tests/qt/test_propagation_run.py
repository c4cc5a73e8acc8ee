"""Tracks > Propagate forward in the window: a track is carried frame by frame through the following frames
(one undo step per frame, planned off the UI thread), Esc stops it, the user corrects the box where it
stopped and running it again resumes from there with the correction as a labelled keyframe."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from window_support import show_window  # type: ignore[import-not-found]

from annotator.core import propagation
from annotator.core.cuboids.cuboid_ops import edit_cuboids
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.model.records import Source
from annotator.core.world import from_world
from annotator.qt import propagation_run
from tests.cli.test_cli_propagate import FRAMES, ego, make_drive, mover

MOVER = 2  # the track of the car driving ahead (track 1 is parked)


@pytest.fixture
def drive(qtbot, settings, tmp_path: Path) -> Iterator:
    """The window on a six-frame drive with ego poses, both cars labelled on frames 0 and 1, at frame 1
    with the moving car selected."""
    main = show_window(qtbot, settings, make_drive(tmp_path / "drive"))
    document = main.document
    document.set_frame(document.frames()[1].id)
    qtbot.waitUntil(lambda: document.cloud is not None, timeout=10_000)
    document.select(next(a.id for a in document.cuboids() if a.track_id == MOVER))
    yield main
    main.close()


def _box(main, position: int):
    frame = main.document.frames()[position]
    return next((a for a in main.document.project.annotations_of(frame.id) if a.track_id == MOVER), None)


def _run(main, qtbot, action: str = "tracks.propagate_forward") -> str:
    with qtbot.waitSignal(main.propagation.finished, timeout=30_000) as finished:
        main.actions[action].trigger()
    return finished.args[0]


def test_propagate_forward_carries_the_track_to_the_end_one_step_per_frame(drive, qtbot, monkeypatch) -> None:
    main = drive
    threads: list[threading.Thread] = []

    def recording(*args, **kwargs):
        threads.append(threading.current_thread())
        return propagation.plan_step(*args, **kwargs)

    monkeypatch.setattr(propagation_run, "plan_step", recording)
    before = len(main.document.workspace.stack.entries)
    assert _run(main, qtbot) == "end"
    assert len(threads) == FRAMES - 2 and threading.main_thread() not in threads
    entries = main.document.workspace.stack.entries[before:]
    assert [e.label for e in entries] == ["Propagate 1 cuboid to the next frame"] * (FRAMES - 2)
    assert main.document.frame_id == main.document.frames()[-1].id
    assert main.document.selected.track_id == MOVER  # the carried box, ready for a correction
    for k in range(2, FRAMES):
        carried = _box(main, k)
        assert carried.provenance.source == Source.PROPAGATED
        assert carried.cuboid.size == pytest.approx(mover(0).size)  # the track's size kept
    assert bev_iou(_box(main, 2).cuboid, from_world(mover(2), ego(2))) > 0.8
    assert all(_box(main, k) is None or _box(main, k).track_id == MOVER for k in range(FRAMES))
    assert "last frame" in main.statusBar().currentMessage()
    main.actions["edit.undo"].trigger()  # one frame's step at a time
    assert _box(main, FRAMES - 1) is None and _box(main, FRAMES - 2) is not None


def test_esc_stops_then_a_correction_is_the_keyframe_the_run_resumes_from(drive, qtbot) -> None:
    main = drive
    frames = main.document.frames()

    def stop_at_frame_3(frame_id: int) -> None:
        if frame_id == frames[3].id:
            main.actions["edit.deselect"].trigger()  # Esc

    main.propagation.step_done.connect(stop_at_frame_3)
    assert _run(main, qtbot) == "stopped"
    main.propagation.step_done.disconnect(stop_at_frame_3)
    assert main.document.frame_id == frames[3].id and not main.propagation.running
    assert _box(main, 4) is None and _box(main, 5) is None
    assert "stopped at frame" in main.statusBar().currentMessage()
    stopped = _box(main, 3)
    assert main.document.selected_id == stopped.id  # Esc stopped the run, it did not clear the selection

    truth = from_world(mover(3), ego(3))
    main.document.push(edit_cuboids(main.document.project, [stopped.id], lambda _c: truth, "Move cuboid"))
    before = len(main.document.workspace.stack.entries)
    assert _run(main, qtbot) == "end"
    corrected = _box(main, 3)
    assert corrected.cuboid == truth and corrected.provenance.source == Source.MANUAL and corrected.keyframe
    assert len(main.document.workspace.stack.entries) - before == 2  # frames 4 and 5, one step each
    assert bev_iou(_box(main, 4).cuboid, from_world(mover(4), ego(4))) > 0.7
    main.document.workspace.stack.undo()
    main.document.workspace.stack.undo()  # the first resumed step also took back the keyframe mark
    assert _box(main, 4) is None and _box(main, 3).provenance.source == Source.PROPAGATED
    assert _box(main, 3).cuboid == truth


def test_propagate_forward_needs_a_track_and_a_following_frame(drive, qtbot) -> None:
    main = drive
    main.document.select(None)
    main.actions["tracks.propagate_forward"].trigger()
    assert not main.propagation.running and "Select a box" in main.statusBar().currentMessage()
    main.document.set_frame(main.document.frames()[-1].id)
    main.actions["tracks.propagate_forward_all"].trigger()
    assert not main.propagation.running
    main.actions["edit.deselect"].trigger()  # Esc with no run: clears the selection as before
    assert main.document.selected_id is None


def test_going_to_another_frame_while_it_runs_stops_it_there(drive, qtbot) -> None:
    main = drive
    frames = main.document.frames()

    def jump_back(frame_id: int) -> None:
        if frame_id == frames[2].id:
            main.document.set_frame(frames[0].id)

    main.propagation.step_done.connect(jump_back)
    assert _run(main, qtbot) == "left"
    assert main.document.frame_id == frames[0].id and _box(main, 3) is None
    assert "another frame" in main.statusBar().currentMessage()
