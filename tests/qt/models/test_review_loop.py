"""The review loop at the keyboard: the camera follows each reviewed box, accept / reject say what they
did, X during a U walk goes to the next uncertain box, the queue counts every unreviewed proposal, accept
all confident says how many where, Ctrl+Y redoes, and the keys work again right after a dialog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog
from window_support import show_window  # type: ignore[import-not-found]

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations
from annotator.core.model.records import Annotation, Provenance, Review, Source
from annotator.io.workspace import Workspace
from annotator.ml.uncertainty.scoring import UNCERTAINTY_KEY

#: Proposals per frame position: (centre, score, uncertainty or None when unscored).
PROPOSALS = {
    0: [((20.0, -12.0, -1.0), 0.9, 0.7), ((25.0, 10.0, -1.0), 0.8, None), ((-8.0, -9.0, -1.0), 0.5, 0.1)],
    1: [((18.0, 14.0, -1.0), 0.7, 0.9)],
    2: [((-20.0, 15.0, -1.0), 0.6, 0.8)],
}


def proposal(frame_id: int, centre, score: float, uncertainty: float | None) -> Annotation:
    attributes = {}
    if uncertainty is not None:
        attributes = {UNCERTAINTY_KEY: {"uncertainty": uncertainty, "score": score, "mode": "tta"}}
    return Annotation(
        0,
        frame_id,
        "Car",
        cuboid=Cuboid(centre, (4.0, 1.8, 1.5), 0.3),
        provenance=Provenance(Source.MODEL, "geometric", "1", score),
        review=Review.UNREVIEWED,
        attributes=attributes,
    )


@pytest.fixture
def review_window(qtbot, settings, street_project: Path) -> Iterator:
    """The street project with proposals on every frame (some scored), open at frame 0."""
    with Workspace.open(street_project) as workspace:
        frames = workspace.project.frames_in_order()
        found = [proposal(frames[k].id, *p) for k, items in PROPOSALS.items() for p in items]
        workspace.push(AddAnnotations(found))
    main = show_window(qtbot, settings, street_project)
    main.grid.render_all_now()
    yield main
    main.close()


def look_direction(main) -> np.ndarray:
    return main.grid.perspective.scene.camera_pose().direction


def focal_point(main) -> np.ndarray:
    return np.asarray(main.grid.perspective.scene.camera_pose().focal_point)


def press(main, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A key press where the keyboard focus is (as a user's key goes), the window when nothing has it."""
    target = QApplication.focusWidget() or main
    assert target.window() is main, f"the keyboard focus is outside the window: {target}"
    from pytestqt.qtbot import QtBot

    QtBot.keyClick(target, key, modifier)


def test_j_moves_the_camera_to_the_box_keeping_the_viewing_angle(review_window, qtbot) -> None:
    main = review_window
    direction = look_direction(main)
    press(main, Qt.Key.Key_J)
    selected = main.document.selected
    assert selected.provenance.score == 0.9
    assert np.allclose(focal_point(main), selected.cuboid.center, atol=1e-6)
    assert np.allclose(look_direction(main), direction, atol=1e-6)


def test_accept_and_reject_say_what_they_did_and_the_camera_follows(review_window, qtbot) -> None:
    main = review_window
    press(main, Qt.Key.Key_J)
    first = main.document.selected
    press(main, Qt.Key.Key_Return)
    assert main.document.project.annotations[first.id].review == Review.ACCEPTED
    message = main.statusBar().currentMessage()
    assert f"Accepted Car #{first.id}" in message and "2 proposals left in this frame" in message
    second = main.document.selected
    assert np.allclose(focal_point(main), second.cuboid.center, atol=1e-6)
    press(main, Qt.Key.Key_X)
    assert second.id not in main.document.project.annotations
    assert f"Rejected Car #{second.id}" in main.statusBar().currentMessage()


