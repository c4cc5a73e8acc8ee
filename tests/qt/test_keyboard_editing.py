"""Keyboard editing of cuboids in the real window: keys through qtbot, exact numbers, undo/redo,
9-DoF, frames and tracks, and rebinding shortcuts."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.edits import update_annotation
from annotator.core.model.records import Source

ALT, SHIFT, CTRL = (
    Qt.KeyboardModifier.AltModifier,
    Qt.KeyboardModifier.ShiftModifier,
    Qt.KeyboardModifier.ControlModifier,
)


def select(window, class_name: str) -> int:
    annotation = next(a for a in window.document.cuboids() if a.class_name == class_name)
    window.document.select(annotation.id)
    return annotation.id


def cuboid(window, annotation_id: int) -> Cuboid:
    return window.document.project.annotations[annotation_id].cuboid


def press(qtbot, window, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(window.grid.perspective, key, modifier)


def test_rotate_and_resize_keys_then_undo_redo_back_to_exact_numbers(window, qtbot) -> None:
    car = select(window, "Car")
    start = cuboid(window, car)
    stack = window.document.workspace.stack
    press(qtbot, window, Qt.Key.Key_Q)  # turn left 2 degrees
    turned = cuboid(window, car)
    assert math.degrees(turned.yaw - start.yaw) == pytest.approx(2.0)
    assert turned.center == start.center and turned.size == start.size
    press(qtbot, window, Qt.Key.Key_Up, ALT)  # 10 cm longer
    press(qtbot, window, Qt.Key.Key_Left, ALT | SHIFT)  # 2 cm narrower (fine step)
    resized = cuboid(window, car)
    assert resized.size == pytest.approx((start.size[0] + 0.1, start.size[1] - 0.02, start.size[2]))
    assert [e.label for e in stack.entries[-3:]] == ["Rotate cuboid", "Resize cuboid", "Resize cuboid"]
    assert window.actions["edit.undo"].text() == "&Undo Resize cuboid"
    for _ in range(3):
        press(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert cuboid(window, car) == start  # exactly, not approximately
    for _ in range(3):
        press(qtbot, window, Qt.Key.Key_Y, CTRL)
    assert cuboid(window, car) == resized


def test_moves_follow_the_box_axes_and_a_held_key_is_one_undo_step(window, qtbot) -> None:
    car = select(window, "Car")
    start = cuboid(window, car)
    stack = window.document.workspace.stack
    before = stack.index
    forward = window.actions["cuboid.move_forward"]
    for _ in range(5):  # auto-repeat: triggers without a key release in between
        forward.trigger()
    assert stack.index == before + 1 and stack.undo_label() == "Move cuboid"
    heading = np.array([math.cos(start.yaw), math.sin(start.yaw), 0.0])
    moved = np.asarray(cuboid(window, car).center) - np.asarray(start.center)
    assert moved == pytest.approx(0.5 * heading)
    qtbot.keyRelease(window.grid.perspective, Qt.Key.Key_Up)  # the held key is let go
    press(qtbot, window, Qt.Key.Key_Up)  # a new key-run: a new step
    press(qtbot, window, Qt.Key.Key_Up, CTRL)  # up along the box's z
    assert stack.index == before + 3
    assert cuboid(window, car).center[2] == pytest.approx(start.center[2] + 0.1)
    stack.undo()
    stack.undo()
    stack.undo()
    assert cuboid(window, car) == start


def test_flip_quarter_turn_tab_class_duplicate_and_delete(window, qtbot) -> None:
    car = select(window, "Car")
    start = cuboid(window, car)
    press(qtbot, window, Qt.Key.Key_T, SHIFT)  # flip 180
    assert abs(math.degrees(cuboid(window, car).yaw - start.yaw)) == pytest.approx(180.0)
    press(qtbot, window, Qt.Key.Key_T)  # 90 degrees, length and width swap
    assert cuboid(window, car).size == (start.size[1], start.size[0], start.size[2])
    assert bev_iou(cuboid(window, car), start) == pytest.approx(1.0)

    ids = [a.id for a in window.document.cuboids()]
    press(qtbot, window, Qt.Key.Key_Tab)
    assert window.document.selected_id == ids[(ids.index(car) + 1) % len(ids)]
    press(qtbot, window, Qt.Key.Key_Backtab, SHIFT)
    assert window.document.selected_id == car

    press(qtbot, window, Qt.Key.Key_2)  # second class of the schema
    assert window.document.project.annotations[car].class_name == window.document.project.schema.names[1]

    press(qtbot, window, Qt.Key.Key_D, ALT)  # duplicate beside it, selected
    copy = window.document.selected_id
    assert copy != car and len(window.document.cuboids()) == len(ids) + 1
    assert (
        window.document.project.annotations[copy].track_id
        != window.document.project.annotations[car].track_id
    )
    press(qtbot, window, Qt.Key.Key_Delete)
    assert copy not in window.document.project.annotations
    assert window.objects_panel.table.rowCount() == len(ids)


def test_fit_to_points_and_auto_rotate_from_the_keyboard(window, qtbot) -> None:
    car = select(window, "Car")
    truth = cuboid(window, car)
    loose = truth.replace(size=(truth.size[0] + 1.0, truth.size[1] + 0.8, truth.size[2]), yaw=truth.yaw + 0.2)
    window.document.push(update_annotation(window.document.project, car, cuboid=loose))
    press(qtbot, window, Qt.Key.Key_R, CTRL | SHIFT)  # auto-rotate
    turned = cuboid(window, car)
    assert abs(turned.yaw - truth.yaw) < math.radians(3.0)
    assert turned.size == loose.size  # auto-rotate keeps the size
    press(qtbot, window, Qt.Key.Key_F, CTRL | SHIFT)  # fit to points
    fitted = cuboid(window, car)
    assert fitted.size[0] < loose.size[0] and fitted.size[1] < loose.size[1]
    assert bev_iou(fitted, truth) > 0.85
    labels = [e.label for e in window.document.workspace.stack.entries[-2:]]
    assert labels == ["Auto-rotate cuboid", "Fit cuboid to points"]


def test_pitch_and_roll_only_in_nine_dof_projects(window, qtbot) -> None:
    car = select(window, "Car")
    start = cuboid(window, car)
    pitch_spin = window.properties_panel.spins["pitch"]
    press(qtbot, window, Qt.Key.Key_Up, CTRL | ALT)  # pitch: refused in a 7-DoF project
    assert cuboid(window, car) == start
    assert not pitch_spin.isVisibleTo(window.properties_panel)
    window.actions["cuboid.nine_dof"].trigger()
    assert window.document.project.setting("nine_dof") is True
    assert pitch_spin.isVisibleTo(window.properties_panel)
    press(qtbot, window, Qt.Key.Key_Up, CTRL | ALT)
    press(qtbot, window, Qt.Key.Key_Right, CTRL | ALT)
    tilted = cuboid(window, car)
    assert math.degrees(tilted.pitch) == pytest.approx(-1.0)
    assert math.degrees(tilted.roll) == pytest.approx(1.0)
    assert pitch_spin.value() == pytest.approx(-1.0)
    window.actions["cuboid.nine_dof"].trigger()  # off: every box levelled, in one step
    assert cuboid(window, car).is_7dof and not window.actions["cuboid.nine_dof"].isChecked()
    window.document.workspace.stack.undo()
    assert cuboid(window, car) == tilted
    assert window.actions["cuboid.nine_dof"].isChecked()  # the menu follows undo


def test_propagate_to_the_next_frame_then_interpolate(window, qtbot) -> None:
    car = select(window, "Car")
    track = window.document.project.annotations[car].track_id
    start = cuboid(window, car)
    press(qtbot, window, Qt.Key.Key_P, CTRL)  # propagate: no earlier frame, so a copy
    frames = window.document.frames()
    # a frame not read yet is read by the loader's worker first
    qtbot.waitUntil(lambda: window.document.frame_id == frames[1].id, timeout=10_000)
    copy = window.document.selected
    assert copy.track_id == track and copy.cuboid == start
    assert copy.provenance.source == Source.PROPAGATED and copy.keyframe
    # move it 1 m forward in frame 1, then propagate with constant velocity to frame 2
    for _ in range(10):
        window.actions["cuboid.move_forward"].trigger()
    press(qtbot, window, Qt.Key.Key_P, CTRL)
    qtbot.waitUntil(lambda: window.document.frame_id == frames[2].id, timeout=10_000)
    third = window.document.selected
    heading = np.array([math.cos(start.yaw), math.sin(start.yaw), 0.0])
    assert np.asarray(third.cuboid.center) == pytest.approx(np.asarray(start.center) + 2.0 * heading)
    # delete frame 1's box, interpolate between the keyframes of frames 0 and 2
    window.document.set_frame(frames[1].id)
    window.document.select(next(a.id for a in window.document.cuboids() if a.track_id == track))
    press(qtbot, window, Qt.Key.Key_Delete)
    window.document.set_frame(frames[0].id)
    window.document.select(car)
    press(qtbot, window, Qt.Key.Key_I, CTRL)
    middle = next(a for a in window.document.project.annotations_of(frames[1].id) if a.track_id == track)
    assert not middle.keyframe and middle.provenance.source == Source.INTERPOLATED
    assert np.asarray(middle.cuboid.center) == pytest.approx(np.asarray(start.center) + heading)
    window.document.set_frame(frames[1].id)
    qtbot.waitUntil(lambda: window.objects_panel.table.rowCount() >= 1)
    table = window.objects_panel.table
    key_column = table.columnCount() - 1
    assert table.horizontalHeaderItem(key_column).text() == "key"
    assert "interpolated" in [table.item(r, key_column).text() for r in range(table.rowCount())]


def test_shortcuts_are_rebound_in_the_preferences_dialog_and_kept(window, qtbot, settings) -> None:
    from annotator.qt.app.main_window import MainWindow
    from annotator.qt.app.preferences import ShortcutDialog
    from annotator.qt.app.shortcuts import conflicts

    dialog = ShortcutDialog(window.shortcuts, window)
    qtbot.addWidget(dialog)
    for key, ids in conflicts(window.shortcuts.defaults).items():  # clashes of other menus' defaults
        for action_id in ids[1:]:
            keys = [k for k in window.shortcuts.defaults[action_id] if k != key]
            dialog.set_keys(action_id, ", ".join(keys))
    dialog.set_keys("cuboid.flip", "Q")  # taken by "Turn left"
    assert not dialog.ok_button.isEnabled()
    assert "Q: " in dialog.problems.text() and "Turn left" in dialog.problems.text()
    dialog.set_keys("cuboid.flip", "Ctrl+Alt+F, NotAKey+")
    assert "not a key" in dialog.problems.text()
    dialog.set_keys("cuboid.flip", "Ctrl+Alt+F")
    assert dialog.ok_button.isEnabled() and dialog.problems.text() == ""
    dialog.accept()
    assert [s.toString() for s in window.actions["cuboid.flip"].shortcuts()] == ["Ctrl+Alt+F"]

    car = select(window, "Car")
    start = cuboid(window, car)
    press(qtbot, window, Qt.Key.Key_T, SHIFT)  # the old key does nothing now
    assert cuboid(window, car) == start
    press(qtbot, window, Qt.Key.Key_F, CTRL | ALT)
    assert cuboid(window, car).yaw != start.yaw

    again = MainWindow(settings=settings)  # saved in the user settings
    qtbot.addWidget(again)
    assert [s.toString() for s in again.actions["cuboid.flip"].shortcuts()] == ["Ctrl+Alt+F"]
    again.shortcuts.reset()
    assert [s.toString() for s in again.actions["cuboid.flip"].shortcuts()] == ["Shift+T"]
    again.close()
    with pytest.raises(ValueError, match="Turn left"):
        window.shortcuts.apply({"cuboid.flip": ("Q",)})


def test_editing_shortcuts_clash_with_no_other_action(window) -> None:
    from annotator.qt.app.shortcuts import conflicts

    mine = ("cuboid.", "tracks.", "edit.shortcuts")
    clashes = conflicts(window.shortcuts.current())
    assert {key: ids for key, ids in clashes.items() if any(i.startswith(mine) for i in ids)} == {}


def test_auto_rotate_takes_a_sparse_parked_cars_points_from_the_loaded_neighbouring_frames(
    qtbot, settings, tmp_path
) -> None:
    """The frame loader holds the track's neighbouring frames (visited or prefetched): auto-rotate turns
    the rough box of a sparse far car along it with their points, reading no cloud on the UI thread."""
    from tests.cli.test_cli_fit import parked_car_project
    from tests.window_support import show_window

    root, truth = parked_car_project(tmp_path / "parked")
    main = show_window(qtbot, settings, root)
    document = main.document
    frames = document.project.frames_in_order()
    for frame in frames:
        document.loader.load_now(frame.id, document.project.resolve_path(frame.cloud))
    document.set_frame(frames[1].id, wait=True)
    box = document.cuboids()[0]
    document.select(box.id)
    press(qtbot, main, Qt.Key.Key_R, CTRL | SHIFT)  # auto-rotate
    turned = cuboid(main, box.id)
    assert abs(turned.yaw - truth.yaw) < math.radians(3.0)
    assert turned.size == box.cuboid.size
    main.close()


def test_auto_rotate_turns_a_sparse_car_along_the_dense_car_parked_in_its_row(
    qtbot, settings, tmp_path
) -> None:
    """A far car's 40 points show no outline; the near car in its row shows its heading, which
    auto-rotate gives the far car's rough box."""
    from tests.cli.test_cli_fit import parked_row_project
    from tests.window_support import show_window

    root, truth = parked_row_project(tmp_path / "row")
    main = show_window(qtbot, settings, root)
    box = max(main.document.cuboids(), key=lambda a: a.cuboid.center[0])
    main.document.select(box.id)
    press(qtbot, main, Qt.Key.Key_R, CTRL | SHIFT)  # auto-rotate
    assert abs(cuboid(main, box.id).yaw - truth.yaw) < math.radians(2.0)
    main.close()


