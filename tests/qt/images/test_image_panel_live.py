"""The image panel keeps the UI live and in step: points overlay and "derive all" in workers, clipping to
the image, one active class, projections that follow drags, arrow/number keys on 2D boxes, and the 3D
views' message for image-only frames."""

from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, UpdateAnnotations
from annotator.core.model.records import Annotation, Source
from tests.qt.images import test_image_panel as image_panel_tests
from tests.qt.test_mouse_editing import to_widget

#: The image panel tests' fixtures: the street project with two calibrated cameras, open in a window.
camera_project = image_panel_tests.camera_project
panel_window = image_panel_tests.panel_window
_drag = image_panel_tests._drag


def _path_points(item) -> np.ndarray:
    path = item.path()
    return np.array([(path.elementAt(i).x, path.elementAt(i).y) for i in range(path.elementCount())])


def _wireframe(panel, annotation_id: int):
    return next(w for w in panel.view.wireframes if w.annotation_id == annotation_id)


def _car(document) -> Annotation:
    return next(a for a in document.cuboids() if a.class_name == "Car")


# -- 1. points overlay in a worker ---------------------------------------------------------------------
def test_points_overlay_is_computed_in_a_worker_thread(panel_window, monkeypatch) -> None:
    import annotator.qt.images.overlay_worker as overlay_worker

    threads = []
    original = overlay_worker.points_overlay

    def recording(*args):
        threads.append(threading.current_thread())
        return original(*args)

    monkeypatch.setattr(overlay_worker, "points_overlay", recording)
    panel = panel_window.images
    panel.set_points_visible(True)
    panel.wait_for_points()
    assert threads and all(t is not threading.main_thread() for t in threads)
    assert not panel.view.points_item.pixmap().isNull() and panel.view.points_item.isVisible()


def test_an_overlay_for_a_camera_no_longer_shown_is_dropped(panel_window, monkeypatch) -> None:
    import annotator.qt.images.overlay_worker as overlay_worker

    original = overlay_worker.points_overlay
    made_for = []

    def slow(camera, *args):
        time.sleep(0.2)
        made_for.append(camera.name)
        return original(camera, *args)

    monkeypatch.setattr(overlay_worker, "points_overlay", slow)
    panel = panel_window.images
    shown = []
    panel.overlay_worker.ready.connect(lambda key, image, error: shown.append(key[1]))
    panel.set_points_visible(True)  # front: starts computing
    panel.step_camera(1)  # rear, while front is still being computed
    panel.wait_for_image()
    panel.wait_for_points()
    assert made_for[-1] == "rear"
    assert shown == ["rear"]  # the front overlay was computed too late and never shown
    assert panel.view.points_item.isVisible()


# -- 2. derive in all frames off the UI thread, one command ---------------------------------------------
def test_derive_all_runs_in_a_worker_with_progress_and_applies_one_command(
    panel_window, qtbot, monkeypatch
) -> None:
    import annotator.qt.derive_job as derive_job

    threads = []
    original = derive_job.plan_frame

    def recording(*args, **kwargs):
        threads.append(threading.current_thread())
        return original(*args, **kwargs)

    monkeypatch.setattr(derive_job, "plan_frame", recording)
    panel, document = panel_window.images, panel_window.document
    stack = document.workspace.stack
    steps = stack.index
    panel_window.actions["image.derive_all"].trigger()
    assert panel.deriver.running and panel.deriver.progress.isVisible()
    qtbot.waitUntil(lambda: not panel.deriver.running, timeout=10_000)
    assert threads and all(t is not threading.main_thread() for t in threads)
    assert not panel.deriver.progress.isVisible()
    derived = [a for a in panel.boxes() if a.provenance.source == Source.DERIVED]
    assert sorted(a.class_name for a in derived) == ["Car", "Pedestrian"]
    assert stack.index == steps + 1 and stack.undo_label() == "Derive 2D boxes in 2 frames"
    panel_window.undo()
    assert panel.boxes() == []


