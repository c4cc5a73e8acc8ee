"""The main window opens a project, draws it in four views, follows the selection and edits through
commands (undo/redo from the Edit menu)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication
from window_support import show_window  # type: ignore[import-not-found]

from annotator.io import pointcloud
from annotator.io.workspace import Workspace
from annotator.render.camera import CameraPose
from annotator.render.offscreen import count_foreground


def _select_class(window, class_name: str) -> int:
    annotation = next(a for a in window.document.cuboids() if a.class_name == class_name)
    window.document.select(annotation.id)
    return annotation.id


def test_window_opens_project_and_lists_frames_and_objects(window) -> None:
    assert window.frames_panel.list.count() == 3
    assert window.objects_panel.table.rowCount() == 3
    assert window.windowTitle() == "annotator - project"
    assert window.points_label.text().startswith("20,000 points")
    assert "load" in window.timing_label.text() and "render" in window.timing_label.text()
    counts = [window.objects_panel.table.item(row, 3).data(Qt.ItemDataRole.DisplayRole) for row in range(3)]
    assert all(count >= 1_900 for count in counts)  # 2,000 points were put in each box


def test_the_status_bar_counts_the_points_drawn_once_after_a_burst_of_renders(window, qtbot) -> None:
    texts: list[str] = []
    window.points_label.setText = texts.append  # each new text lays the whole window out again
    for _ in range(6):  # chunks of detail, an edit's renders
        window.grid.perspective.render_now()
    assert texts == []
    qtbot.waitUntil(lambda: len(texts) == 1, timeout=5_000)
    assert texts[0].startswith("20,000 points")


def test_all_four_views_draw_points(window) -> None:
    background = window.options.background_rgb
    for name in ("perspective", "top", "side", "front"):
        pixels = window.grid.capture(name)
        assert pixels.shape[0] > 100 and pixels.shape[1] > 100
        assert count_foreground(pixels, background) > 500, f"{name} view is empty"


def test_ortho_views_show_the_whole_frame_without_selection(window) -> None:
    top = window.grid.ortho["top"].scene
    assert top.camera_pose().parallel
    assert top.crop is None
    assert top.points.full.count == 5_000  # the level-of-detail sample of 20k points
    x0, x1, y0, y1, *_ = window.document.cloud.bounds
    scale = top.camera_pose().parallel_scale
    assert scale * 2 >= (x1 - x0) * 0.9 or scale * 2 * top.aspect >= (y1 - y0) * 0.9


def test_ortho_cameras_are_parallel_and_follow_the_selection(window, qtbot) -> None:
    annotation_id = _select_class(window, "Car")
    qtbot.waitUntil(lambda: not window.grid.provisional)  # sample points stand in until the worker found them
    cuboid = window.document.selected.cuboid
    heading = np.array([math.cos(cuboid.yaw), math.sin(cuboid.yaw), 0.0])
    for axis, view in window.grid.ortho.items():
        pose = view.scene.camera_pose()
        assert pose.parallel, axis
        assert np.allclose(pose.focal_point, cuboid.center, atol=1e-6), axis
        # cropped: only points near the car are drawn
        assert 1_900 <= view.scene.points.full.count < 4_000, axis
    top = window.grid.ortho["top"].scene.camera_pose()
    assert np.allclose(top.view_up, heading, atol=1e-6)  # heading points up in the top view
    assert np.allclose(top.direction, [0, 0, -1], atol=1e-6)
    side = window.grid.ortho["side"].scene.camera_pose()
    assert abs(float(np.dot(side.direction, heading))) < 1e-6  # looking across the car
    front = window.grid.ortho["front"].scene.camera_pose()
    assert np.allclose(front.direction, -heading, atol=1e-6)  # facing its front
    # fitted with a margin: the car is smaller than the view, but fills a good part of it
    scale = top.parallel_scale
    assert cuboid.size[0] / 2 < scale < cuboid.size[0] * 1.5

    # edit the box through the properties panel: the views follow it
    spin = window.properties_panel.spins["x"]
    spin.setValue(cuboid.center[0] + 2.0)
    moved = window.document.project.annotations[annotation_id].cuboid
    assert moved.center[0] == pytest.approx(cuboid.center[0] + 2.0)
    for view in window.grid.ortho.values():
        assert np.allclose(view.scene.camera_pose().focal_point, moved.center, atol=1e-6)
    # selecting nothing shows the whole frame again
    window.actions["edit.deselect"].trigger()
    assert window.grid.ortho["top"].scene.crop is None


def test_properties_edit_is_one_undoable_command(window) -> None:
    annotation_id = _select_class(window, "Pedestrian")
    before = window.document.selected.cuboid
    window.properties_panel.spins["yaw"].setValue(10.0)
    assert window.actions["edit.undo"].text() == "&Undo Rotate cuboid"
    window.properties_panel.spins["x"].setValue(before.center[0] + 0.5)
    assert window.actions["edit.undo"].text() == "&Undo Move cuboid"
    window.actions["edit.undo"].trigger()
    assert window.document.project.annotations[annotation_id].cuboid.center == before.center
    window.actions["edit.undo"].trigger()
    assert window.document.project.annotations[annotation_id].cuboid == before
    assert window.properties_panel.spins["x"].value() == pytest.approx(before.center[0])
    window.actions["edit.redo"].trigger()
    assert window.document.project.annotations[annotation_id].cuboid.yaw == pytest.approx(math.radians(10.0))


def test_changing_the_class_recolours_and_is_undoable(window) -> None:
    annotation_id = _select_class(window, "Car")
    box = window.properties_panel.class_box
    box.setCurrentText("Van")
    box.activated.emit(box.currentIndex())
    assert window.document.project.annotations[annotation_id].class_name == "Van"
    assert window.actions["edit.undo"].text() == "&Undo Change class to Van"
    van = window.document.project.schema.get("Van").color
    assert any(item.color == van for item in window.grid.perspective.scene.items)


def test_clicking_a_cuboid_selects_it_and_empty_space_clears(window, qtbot) -> None:
    top = window.grid.ortho["top"]
    pedestrian = next(a for a in window.document.cuboids() if a.class_name == "Pedestrian")
    canvas = top.canvas
    # without a selection the top view shows the whole frame: click the pedestrian where it is drawn
    x, y = top.scene.world_to_display(pedestrian.cuboid.center)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(canvas.height() - 1 - y)))
    assert window.document.selected_id == pedestrian.id
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(3, 3))
    assert window.document.selected_id is None


def test_perspective_click_picks_the_cuboid_under_the_cursor(window, qtbot) -> None:
    view = window.grid.perspective
    car = next(a for a in window.document.cuboids() if a.class_name == "Car")
    x, y = view.scene.world_to_display(car.cuboid.center)
    canvas = view.canvas
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(canvas.height() - 1 - y)))
    assert window.document.selected_id == car.id
    assert window.objects_panel.table.selectedItems()


def test_level_of_detail_switches_while_interacting(window, qtbot) -> None:
    view = window.grid.perspective
    canvas = view.canvas
    assert view.detail == "full"
    before = view.scene.camera_pose()
    start = QPoint(canvas.width() // 2, canvas.height() // 2)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 6):
        qtbot.mouseMove(canvas, start + QPoint(12 * step, 4 * step))
        assert view.detail == "coarse"
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=start + QPoint(60, 20))
    assert view.scene.camera_pose().position != before.position  # the drag orbited the camera
    assert view.scene.drawn_points == 5_000
    qtbot.waitUntil(lambda: view.detail == "full", timeout=3_000)
    qtbot.waitUntil(lambda: not view._render_pending, timeout=3_000)
    assert view.scene.drawn_points == 20_000
    assert view.lod.switches >= 2


def test_wheel_zooms_toward_the_cursor(window, qtbot) -> None:
    view = window.grid.perspective
    before = view.scene.camera_pose()
    anchor = np.array(window.document.cloud.bounds[::2]) * 0 + np.array([12.0, 4.0, -0.95])
    x, y = view.scene.world_to_display(anchor)
    position = QPoint(round(x), round(view.canvas.height() - 1 - y))
    view.zoom_at(position.toPointF(), 2.0)
    after = view.scene.camera_pose()
    assert after.distance < before.distance
    x2, y2 = view.scene.world_to_display(anchor)
    assert abs(x2 - x) < 3 and abs(y2 - y) < 3  # the point under the cursor stays put


def test_fly_keys_move_the_camera_and_presets_place_it(window) -> None:
    view = window.grid.perspective
    before = np.asarray(view.scene.camera_pose().position)
    window.actions["view.fly_forward"].trigger()
    after = np.asarray(view.scene.camera_pose().position)
    assert float(np.dot(after - before, view.scene.camera_pose().direction)) > 0
    window.actions["view.fly_up"].trigger()
    assert view.scene.camera_pose().position[2] > after[2]
    window.actions["view.bird_eye"].trigger()
    assert np.allclose(view.scene.camera_pose().direction, [0, 0, -1], atol=1e-6)
    _select_class(window, "Truck")
    window.actions["view.focus"].trigger()
    truck = window.document.selected.cuboid
    assert np.allclose(view.scene.camera_pose().focal_point, truck.center)
    window.actions["view.reset"].trigger()
    assert view.scene.camera_pose().position[0] < 0  # behind the sensor


def test_display_options_apply_to_every_view_and_persist(window, settings) -> None:
    window.actions["view.color.intensity"].trigger()
    window.actions["view.background.white"].trigger()
    window.actions["view.point_larger"].trigger()
    window.actions["view.rings"].trigger()
    assert window.options.color_mode == "intensity"
    assert window.options.point_size == 3.0
    assert window.options.show_rings
    assert settings.display_options() == window.options
    scene = window.grid.perspective.scene
    assert scene.color_bar.actor.GetTitle() == "Intensity"
    assert scene.ground.ring_actor.GetVisibility()
    pixels = window.grid.capture("top")
    assert count_foreground(pixels, (250, 250, 250)) > 500


def test_frame_navigation_and_last_frame_is_restored(window, qtbot, settings, street_project: Path) -> None:
    following = window.document.frames()[1]
    path = window.document.project.resolve_path(following.cloud)
    qtbot.waitUntil(
        lambda: window.loader.cached(following.id, path) is not None, timeout=10_000
    )  # prefetched
    window.actions["frame.next"].trigger()
    assert window.document.cloud is not None  # from the cache, at once
    qtbot.waitUntil(lambda: window.document.cloud is not None, timeout=10_000)
    assert window.document.frame_position() == 1
    assert window.frames_panel.slider.value() == 1
    assert window.objects_panel.table.rowCount() == 0
    window.frames_panel.slider.setValue(2)
    assert window.document.frame_position() == 2
    window.actions["frame.previous"].trigger()
    assert window.document.frame_position() == 1
    frame_id = window.document.frame_id
    window.close_project()
    assert settings.last_frame(street_project) == frame_id
    window.open_project(street_project)
    assert window.document.frame_id == frame_id
    assert settings.recent_projects()[0] == str(street_project.resolve())


def test_undo_and_redo_labels_in_the_edit_menu(window, street_project: Path) -> None:
    assert window.actions["edit.undo"].text() == "&Undo Add 3 cuboids"
    window.actions["edit.undo"].trigger()
    assert window.objects_panel.table.rowCount() == 0
    assert window.actions["edit.redo"].isEnabled()
    window.actions["edit.redo"].trigger()
    assert window.objects_panel.table.rowCount() == 3
    window.close_project()
    with Workspace.open(street_project) as reopened:
        assert len(reopened.project.annotations) == 3


def test_hiding_a_class_hides_its_cuboids(window) -> None:
    panel = window.classes_panel
    item = next(
        panel.list.item(i) for i in range(panel.list.count()) if panel.list.item(i).text().startswith("Car")
    )
    item.setCheckState(Qt.CheckState.Unchecked)
    names = {i.label.split()[0] for i in window.grid.perspective.scene.items}
    assert "Car" not in names and "Truck" in names


def test_layout_is_saved_and_restored(qtbot, settings, window) -> None:
    from annotator.qt.app.main_window import MainWindow

    window.docks["frames"].hide()
    window.grid.setSizes([500, 200])
    window.save_layout()
    again = MainWindow(settings=settings)
    qtbot.addWidget(again)
    again.show()
    assert not again.docks["frames"].isVisible()
    again.reset_layout()
    assert again.docks["frames"].isVisible()
    again.close()


def test_shortcuts_come_from_the_action_registry(window) -> None:
    from annotator.qt.app.actions import default_actions, shortcut_rows

    ids = [spec.id for spec in default_actions() if hasattr(spec, "handler")]
    assert len(ids) == len(set(ids))
    assert window.actions["frame.next"].shortcut().toString() == "N"
    assert [s.toString() for s in window.actions["view.fly_forward"].shortcuts()] == [
        "W",
        "Shift+W",
        "Ctrl+W",
    ]
    rows = shortcut_rows(default_actions())
    assert ("Frame", "Next frame", "N, PgDown") in rows


def test_status_bar_shows_world_coordinates_under_the_cursor(window, qtbot) -> None:
    view = window.grid.ortho["top"]
    car = next(a for a in window.document.cuboids() if a.class_name == "Car")
    window.document.select(car.id)
    window.grid.render_all_now()
    canvas = view.canvas
    x, y = view.scene.world_to_display(car.cuboid.center)
    position = QPointF(round(x), round(canvas.height() - 1 - y))
    move = QMouseEvent(
        QEvent.Type.MouseMove, position, canvas.mapToGlobal(position), Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(canvas, move)  # a hover (QTest moves only the offscreen cursor)
    assert window.cursor_label.text() != ""
    shown = [float(v) for v in window.cursor_label.text().replace("m", "").split()[1::2]]
    assert shown[0] == pytest.approx(car.cuboid.center[0], abs=0.1)
    assert shown[1] == pytest.approx(car.cuboid.center[1], abs=0.1)
    perspective = window.grid.perspective
    surface = perspective.scene.surface_point(*perspective.scene.world_to_display(car.cuboid.center))
    assert surface is not None  # the depth buffer gives the drawn point under the cursor
    assert np.linalg.norm(surface - np.asarray(car.cuboid.center)) < 3.0


def test_loader_cache_keeps_a_point_budget(qtbot, street_project: Path) -> None:
    from annotator.qt.frame_loader import FrameLoader

    loader = FrameLoader(cache_points=45_000)
    with Workspace.open(street_project) as workspace:
        frames = workspace.project.frames_in_order()
        for frame in frames:
            loader.load_now(frame.id, workspace.project.resolve_path(frame.cloud))
        cached = [loader.cached(f.id, workspace.project.resolve_path(f.cloud)) is not None for f in frames]
    assert cached == [False, True, True]  # 20k points each: the oldest went
    loader.shutdown()


def test_the_application_keeps_numpy_blas_on_one_thread_beside_the_window(qapp) -> None:
    # OpenBLAS's own thread spun on a core after each small product, beside the window's thread (issue 25)
    from threadpoolctl import threadpool_info, threadpool_limits

    from annotator.qt.app.launch import create_application

    if not [pool for pool in threadpool_info() if pool["user_api"] == "blas"]:
        pytest.skip("numpy's BLAS is not one threadpoolctl knows")
    before = threadpool_limits(limits=2, user_api="blas")
    try:
        assert create_application() is qapp
        assert {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"} == {1}
    finally:
        before.restore_original_limits()


def test_the_status_bar_says_the_rest_is_out_of_view_once_a_cloud_out_of_core_is_drawn_where_looked_at(
    qtbot, settings, street_project: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(pointcloud, "ARRANGE_FROM", 1_000)  # 20k points count as very large here
    monkeypatch.setattr(pointcloud, "OUT_OF_CORE_FROM", 1_000)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    main = show_window(qtbot, settings, street_project)
    qtbot.waitUntil(
        lambda: main.document.cloud.out_of_core and not main.document.cloud.partial, timeout=10_000
    )
    x0, _, y0, _, z0, z1 = main.document.cloud.bounds
    view = main.grid.perspective
    view.set_camera_pose(
        CameraPose((x0 + 1.0, y0 + 1.0, z1 + 2.0), (x0 + 6.0, y0 + 6.0, z0), view_angle=30.0)
    )  # a corner of the scene
    qtbot.waitUntil(lambda: "out of view" in main.points_label.text(), timeout=20_000)
    drawn = int(main.points_label.text().split("(")[1].split()[0].replace(",", ""))
    assert view.detail == "full" and drawn == view.scene.drawn_points < len(main.document.cloud)
    main.close()


def test_the_application_freezes_its_start_up_objects_once_the_window_is_built_before_a_project_opens(
    qapp, street_project: Path, monkeypatch
) -> None:
    import gc

    from annotator.ml.registry import PluginRegistry
    from annotator.qt.app import launch

    steps: list[str] = []
    monkeypatch.setattr(launch.MainWindow, "open_project", lambda self, path: steps.append("open"))
    monkeypatch.setattr(type(qapp), "exec", lambda self: 0)
    monkeypatch.setattr(gc, "freeze", lambda: steps.append("freeze"))
    assert launch.run_application(street_project, plugins=PluginRegistry([])) == 0
    assert steps == [
        "freeze",
        "open",
    ]  # the window's objects out of a full collection's reach, not the project's
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, launch.MainWindow):
            widget.close()