def test_fit_to_points_gives_a_sparse_car_the_length_its_street_s_cars_show(
    qtbot, settings, tmp_path
) -> None:
    """Seen only from behind, a sparse car's hidden length is the one the frame's dense cars of its
    class show in full (4.6 m), not the class default (3.9 m)."""
    from tests.cli.test_cli_fit import one_frame_project
    from tests.core.test_scene_size import street
    from tests.window_support import show_window

    dense, rough, points = street(np.random.default_rng(8), (4.6, 1.85, 1.6))
    main = show_window(qtbot, settings, one_frame_project(tmp_path / "street", points, [*dense, rough]))
    project = main.document.project
    car = project.schema.get("Car")
    assert car is not None and car.default_size[0] < 4.2
    box = min(main.document.cuboids(), key=lambda a: a.cuboid.center[1])
    main.document.select(box.id)
    press(qtbot, main, Qt.Key.Key_F, CTRL | SHIFT)  # fit to points
    assert cuboid(main, box.id).size[0] == pytest.approx(4.6, abs=0.1)
    main.close()


def test_fitting_a_sparse_car_counts_the_other_boxes_without_querying_the_index_on_the_window_thread(
    qtbot, settings, tmp_path
) -> None:
    """The scene priors count the points of every car of the frame: the loader (and the views' worker,
    for boxes drawn since) found them ahead, so a fit on a large cloud does not stall on the index."""
    import threading

    from tests.cli.test_cli_fit import one_frame_project
    from tests.core.test_scene_size import street
    from tests.window_support import show_window

    dense, rough, points = street(np.random.default_rng(8), (4.6, 1.85, 1.6))
    main = show_window(qtbot, settings, one_frame_project(tmp_path / "street", points, [*dense, rough]))
    box = min(main.document.cuboids(), key=lambda a: a.cuboid.center[1])
    main.document.select(box.id)
    qtbot.waitUntil(lambda: not main.grid.focus_jobs.busy(), timeout=10_000)
    index, original = main.document.cloud.index, main.document.cloud.index.indices_inside
    window_thread, queried = threading.current_thread(), []

    def logged(cuboid, *args, **kwargs):
        if threading.current_thread() is window_thread and cuboid != box.cuboid:
            queried.append(cuboid)
        return original(cuboid, *args, **kwargs)

    index.indices_inside = logged
    press(qtbot, main, Qt.Key.Key_F, CTRL | SHIFT)  # fit to points: the street's cars lend their length
    assert cuboid(main, box.id).size[0] == pytest.approx(4.6, abs=0.1)
    assert not [other for other in queried if other in dense]
    main.close()