def test_x_during_a_u_walk_goes_to_the_next_uncertain_box(review_window, qtbot) -> None:
    main = review_window
    main.review_queue.rebuild()
    main.document.flags.set_threshold(0.5)
    press(main, Qt.Key.Key_U)
    first = main.document.selected
    assert uncertainty(first) == 0.9  # the most uncertain, on frame 1
    assert np.allclose(focal_point(main), first.cuboid.center, atol=1e-6)
    press(main, Qt.Key.Key_X)
    after = main.document.selected
    assert after is not None and uncertainty(after) == 0.8  # frame 2's, not a proposal by score
    assert main.document.frame_id == after.frame_id
    assert np.allclose(focal_point(main), after.cuboid.center, atol=1e-6)


def uncertainty(annotation: Annotation) -> float:
    return annotation.attributes[UNCERTAINTY_KEY]["uncertainty"]


def test_double_click_in_the_queue_focuses_the_box(review_window, qtbot) -> None:
    main = review_window
    panel = main.review_queue
    panel.rebuild()
    main.docks["queue"].show()
    main.docks["queue"].raise_()
    qtbot.waitUntil(lambda: panel.tree.viewport().isVisible(), timeout=2000)
    row = panel.box_rows()[-1]  # frame 0's least uncertain box
    panel.tree.scrollTo(row)
    rect = panel.tree.visualRect(row)
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # as a hand does
    qtbot.mouseDClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    selected = main.document.selected
    assert selected is not None and selected.id == row.data(Qt.ItemDataRole.UserRole)
    assert np.allclose(focal_point(main), selected.cuboid.center, atol=1e-6)


def test_the_queue_counts_every_unreviewed_proposal(review_window) -> None:
    main = review_window
    main.review_queue.rebuild()
    assert main.review_queue.summary.text().startswith("5 unreviewed proposals in 3 frames; 4 scored")


def test_accept_all_confident_takes_this_frame_and_says_how_many_where(review_window) -> None:
    main = review_window
    main.document.flags.set_threshold(0.85)
    main.actions["models.accept_confident"].trigger()
    frame = main.document.frame
    assert main.statusBar().currentMessage() == f"Accepted 2 confident proposals in frame {frame.name}"
    main.actions["models.accept_confident_all"].trigger()
    name = main.document.frames()[2].name
    assert main.statusBar().currentMessage() == f"Accepted 1 confident proposal in frame {name}"


def test_ctrl_y_is_a_redo_key_also_where_the_platform_binds_only_ctrl_shift_z(monkeypatch) -> None:
    from PySide6.QtGui import QKeySequence

    from annotator.qt.app import actions

    class X11Keys(QKeySequence):  # what Qt's xcb platform (GNOME) binds Redo to
        @staticmethod
        def keyBindings(key):
            if key == QKeySequence.StandardKey.Redo:
                return [QKeySequence("Ctrl+Shift+Z")]
            return QKeySequence.keyBindings(key)

    monkeypatch.setattr(actions, "QKeySequence", X11Keys)
    redo = next(s for s in actions.default_actions() if getattr(s, "id", "") == "edit.redo")
    keys = [k.toString() for k in actions.key_sequences(redo.keys)]
    assert "Ctrl+Y" in keys and "Ctrl+Shift+Z" in keys


def test_ctrl_y_redoes(review_window) -> None:
    main = review_window
    main.actions["edit.undo"].trigger()
    assert not [a for a in main.document.project.annotations.values() if a.is_proposal]
    press(main, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert len([a for a in main.document.project.annotations.values() if a.is_proposal]) == 5


def test_keys_work_right_after_the_preannotate_dialog(review_window, qtbot) -> None:
    main = review_window

    def close() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QDialog)
        dialog.reject()

    QTimer.singleShot(0, close)
    main.actions["models.preannotate_frame"].trigger()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is main, timeout=2000)
    assert QApplication.focusWidget() is not None
    press(main, Qt.Key.Key_J)
    assert main.document.selected is not None and main.document.selected.provenance.score == 0.9
