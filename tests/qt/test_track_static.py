"""Tracks > Mark track static: the flag is undoable, and moving one box then moves the track's others."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from annotator.core.static_tracks import is_static


def test_marking_a_track_static_makes_one_edit_move_all_its_boxes(window) -> None:
    document = window.document
    car = next(a for a in document.cuboids() if a.class_name == "Car")
    document.select(car.id)
    window.actions["tracks.copy"].trigger()  # the car now has a box in frames 0 and 1
    copy = document.selected
    window.actions["tracks.static"].trigger()
    assert is_static(document.project, copy.track_id)
    for _ in range(5):
        window.actions["cuboid.move_forward"].trigger()
    moved = document.project.annotations[copy.id].cuboid
    assert moved.center != car.cuboid.center
    assert document.project.annotations[car.id].cuboid == moved  # no poses: one sensor box for all
    window.actions["tracks.static"].trigger()
    assert not is_static(document.project, copy.track_id)
    window.document.workspace.stack.undo()
    assert is_static(document.project, copy.track_id)