def test_a_fit_tests_the_gathered_points_only_against_the_boxes_that_reach_them(
    qtbot, settings, tmp_path, monkeypatch
) -> None:
    """A far row of parked cars holds none of the points gathered around the box: the fit does not test
    those points against them (and fits as before)."""
    from annotator.core.edits import AddAnnotations
    from annotator.core.model.records import Annotation
    from annotator.qt import keyboard_editing
    from tests.cli.test_cli_fit import one_frame_project
    from tests.core.test_scene_size import street
    from tests.window_support import show_window

    dense, rough, points = street(np.random.default_rng(8), (4.6, 1.85, 1.6))
    main = show_window(qtbot, settings, one_frame_project(tmp_path / "street", points, [*dense, rough]))
    box = min(main.document.cuboids(), key=lambda a: a.cuboid.center[1])  # the sparse car
    far = [Cuboid((60.0 + 6.0 * k, -40.0, 0.8), (4.6, 1.85, 1.6), 0.0) for k in range(5)]
    frame = main.document.frame_id
    main.document.push(AddAnnotations([Annotation(0, frame, "Car", cuboid=box) for box in far]))
    tested: list[list[Cuboid]] = []
    original = keyboard_editing.points_outside

    def logged(points, others):
        tested.append(list(others))
        return original(points, others)

    monkeypatch.setattr(keyboard_editing, "points_outside", logged)
    main.document.select(box.id)
    press(qtbot, main, Qt.Key.Key_F, CTRL | SHIFT)  # fit to points
    assert cuboid(main, box.id).size[0] == pytest.approx(4.6, abs=0.1)
    assert tested and not any(other in far for other in tested[0])
    main.close()