def test_cancelling_derive_all_changes_nothing(panel_window, qtbot, monkeypatch) -> None:
    import annotator.qt.derive_job as derive_job

    original = derive_job.plan_frame

    def slow(*args, **kwargs):
        time.sleep(0.3)
        return original(*args, **kwargs)

    monkeypatch.setattr(derive_job, "plan_frame", slow)
    panel, document = panel_window.images, panel_window.document
    steps = document.workspace.stack.index
    panel.derive_all()
    panel.deriver.progress.cancel_button.click()
    qtbot.waitUntil(lambda: not panel.deriver.running, timeout=10_000)
    assert document.workspace.stack.index == steps
    assert all(a.kind != "box2d" for a in document.project.annotations.values())
    assert "cancelled" in panel.message.text()


def test_a_failing_derivation_shows_its_error_and_changes_nothing(panel_window, qtbot, monkeypatch) -> None:
    import annotator.qt.derive_job as derive_job

    def broken(*args, **kwargs):
        raise ValueError("singular calibration")

    monkeypatch.setattr(derive_job, "plan_frame", broken)
    panel, document = panel_window.images, panel_window.document
    steps, records = document.workspace.stack.index, dict(document.project.annotations)
    panel.derive_all()
    qtbot.waitUntil(lambda: not panel.deriver.running, timeout=10_000)
    assert document.workspace.stack.index == steps and document.project.annotations == records
    assert "failed: ValueError: singular calibration" in panel.message.text()
    assert not panel.deriver.progress.isVisible()


# -- 3. clipping ------------------------------------------------------------------------------------------
def test_wireframes_sticking_out_of_the_image_are_clipped_to_it(panel_window) -> None:
    panel, document = panel_window.images, panel_window.document
    frame_id = document.frame_id
    # close and far to the left: most of it projects left of the image
    near = Annotation(0, frame_id, "Car", cuboid=Cuboid((5.0, 5.0, -0.9), (4.0, 1.8, 1.5), 0.4))
    new_id = document.workspace.push(AddAnnotations([near])).ids[0]
    raw = panel.calibration().cuboid_edges_2d(document.project.annotations[new_id].cuboid)
    assert min(min(a[0], b[0]) for a, b in raw) < -50  # really sticks out
    width, height = panel.view.image_size
    for item in panel.view.wireframes:
        points = _path_points(item)
        assert (points[:, 0] >= -1e-6).all() and (points[:, 0] <= width + 1e-6).all()
        assert (points[:, 1] >= -1e-6).all() and (points[:, 1] <= height + 1e-6).all()
    assert any(item.annotation_id == new_id for item in panel.view.wireframes)


# -- 4. one active class --------------------------------------------------------------------------------
def test_the_panel_class_combo_is_the_window_active_class(panel_window, qtbot) -> None:
    panel, document = panel_window.images, panel_window.document
    toolbar_chooser = panel_window.toolbars["Tools"].findChild(QComboBox, "activeClass")
    document.set_active_class("Truck")
    assert panel.class_box.currentText() == "Truck" and toolbar_chooser.currentText() == "Truck"
    panel.class_box.setCurrentText("Pedestrian")
    assert document.active_class == "Pedestrian" and toolbar_chooser.currentText() == "Pedestrian"
    _drag(qtbot, panel.view, (20.0, 30.0), (120.0, 150.0))
    assert panel.boxes()[0].class_name == "Pedestrian"


# -- 5. projections follow edits live ---------------------------------------------------------------------
def test_projection_follows_merged_drag_commands(panel_window) -> None:
    panel, document = panel_window.images, panel_window.document
    car = _car(document)
    before = _path_points(_wireframe(panel, car.id))
    for step in range(1, 4):
        cuboid = dataclasses.replace(car.cuboid, center=(12.0 + 0.5 * step, 4.0 - 0.5 * step, -0.95))
        moved = dataclasses.replace(document.project.annotations[car.id], cuboid=cuboid)
        document.push(UpdateAnnotations([moved], "Move cuboid", ("drag", car.id)))
        after = _path_points(_wireframe(panel, car.id))
        expected = panel.calibration().cuboid_edges_2d(cuboid)
        assert after[0] == pytest.approx(expected[0][0], abs=1e-3)
        assert not np.allclose(after, before)
        before = after


