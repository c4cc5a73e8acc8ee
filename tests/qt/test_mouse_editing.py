"""Mouse editing in the real window: click fit, rectangle fit, place, handle drags, undo to exact numbers."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QComboBox
from window_support import show_window  # type: ignore[import-not-found]

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.edits import AddFrames, update_annotation
from annotator.io.frames import frames_from_files
from annotator.io.pointcloud import write_kitti_bin
from annotator.io.workspace import Workspace
from annotator.qt.editing.controller import knob_reach
from annotator.render.camera import focus_pose, ortho_pose_for_cuboid
from annotator.render.handles import knob_position

LEFT = Qt.MouseButton.LeftButton
NO_KEYS = Qt.KeyboardModifier.NoModifier


def to_widget(view, world) -> QPoint:
    """The canvas position (Qt pixels) where ``view`` draws a world point."""
    x, y = view.scene.world_to_display(np.asarray(world, dtype=float))
    ratio = view.canvas.device_pixel_ratio()
    return QPoint(round(x / ratio), round(view.canvas.height() - 1 - y / ratio))


def hover(widget, position: QPoint) -> None:
    """Move the mouse over ``widget`` with no button held (a real move event, as a tracked mouse sends)."""
    local = QPointF(position)
    event = QMouseEvent(
        QEvent.Type.MouseMove,
        local,
        widget.mapToGlobal(local),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        NO_KEYS,
    )
    QApplication.sendEvent(widget, event)


def drag(qtbot, widget, start: QPoint, end: QPoint, steps: int = 6, modifiers=NO_KEYS) -> None:
    """Press at ``start``, move in steps to ``end``, release there."""
    qtbot.mousePress(widget, LEFT, modifiers, start)
    for k in range(1, steps + 1):
        qtbot.mouseMove(widget, start + (end - start) * (k / steps))
    qtbot.mouseRelease(widget, LEFT, modifiers, end)


def open_window(qtbot, settings, project: Path):
    main = show_window(qtbot, settings, project, lod_budget=8_000)
    qtbot.waitUntil(lambda: main.mouse_tools.ground.model is not None, timeout=10_000)
    main.grid.render_all_now()
    return main


# -- a generated street frame (ray-cast LiDAR: cars are seen from one side) -------------------------
@pytest.fixture(scope="module")
def synth_frame(tmp_path_factory) -> tuple[Path, list]:
    from annotator.synth import LidarConfig, SceneConfig, generate_sequence

    sequence = generate_sequence(
        SceneConfig(seed=3, n_frames=1, ego_speed=0.0, lidar=LidarConfig(beams=32, azimuth_step=0.4))
    )
    frame = sequence.frames[0]
    path = tmp_path_factory.mktemp("synth") / "000000.bin"
    write_kitti_bin(path, frame.points)
    return path, frame.objects


@pytest.fixture
def synth_window(qtbot, settings, synth_frame, tmp_path) -> Iterator:
    path, _ = synth_frame
    with Workspace.create(tmp_path / "project") as workspace:
        workspace.push(AddFrames(frames_from_files(workspace.project, [path])))
    main = open_window(qtbot, settings, tmp_path / "project")
    yield main
    main.close()


def unoccluded_car(objects) -> Cuboid:
    """A fully visible car ahead of the sensor with plenty of points."""
    cars = [o for o in objects if o.label == "Car" and o.occlusion == 0 and o.num_points >= 150]
    cars = [o for o in cars if 4.0 < o.cuboid.center[0] < 20.0]
    return min(cars, key=lambda o: o.cuboid.center[0]).cuboid


def only_new_box(main, qtbot):
    qtbot.waitUntil(lambda: not main.mouse_tools.background.busy(), timeout=10_000)  # fitted in a worker
    cuboids = main.document.cuboids()
    assert len(cuboids) == 1
    return cuboids[0]


def test_click_fit_in_the_perspective_view_matches_the_ground_truth(synth_window, synth_frame, qtbot) -> None:
    main = synth_window
    truth = unoccluded_car(synth_frame[1])
    main.actions["tools.click_fit"].trigger()
    assert main.mouse_tools.tool == "click_fit" and main.actions["tools.click_fit"].isChecked()
    view = main.grid.perspective
    view.set_camera_pose(focus_pose(view.scene.camera_pose(), truth))
    view.render_now()
    qtbot.mouseClick(view.canvas, LEFT, NO_KEYS, to_widget(view, truth.center))
    created = only_new_box(main, qtbot)
    assert created.class_name == "Car" and main.document.selected_id == created.id
    assert bev_iou(created.cuboid, truth) >= 0.7
    assert abs(math.cos(created.cuboid.yaw - truth.yaw)) > 0.95  # the heading is along the car
    assert main.document.workspace.stack.undo_label() == "Create cuboid (click fit)"


def test_rectangle_in_the_top_view_fits_the_points_inside(synth_window, synth_frame, qtbot) -> None:
    main = synth_window
    truth = unoccluded_car(synth_frame[1])
    main.actions["tools.rectangle"].trigger()
    top = main.grid.ortho["top"]
    area = Cuboid(truth.center, (10.0, 10.0, 3.0), 0.0)
    top.set_camera_pose(ortho_pose_for_cuboid(area, "top", top.scene.aspect))
    top.render_now()
    corners = truth.corners()[:4, :2]
    low, high = corners.min(axis=0) - 0.6, corners.max(axis=0) + 0.6
    z = truth.center[2]
    drag(qtbot, top.canvas, to_widget(top, (low[0], low[1], z)), to_widget(top, (high[0], high[1], z)))
    created = only_new_box(main, qtbot)
    assert bev_iou(created.cuboid, truth) >= 0.7
    assert created.cuboid.z_range()[0] == pytest.approx(truth.z_range()[0], abs=0.3)


def test_place_puts_a_default_box_on_the_ground_under_the_cursor(window, qtbot) -> None:
    main = window
    main.actions["tools.place"].trigger()
    chooser = main.findChild(QComboBox, "activeClass")
    assert chooser.currentText() == "Car"  # the schema's first class until another is chosen
    chooser.setCurrentText("Pedestrian")
    assert main.document.active_class == "Pedestrian"
    top = main.grid.ortho["top"]
    before = len(main.document.cuboids())
    qtbot.mouseClick(top.canvas, LEFT, NO_KEYS, to_widget(top, (20.0, -10.0, -1.7)))
    assert len(main.document.cuboids()) == before + 1
    placed = main.document.selected.cuboid
    assert main.document.selected.class_name == "Pedestrian"
    assert placed.size == main.document.project.schema.get("Pedestrian").default_size
    assert placed.center[:2] == pytest.approx((20.0, -10.0), abs=0.6)
    assert placed.z_range()[0] == pytest.approx(-1.7, abs=0.1)


# -- editing the street's car in the top view --------------------------------------------------------
def select_car(main):
    car = next(a for a in main.document.cuboids() if a.class_name == "Car")
    main.document.select(car.id)
    main.grid.render_all_now()
    return car


def test_dragging_a_corner_in_the_top_view_keeps_the_opposite_corner_and_undoes_exactly(
    window, qtbot
) -> None:
    main = window
    car = select_car(main)
    top = main.grid.ortho["top"]
    before = car.cuboid
    start = to_widget(top, before.corners()[4])  # front-left, top face
    history = len(main.document.workspace.stack.entries)
    drag(qtbot, top.canvas, start, start + QPoint(-12, -15))
    after = main.document.selected.cuboid
    assert after.size[0] > before.size[0] and after.size[1] > before.size[1]
    assert after.size[2] == before.size[2] and after.yaw == before.yaw
    assert np.allclose(after.corners()[2], before.corners()[2], atol=1e-9)  # rear-right stayed put
    assert len(main.document.workspace.stack.entries) == history + 1  # the whole drag is one step
    assert main.document.workspace.stack.undo_label() == "Resize cuboid"
    main.actions["edit.undo"].trigger()
    assert main.document.selected.cuboid == before
    main.actions["edit.redo"].trigger()
    assert main.document.selected.cuboid == after


def test_the_knob_turns_the_box_in_one_step(window, qtbot) -> None:
    main = window
    car = select_car(main)
    top = main.grid.ortho["top"]
    before = car.cuboid
    knob = knob_position(before, knob_reach(before))
    centre = np.asarray(before.center)
    turn = math.radians(30.0)
    rel = knob - centre
    target = centre + np.array(
        [
            rel[0] * math.cos(turn) - rel[1] * math.sin(turn),
            rel[0] * math.sin(turn) + rel[1] * math.cos(turn),
            rel[2],
        ]
    )
    drag(qtbot, top.canvas, to_widget(top, knob), to_widget(top, target), steps=8)
    after = main.document.selected.cuboid
    assert math.degrees(after.yaw - before.yaw) == pytest.approx(30.0, abs=3.0)
    assert after.center == before.center and after.size == before.size
    assert main.document.workspace.stack.undo_label() == "Rotate cuboid"
    main.actions["edit.undo"].trigger()
    assert main.document.selected.cuboid == before


def test_dragging_inside_moves_and_every_view_follows_live(window, qtbot) -> None:
    main = window
    car = select_car(main)
    top = main.grid.ortho["top"]
    before = car.cuboid
    history = len(main.document.workspace.stack.entries)
    start = to_widget(top, before.center)
    qtbot.mousePress(top.canvas, LEFT, NO_KEYS, start)
    qtbot.mouseMove(top.canvas, start + QPoint(10, 0))
    qtbot.mouseMove(top.canvas, start + QPoint(20, 0))
    during = main.mouse_tools.drag.current
    assert during.center != before.center and during.size == before.size
    for view in main.grid.views:  # all four views draw the moving box before the button is released
        assert main.mouse_tools.previews[view].cuboid == during
        assert not view.scene.cuboids.selected_actor.GetVisibility()
    main.grid.ortho["side"].render_now()
    qtbot.mouseRelease(top.canvas, LEFT, NO_KEYS, start + QPoint(20, 0))
    assert main.document.selected.cuboid == during
    assert len(main.document.workspace.stack.entries) == history + 1
    assert main.document.workspace.stack.undo_label() == "Move cuboid"
    assert during.center[2] == pytest.approx(before.center[2])
    for view in main.grid.views:
        assert main.mouse_tools.previews[view].cuboid is None
        assert view.scene.selected_item().cuboid == during


def test_shift_drag_in_the_perspective_view_slides_the_box_on_the_ground(window, qtbot) -> None:
    main = window
    car = select_car(main)
    view = main.grid.perspective
    before = car.cuboid
    camera = view.scene.camera_pose()
    view.set_camera_pose(focus_pose(camera, before))
    view.render_now()
    start = to_widget(view, before.center)
    drag(qtbot, view.canvas, start, start + QPoint(40, 10), modifiers=Qt.KeyboardModifier.ShiftModifier)
    after = main.document.selected.cuboid
    assert after.center[2] == before.center[2] and after.size == before.size
    assert math.dist(after.center[:2], before.center[:2]) > 0.3
    assert view.scene.camera_pose().position == pytest.approx(focus_pose(camera, before).position)


def test_snap_to_ground_puts_the_bottom_on_the_ground(window) -> None:
    main = window
    car = select_car(main)
    raised = car.cuboid.replace(center=(*car.cuboid.center[:2], 1.0))
    main.document.push(update_annotation(main.document.project, car.id, cuboid=raised))
    main.actions["tools.snap_ground"].trigger()
    snapped = main.document.selected.cuboid
    assert snapped.z_range()[0] == pytest.approx(-1.7, abs=0.1)
    assert snapped.center[:2] == raised.center[:2]
    assert main.document.workspace.stack.undo_label() == "Snap cuboid to ground"


def test_click_fit_on_bare_ground_makes_nothing_and_says_why(window, qtbot) -> None:
    main = window
    main.actions["tools.click_fit"].trigger()
    top = main.grid.ortho["top"]
    before = len(main.document.cuboids())
    qtbot.mouseClick(top.canvas, LEFT, NO_KEYS, to_widget(top, (25.0, -20.0, -1.7)))
    qtbot.waitUntil(lambda: main.statusBar().currentMessage().startswith("No object"), timeout=10_000)
    assert len(main.document.cuboids()) == before


def test_tools_without_a_project_only_explain(qtbot, settings) -> None:
    from annotator.qt.app.main_window import MainWindow

    main = MainWindow(settings=settings)
    qtbot.addWidget(main)
    main.resize(800, 600)
    main.show()
    main.actions["tools.place"].trigger()
    view = main.grid.perspective
    qtbot.mouseClick(view.canvas, LEFT, NO_KEYS, QPoint(100, 100))
    assert "Open a frame" in main.statusBar().currentMessage()
    main.actions["tools.snap_ground"].trigger()
    assert "Select a box" in main.statusBar().currentMessage()
    main.close()


def test_render_throttle_draws_at_most_once_per_interval_and_always_the_last_change(qtbot) -> None:
    from annotator.qt.editing.throttle import RenderThrottle

    class FakeView:
        renders = 0

        def request_render(self) -> None:
            self.renders += 1

    view = FakeView()
    throttle = RenderThrottle(view)  # type: ignore[arg-type]
    throttle.interval = 0.2
    for _ in range(5):
        throttle.request()
    assert view.renders == 1  # the first at once, the rest wait
    qtbot.waitUntil(lambda: view.renders == 2, timeout=2_000)  # the pending change is drawn
    throttle.request()
    throttle.flush()
    assert view.renders == 3


def test_placing_in_the_perspective_view_leaves_the_camera_still_afterwards(window, qtbot) -> None:
    main = window
    main.actions["tools.place"].trigger()
    view = main.grid.perspective
    before = len(main.document.cuboids())
    qtbot.mouseClick(view.canvas, LEFT, NO_KEYS, to_widget(view, (15.0, -8.0, -1.7)))
    assert len(main.document.cuboids()) == before + 1
    pose = view.scene.camera_pose()
    start = to_widget(view, (15.0, -8.0, -1.7))
    for k in range(1, 6):  # the mouse moves on with no button held: the camera must not orbit
        hover(view.canvas, start + QPoint(25 * k, 10 * k))
    after = view.scene.camera_pose()
    assert np.allclose(after.position, pose.position) and np.allclose(after.focal_point, pose.focal_point)


def test_the_properties_panel_follows_a_drag_live(window, qtbot) -> None:
    main = window
    car = select_car(main)
    top = main.grid.ortho["top"]
    x_field = main.properties_panel.spins["x"]
    start = to_widget(top, car.cuboid.center)
    qtbot.mousePress(top.canvas, LEFT, NO_KEYS, start)
    qtbot.mouseMove(top.canvas, start + QPoint(10, 0))
    qtbot.mouseMove(top.canvas, start + QPoint(25, 0))
    during = main.mouse_tools.drag.current
    assert x_field.value() == pytest.approx(during.center[0], abs=1e-3) != pytest.approx(car.cuboid.center[0])
    qtbot.mouseRelease(top.canvas, LEFT, NO_KEYS, start + QPoint(25, 0))
    assert x_field.value() == pytest.approx(main.document.selected.cuboid.center[0], abs=1e-3)
    assert main.document.workspace.stack.undo_label() == "Move cuboid"  # the panel pushed no edit of its own
    main.actions["edit.undo"].trigger()
    assert x_field.value() == pytest.approx(car.cuboid.center[0], abs=1e-3)


# -- an oncoming van, no other box in the frame (issue: it came out pointing the sensor's way) ---------
def van_faces(van: Cuboid) -> np.ndarray:
    """The points a LiDAR at the origin sees of ``van``: its front and its right side."""
    half = np.asarray(van.size) / 2.0
    local = [(half[0], t, z) for t in np.arange(-half[1], half[1], 0.07) for z in np.arange(-0.6, 0.9, 0.2)]
    local += [(t, -half[1], z) for t in np.arange(-half[0], half[0], 0.07) for z in np.arange(-0.6, 0.9, 0.2)]
    return van.box_to_world(np.array(local))


@pytest.fixture
def oncoming_window(qtbot, settings, tmp_path) -> Iterator:
    van = Cuboid((16.0, 3.8, -0.7), (5.0, 2.0, 2.0), math.pi - 0.04)  # in the lane left of the sensor's
    rng = np.random.default_rng(0)
    ground = np.column_stack([rng.uniform(-30, 30, (20_000, 2)), np.full(20_000, -1.7)])
    xyz = np.concatenate([ground, van_faces(van)])
    path = tmp_path / "000000.bin"
    write_kitti_bin(path, np.column_stack([xyz, np.zeros(len(xyz))]).astype(np.float32))
    with Workspace.create(tmp_path / "project") as workspace:
        workspace.push(AddFrames(frames_from_files(workspace.project, [path])))
    main = open_window(qtbot, settings, tmp_path / "project")
    yield main, van
    main.close()


def test_click_fit_points_an_oncoming_van_towards_the_sensor_and_says_to_check(
    oncoming_window, qtbot
) -> None:
    main, van = oncoming_window
    main.actions["tools.click_fit"].trigger()
    view = main.grid.perspective
    view.set_camera_pose(focus_pose(view.scene.camera_pose(), van))
    view.render_now()
    front = van.box_to_world(np.array([[van.size[0] / 2.0, 0.0, 0.0]]))[0]
    qtbot.mouseClick(view.canvas, LEFT, NO_KEYS, to_widget(view, front))
    created = only_new_box(main, qtbot)
    assert math.cos(created.cuboid.yaw - van.yaw) > 0.95  # facing the sensor, as the van does
    message = main.statusBar().currentMessage()
    assert "oncoming" in message and "Shift+T" in message
    main.actions["cuboid.flip"].trigger()  # the user disagrees: one key turns it round
    assert math.cos(main.document.selected.cuboid.yaw - van.yaw) < -0.95


def test_double_clicking_a_face_in_the_top_view_shrinks_it_to_the_points(window, qtbot) -> None:
    main = window
    car = select_car(main)
    loose = car.cuboid.replace(
        center=tuple(np.asarray(car.cuboid.center) + car.cuboid.rotation @ np.array([0.6, 0.0, 0.0])),
        size=(car.cuboid.size[0] + 1.2, car.cuboid.size[1], car.cuboid.size[2]),
    )  # the front pushed 1.2 m out, the back where it was
    main.document.push(update_annotation(main.document.project, car.id, cuboid=loose))
    main.grid.render_all_now()
    top = main.grid.ortho["top"]
    front_middle = loose.box_to_world(np.array([[loose.size[0] / 2.0, 0.0, loose.size[2] / 2.0]]))[0]
    qtbot.mouseDClick(top.canvas, LEFT, NO_KEYS, to_widget(top, front_middle))
    shrunk = main.document.selected.cuboid
    inside = loose.world_to_box(main.document.cloud.xyz[main.document.cloud.indices_near(loose, 0.0)])
    ground_free = inside[inside[:, 2] > -loose.size[2] / 2.0 + 0.2]
    front = float(ground_free[:, 0].max())
    assert shrunk.size[0] == pytest.approx(front + loose.size[0] / 2.0, abs=0.02)
    back = shrunk.box_to_world(np.array([[-shrunk.size[0] / 2.0, 0.0, 0.0]]))[0]
    assert np.allclose(back, loose.box_to_world(np.array([[-loose.size[0] / 2.0, 0.0, 0.0]]))[0], atol=1e-6)
    assert shrunk.size[1:] == loose.size[1:]
    assert main.document.workspace.stack.undo_label() == "Shrink front face"
    main.actions["edit.undo"].trigger()
    assert main.document.selected.cuboid == loose


# -- several boxes at once -------------------------------------------------------------------------
CTRL = Qt.KeyboardModifier.ControlModifier


def test_a_ctrl_band_in_the_top_view_selects_several_boxes_and_delete_takes_them_in_one_step(
    window, qtbot
) -> None:
    main = window
    main.document.select(None)
    main.grid.render_all_now()
    top = main.grid.ortho["top"]  # nothing selected: the whole frame
    car, person, _truck = main.document.cuboids()
    z = car.cuboid.center[2]
    start, end = to_widget(top, (16.0, 7.0, z)), to_widget(top, (5.0, -6.0, z))  # car and pedestrian only
    drag(qtbot, top.canvas, start, end, modifiers=CTRL)
    assert sorted(main.document.selected_ids) == sorted([car.id, person.id])
    assert "2 cuboids selected" in main.statusBar().currentMessage()
    table = main.objects_panel.table
    assert len({index.row() for index in table.selectedIndexes()}) == 2  # the Objects list shows both
    history = len(main.document.workspace.stack.entries)
    main.actions["cuboid.delete"].trigger()
    assert len(main.document.cuboids()) == 1 and len(main.document.workspace.stack.entries) == history + 1
    assert main.document.workspace.stack.undo_label() == "Delete 2 cuboids"
    main.actions["edit.undo"].trigger()
    assert len(main.document.cuboids()) == 3


def test_ctrl_click_adds_boxes_and_class_move_same_size_and_copy_act_on_all(window, qtbot) -> None:
    main = window
    car, person, truck = main.document.cuboids()
    main.document.select(car.id)
    main.grid.render_all_now()
    view = main.grid.perspective
    view.set_camera_pose(focus_pose(view.scene.camera_pose(), person.cuboid))
    view.render_now()
    qtbot.mouseClick(view.canvas, LEFT, CTRL, to_widget(view, person.cuboid.center))
    assert main.document.selected_ids == [car.id, person.id]  # the car stays the primary box
    qtbot.mouseClick(view.canvas, LEFT, CTRL, to_widget(view, person.cuboid.center))
    assert main.document.selected_ids == [car.id]  # a second Ctrl+click takes it out again
    main.document.select_many([car.id, person.id, truck.id])
    project = main.document.project
    main.actions["cuboid.same_size"].trigger()
    assert {project.annotations[i].cuboid.size for i in (car.id, person.id, truck.id)} == {car.cuboid.size}
    assert project.annotations[person.id].cuboid.center == person.cuboid.center
    assert main.document.workspace.stack.undo_label() == "Same size for 3 cuboids"
    main.actions["cuboid.class_2"].trigger()
    assert {project.annotations[i].class_name for i in (car.id, person.id, truck.id)} == {
        project.schema.names[1]
    }
    history = len(main.document.workspace.stack.entries)
    main.actions["cuboid.move_forward"].trigger()
    assert len(main.document.workspace.stack.entries) == history + 1  # one step for all three
    for box in (car, person, truck):
        assert project.annotations[box.id].cuboid.center != box.cuboid.center
    frame_1 = project.frames_in_order()[1]
    main.actions["tracks.copy"].trigger()
    assert len(project.annotations_of(frame_1.id, "cuboid")) == 3
    main.actions["edit.undo"].trigger()
    assert len(project.annotations_of(frame_1.id, "cuboid")) == 0