def test_a_fit_in_a_cloud_of_many_points_runs_in_a_worker_and_lands_as_one_undoable_step(
    qtbot, settings, tmp_path, monkeypatch
) -> None:
    """Above `FIT_AT_ONCE_POINTS` the window's thread only starts the fit: the fit runs in a worker and
    its box arrives as one undo step; a box edited meanwhile keeps the edit (the late fit is dropped)."""
    import threading

    from annotator.qt import keyboard_editing
    from tests.cli.test_cli_fit import one_frame_project
    from tests.core.test_scene_size import street
    from tests.window_support import show_window

    dense, rough, points = street(np.random.default_rng(8), (4.6, 1.85, 1.6))
    main = show_window(qtbot, settings, one_frame_project(tmp_path / "street", points, [*dense, rough]))
    monkeypatch.setattr(keyboard_editing, "FIT_AT_ONCE_POINTS", 0)
    release, fitted_on = threading.Event(), []
    original = keyboard_editing.fit_box

    def held(*args, **kwargs):
        fitted_on.append(threading.current_thread())
        release.wait(10)
        return original(*args, **kwargs)

    monkeypatch.setattr(keyboard_editing, "fit_box", held)
    box = min(main.document.cuboids(), key=lambda a: a.cuboid.center[1])
    main.document.select(box.id)
    stack = main.document.workspace.stack
    steps = len(stack.entries)
    press(qtbot, main, Qt.Key.Key_F, CTRL | SHIFT)  # fit to points: returns at once
    assert cuboid(main, box.id) == box.cuboid
    release.set()
    qtbot.waitUntil(lambda: cuboid(main, box.id) != box.cuboid, timeout=10_000)
    assert fitted_on and fitted_on[0] is not threading.current_thread()
    assert cuboid(main, box.id).size[0] == pytest.approx(4.6, abs=0.1)
    assert len(stack.entries) == steps + 1 and stack.entries[-1].label == "Fit cuboid to points"
    main.actions["edit.undo"].trigger()
    assert cuboid(main, box.id) == box.cuboid

    release.clear()
    said: list[str] = []
    main.editing.message.connect(lambda text, _ms: said.append(text))
    press(qtbot, main, Qt.Key.Key_F, CTRL | SHIFT)
    main.editing.move(0.5, 0.0, 0.0)  # the annotator goes on editing while the fit runs
    moved = cuboid(main, box.id)
    release.set()
    qtbot.waitUntil(lambda: not main.editing.fit_jobs.busy(), timeout=10_000)
    qtbot.waitUntil(lambda: any("changed while" in text for text in said), timeout=5_000)
    assert cuboid(main, box.id) == moved
    main.close()


