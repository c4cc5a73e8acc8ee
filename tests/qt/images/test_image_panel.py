"""The image panel: camera images with projected cuboids, points, and 2D boxes drawn with the mouse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt

from annotator.core.camera import CameraCalibration
from annotator.core.edits import UpdateFrame
from annotator.core.model.records import Source
from annotator.io.workspace import Workspace
from tests.qt.conftest import make_street_project

AXES = ((0.0, -1.0, 0.0, 0.0), (0.0, 0.0, -1.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 1.0))
K = ((400.0, 0.0, 320.0), (0.0, 400.0, 180.0), (0.0, 0.0, 1.0))
REAR = ((0.0, 1.0, 0.0, 0.0), (0.0, 0.0, -1.0, 0.0), (-1.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 1.0))


@pytest.fixture
def camera_project(tmp_path: Path) -> Path:
    """The street project with a front and a rear camera image (640x360, calibrated) per frame."""
    directory = make_street_project(tmp_path / "street", frames=2, points=5_000)
    with Workspace.open(directory) as workspace:
        for frame in workspace.project.frames_in_order():
            images = {}
            for name, shade in (("front", 90), ("rear", 160)):
                path = tmp_path / f"{name}_{frame.name}.png"
                Image.fromarray(np.full((360, 640, 3), shade, np.uint8)).save(path)
                images[name] = str(path)
            cameras = {
                "front": CameraCalibration("front", K, AXES, 640, 360),
                "rear": CameraCalibration("rear", K, REAR, 640, 360),
            }
            workspace.push(UpdateFrame(frame.id, images=images, cameras=cameras))
    return directory


@pytest.fixture
def panel_window(qtbot, settings, camera_project):
    from annotator.qt.app.main_window import MainWindow
    from annotator.qt.frame_loader import FrameLoader

    main = MainWindow(settings=settings, loader=FrameLoader(lod_budget=5_000))
    qtbot.addWidget(main)
    main.resize(1400, 1000)
    main.show()
    qtbot.waitExposed(main)
    main.open_project(camera_project)
    panel = main.images
    qtbot.waitUntil(lambda: panel.view.image_size == (640, 360), timeout=10_000)
    panel.view.resize(660, 380)
    panel.view.fit()
    yield main
    main.close()


def _screen(view, x: float, y: float) -> QPoint:
    return view.mapFromScene(QPointF(x, y))


def _drag(qtbot, view, start: tuple[float, float], end: tuple[float, float]) -> None:
    viewport = view.viewport()
    a, b = _screen(view, *start), _screen(view, *end)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=a)
    for t in (0.3, 0.7, 1.0):
        qtbot.mouseMove(
            viewport, QPoint(round(a.x() + t * (b.x() - a.x())), round(a.y() + t * (b.y() - a.y())))
        )
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=b)


def test_panel_shows_the_image_and_the_cuboids_in_front_of_the_camera(panel_window) -> None:
    panel = panel_window.images
    assert panel.cameras() == ["front", "rear"] and panel.camera == "front"
    drawn = {item.annotation_id for item in panel.view.wireframes}
    names = {a.id: a.class_name for a in panel_window.document.cuboids()}
    assert sorted(names[i] for i in drawn) == ["Car", "Pedestrian"]  # the truck is behind
    panel.step_camera(1)
    assert panel.camera == "rear"
    panel.wait_for_image()
    assert [names[i.annotation_id] for i in panel.view.wireframes] == ["Truck"]


def test_drawing_a_box_adds_one_undoable_annotation_with_the_active_class(panel_window, qtbot) -> None:
    panel, document = panel_window.images, panel_window.document
    panel.class_box.setCurrentText("Pedestrian")
    _drag(qtbot, panel.view, (20.0, 30.0), (120.0, 150.0))
    boxes = panel.boxes()
    assert len(boxes) == 1
    box = boxes[0]
    assert box.class_name == "Pedestrian" and box.camera == "front" and box.provenance.source == Source.MANUAL
    assert box.box2d.to_array() == pytest.approx([20, 30, 120, 150], abs=1.5)
    assert document.selected_id == box.id
    assert document.workspace.stack.undo_label() == "Draw 2D box"
    panel_window.undo()
    assert panel.boxes() == []


def test_dragging_a_handle_resizes_and_dragging_inside_moves_the_box(panel_window, qtbot) -> None:
    panel, document = panel_window.images, panel_window.document
    _drag(qtbot, panel.view, (20.0, 30.0), (120.0, 150.0))
    box_id = panel.boxes()[0].id
    before = panel.boxes()[0].box2d
    _drag(qtbot, panel.view, (before.x2, before.y2), (200.0, 220.0))  # the bottom-right handle
    resized = document.project.annotations[box_id].box2d
    assert (resized.x1, resized.y1) == pytest.approx((before.x1, before.y1))
    assert (resized.x2, resized.y2) == pytest.approx((200.0, 220.0), abs=1.5)
    _drag(qtbot, panel.view, (100.0, 100.0), (150.0, 110.0))
    shifted = document.project.annotations[box_id].box2d
    assert shifted.width == pytest.approx(resized.width) and shifted.x1 == pytest.approx(
        resized.x1 + 50, abs=1.5
    )
    assert document.workspace.stack.undo_label() == "Edit 2D box"
    panel_window.undo()
    panel_window.undo()
    assert document.project.annotations[box_id].box2d == before


def test_clicking_a_projected_cuboid_selects_it(panel_window, qtbot) -> None:
    panel, document = panel_window.images, panel_window.document
    car = next(a for a in document.cuboids() if a.class_name == "Car")
    uv, _ = panel.calibration().project(np.array([car.cuboid.center]))
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=_screen(panel.view, *uv[0]))
    assert document.selected_id == car.id
    selected = [w for w in panel.view.wireframes if w.annotation_id == car.id]
    assert selected and selected[0].pen().widthF() > 2


def test_delete_key_removes_the_selected_box(panel_window, qtbot) -> None:
    panel = panel_window.images
    _drag(qtbot, panel.view, (20.0, 30.0), (120.0, 150.0))
    assert len(panel.boxes()) == 1
    qtbot.keyClick(panel.view, Qt.Key.Key_Delete)
    assert panel.boxes() == []


def test_link_then_derive_gives_boxes_linked_to_cuboids(panel_window, qtbot) -> None:
    panel, document = panel_window.images, panel_window.document
    car = next(a for a in document.cuboids() if a.class_name == "Car")
    expected = panel.calibration().cuboid_box2d(car.cuboid)
    panel.class_box.setCurrentText("Pedestrian")
    _drag(qtbot, panel.view, (expected.x1 + 2, expected.y1 + 2), (expected.x2 - 2, expected.y2 - 2))
    drawn = document.selected
    assert drawn.kind == "box2d" and drawn.track_id != car.track_id
    panel_window.actions["image.link"].trigger()
    linked = document.project.annotations[drawn.id]
    assert linked.track_id == car.track_id and linked.class_name == "Car"
    panel_window.actions["image.derive_frame"].trigger()
    derived = [a for a in panel.boxes() if a.provenance.source == Source.DERIVED]
    assert [a.class_name for a in derived] == ["Pedestrian"]  # the car already has its (manual) box
    assert document.project.annotations[drawn.id].box2d == linked.box2d
    assert document.workspace.stack.undo_label() == "Derive 2D boxes"


def test_points_overlay_draws_points_coloured_by_depth(panel_window) -> None:
    panel = panel_window.images
    panel_window.actions["image.points"].trigger()
    assert panel.points_check.isChecked()
    panel.wait_for_points()
    pixmap = panel.view.points_item.pixmap()
    assert not pixmap.isNull()
    alpha = np.array(
        [pixmap.toImage().pixelColor(x, y).alpha() for x in range(0, 640, 4) for y in range(0, 360, 4)]
    )
    assert (alpha > 0).sum() > 50


def test_zoom_keeps_the_point_under_the_cursor_and_fit_shows_everything(panel_window) -> None:
    view = panel_window.images.view
    view.fit()
    fitted = view.zoom()
    view.zoom_by(2.0)
    assert view.zoom() == pytest.approx(2 * fitted)
    panel_window.actions["image.fit"].trigger()
    assert view.zoom() == pytest.approx(fitted)


def test_an_image_only_project_opens_and_takes_2d_boxes(qtbot, settings, tmp_path) -> None:
    from annotator.cli import main as cli
    from annotator.qt.app.main_window import MainWindow

    image = tmp_path / "photo_0001.png"
    Image.fromarray(np.full((240, 320, 3), 120, np.uint8)).save(image)
    assert cli(["new", str(tmp_path / "photos")]) == 0
    assert cli(["add-frames", str(tmp_path / "photos"), str(image)]) == 0
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.resize(1200, 900)
    window.show()
    window.open_project(tmp_path / "photos")
    panel = window.images
    qtbot.waitUntil(lambda: panel.view.image_size == (320, 240), timeout=10_000)
    assert window.document.cloud is None and panel.view.wireframes == []
    window.grid.render_all_now()  # the empty 3D views draw without a cloud
    panel.view.resize(340, 260)
    panel.view.fit()
    _drag(qtbot, panel.view, (10.0, 10.0), (100.0, 80.0))
    assert [a.camera for a in panel.boxes()] == ["image"]
    window.close()


def test_a_box_derived_from_a_proposal_waits_for_it_and_goes_when_it_is_rejected(panel_window, qtbot) -> None:
    from annotator.core.edits import update_annotation
    from annotator.core.model.records import Provenance, Review

    panel, document = panel_window.images, panel_window.document
    car = next(a for a in document.cuboids() if a.class_name == "Car")
    model = Provenance(Source.MODEL, "geometric", "1", 0.9)
    document.push(update_annotation(document.project, car.id, provenance=model, review=Review.UNREVIEWED))
    panel_window.actions["image.derive_frame"].trigger()
    derived = [a for a in panel.boxes() if a.attributes.get("derived_from") == car.id]
    assert [a.review for a in derived] == [Review.UNREVIEWED]
    document.select(car.id)
    panel_window.actions["models.reject"].trigger()  # X: the proposal and its derived box go together
    assert not [a for a in panel.boxes() if a.attributes.get("derived_from") == car.id]
    panel_window.actions["edit.undo"].trigger()
    assert [a.review for a in panel.boxes() if a.attributes.get("derived_from") == car.id] == [
        Review.UNREVIEWED
    ]