def test_projection_follows_a_mouse_drag_in_the_top_view_before_the_release(panel_window, qtbot) -> None:
    panel, document = panel_window.images, panel_window.document
    grid = panel_window.grid
    qtbot.waitUntil(lambda: document.cloud is not None, timeout=10_000)
    car = _car(document)
    document.select(car.id)
    grid.render_all_now()
    top = grid.ortho["top"]
    start = to_widget(top, car.cuboid.center)
    end = to_widget(top, np.add(car.cuboid.center, (0.0, 1.5, 0.0)))  # 1.5 m to the left
    before = _path_points(_wireframe(panel, car.id))
    qtbot.mousePress(top.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for k in range(1, 5):
        qtbot.mouseMove(top.canvas, start + (end - start) * (k / 4))
    assert panel_window.mouse_tools.drag is not None  # still dragging: no command yet
    assert document.project.annotations[car.id].cuboid == car.cuboid
    during = _path_points(_wireframe(panel, car.id))
    assert during[:, 0].mean() < before[:, 0].mean() - 5  # moved left in the image
    qtbot.mouseRelease(top.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    after = _path_points(_wireframe(panel, car.id))
    assert after == pytest.approx(during, abs=0.5)


# -- 6. image-only frames ------------------------------------------------------------------------------
def test_views_of_a_frame_without_a_cloud_say_so(qtbot, settings, tmp_path) -> None:
    from annotator.cli import main as cli
    from annotator.qt.app.main_window import MainWindow
    from annotator.qt.views.view_grid import NO_CLOUD_MESSAGE

    image = tmp_path / "photo_0001.png"
    Image.fromarray(np.full((120, 160, 3), 90, np.uint8)).save(image)
    assert cli(["new", str(tmp_path / "photos")]) == 0
    assert cli(["add-frames", str(tmp_path / "photos"), str(image)]) == 0
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.show()
    window.open_project(tmp_path / "photos")
    for view in window.grid.views:
        assert view.placeholder.isVisible() and view.placeholder.text() == NO_CLOUD_MESSAGE
        assert not view.canvas.isVisible()
    window.grid.render_all_now()
    window.close()


def test_views_with_a_cloud_show_the_picture(panel_window) -> None:
    for view in panel_window.grid.views:
        assert not view.placeholder.isVisible() and view.canvas.isVisible()


# -- 7. keys on 2D boxes --------------------------------------------------------------------------------
def test_arrow_keys_nudge_the_selected_box_one_undo_step_per_key_run(panel_window, qtbot) -> None:
    panel, document = panel_window.images, panel_window.document
    _drag(qtbot, panel.view, (20.0, 30.0), (120.0, 150.0))
    box = panel.boxes()[0]
    start = box.box2d
    view = panel.view
    view.setFocus()
    stack = document.workspace.stack
    steps = stack.index
    for _ in range(3):  # one held key: auto-repeated presses, one release
        qtbot.keyPress(view, Qt.Key.Key_Right)
    qtbot.keyRelease(view, Qt.Key.Key_Right)
    qtbot.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    now = document.project.annotations[box.id].box2d
    assert (now.x1 - start.x1, now.y1 - start.y1) == pytest.approx((3.0, 10.0))
    assert (now.width, now.height) == pytest.approx((start.width, start.height))
    assert stack.index == steps + 2 and stack.undo_label() == "Move 2D box"
    panel_window.undo()
    assert document.project.annotations[box.id].box2d.x1 == pytest.approx(start.x1 + 3)
    panel_window.undo()
    assert document.project.annotations[box.id].box2d == start


def test_number_keys_change_the_class_of_the_selected_box(panel_window, qtbot) -> None:
    panel, document = panel_window.images, panel_window.document
    _drag(qtbot, panel.view, (20.0, 30.0), (120.0, 150.0))
    box = panel.boxes()[0]
    names = document.project.schema.names
    panel_window.actions["cuboid.class_2"].trigger()
    assert document.project.annotations[box.id].class_name == names[1]
    assert document.workspace.stack.undo_label() == f"Change class to {names[1]}"