def test_a_fit_in_a_very_dense_cloud_gathers_an_even_sample_and_fits_the_same_box(
    qtbot, settings, tmp_path, monkeypatch
) -> None:
    """Beyond `FIT_POINTS` gathered around the box the fit works on an even sample of them (a car in a
    100M-point cloud gathers millions): fewer points, the same fitted box."""
    from annotator.qt import keyboard_editing
    from tests.cli.test_cli_fit import one_frame_project
    from tests.core.test_scene_size import street
    from tests.window_support import show_window

    dense, rough, points = street(np.random.default_rng(8), (4.6, 1.85, 1.6))
    main = show_window(qtbot, settings, one_frame_project(tmp_path / "street", points, [*dense, rough]))
    box = max(main.document.cuboids(), key=lambda a: (a.cuboid.center[1], -abs(a.cuboid.center[0] - 13.0)))
    loose = box.cuboid.replace(size=tuple(side + 0.6 for side in box.cuboid.size), yaw=0.1)
    main.document.push(update_annotation(main.document.project, box.id, cuboid=loose))
    main.document.select(box.id)
    gathered, original = [], keyboard_editing.points_outside

    def counted(points, others):
        gathered.append(len(points))
        return original(points, others)

    monkeypatch.setattr(keyboard_editing, "points_outside", counted)
    press(qtbot, main, Qt.Key.Key_F, CTRL | SHIFT)  # every point gathered
    whole = cuboid(main, box.id)
    main.actions["edit.undo"].trigger()
    monkeypatch.setattr(keyboard_editing, "FIT_POINTS", gathered[0] // 4)
    press(qtbot, main, Qt.Key.Key_F, CTRL | SHIFT)
    sampled = cuboid(main, box.id)
    assert whole != loose and gathered[-1] < gathered[0] / 2  # an even sample of the points around the box
    assert sampled.size == pytest.approx(whole.size, abs=0.1)
    assert sampled.center == pytest.approx(whole.center, abs=0.1)
    assert sampled.yaw == pytest.approx(whole.yaw, abs=math.radians(2.0))
    main.close()
