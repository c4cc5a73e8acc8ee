"""Pushing one Properties field's value to the same object's box in the next or previous frame."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction

from annotator.core.edits import update_annotation


def test_a_field_pushed_to_the_next_and_previous_frame_in_one_undoable_step(window, qtbot) -> None:
    main = window
    car = next(a for a in main.document.cuboids() if a.class_name == "Car")
    main.document.select(car.id)
    main.actions["tracks.copy"].trigger()  # the same object on frame 1 (its track)
    frames = main.document.project.frames_in_order()
    car = main.document.project.annotations[car.id]
    copy = next(a for a in main.document.project.annotations_of(frames[1].id) if a.track_id == car.track_id)
    main.document.push(
        update_annotation(main.document.project, car.id, cuboid=car.cuboid.replace(size=(4.6, 1.95, 1.5)))
    )
    main.document.set_frame(frames[0].id, wait=True)  # back to the first frame, the car selected
    main.document.select(car.id)
    assert main.document.selected.id == car.id
    width_spin = main.properties_panel.spins["width"]
    push_next = width_spin.findChild(QAction, "push-width-next")
    assert push_next in width_spin.actions()  # offered in the field's context menu
    push_next.trigger()
    pushed = main.document.project.annotations[copy.id].cuboid
    assert pushed.size[1] == pytest.approx(1.95)
    assert pushed.size[0] == pytest.approx(copy.cuboid.size[0])  # only that field
    assert pushed.center == pytest.approx(copy.cuboid.center)
    assert main.document.workspace.stack.undo_label() == "Push width to the next frame"
    assert "pushed to the next frame" in main.statusBar().currentMessage()
    main.actions["edit.undo"].trigger()
    assert main.document.project.annotations[copy.id].cuboid == copy.cuboid
    assert not main.properties_panel.push_value("width", -1)  # frame 0 has no previous frame
    assert "no box of this object" in main.statusBar().currentMessage()
