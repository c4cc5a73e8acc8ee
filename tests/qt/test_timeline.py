"""The track timeline under the views: the selected track's keyframes, interpolated and missing frames;
a click jumps to a frame, Alt+K / Alt+Shift+K set and clear a keyframe (undoable)."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt

from annotator.core.timeline import Cell

ALT = Qt.KeyboardModifier.AltModifier


def states(window) -> list[Cell]:
    return [cell.state for cell in window.timeline.cells]


def select_car(window) -> int:
    car = next(a for a in window.document.cuboids() if a.class_name == "Car")
    window.document.select(car.id)
    return car.track_id


def test_the_strip_shows_the_selected_track_along_the_sequence(window) -> None:
    assert window.timeline.isVisible() and window.timeline.cells == []
    track = select_car(window)
    assert window.timeline.track_id == track
    assert states(window) == [Cell.KEYFRAME, Cell.MISSING, Cell.MISSING]
    assert window.timeline.y() > window.grid.y()  # under the views


def test_click_jumps_and_keys_set_and_clear_a_keyframe(window, qtbot) -> None:
    track = select_car(window)
    timeline = window.timeline
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=timeline.cell_centre(2).toPoint())
    frames = window.document.frames()
    assert window.document.frame_id == frames[2].id and timeline.track_id == track
    qtbot.keyClick(window.grid.perspective, Qt.Key.Key_K, ALT)  # a keyframe copied from frame 0
    assert states(window) == [Cell.KEYFRAME, Cell.MISSING, Cell.KEYFRAME]
    assert window.document.selected.track_id == track
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=timeline.cell_centre(1).toPoint())
    qtbot.keyClick(window.grid.perspective, Qt.Key.Key_K, ALT)  # between two keyframes
    assert states(window) == [Cell.KEYFRAME] * 3
    qtbot.keyClick(window.grid.perspective, Qt.Key.Key_K, ALT | Qt.KeyboardModifier.ShiftModifier)
    assert states(window) == [Cell.KEYFRAME, Cell.INTERPOLATED, Cell.KEYFRAME]
    window.actions["edit.undo"].trigger()
    assert states(window) == [Cell.KEYFRAME] * 3
