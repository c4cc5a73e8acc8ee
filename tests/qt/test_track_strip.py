"""The track strip (Tracks > Track strip): one crop per box of the selected track, cut from the points
around the box; a click goes to the crop's frame; a drag or a key edits that box; a size change in one
crop gives the whole track that size in one undo step."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, Qt
from window_support import show_window  # type: ignore[import-not-found]

from annotator.core.cuboids.rotation import wrap_angle
from annotator.core.edits import AddAnnotations
from annotator.core.model.records import Annotation
from annotator.core.track_crops import crop_margin
from annotator.core.world import from_world
from annotator.io.workspace import Workspace
from tests.cli.test_cli_propagate import FRAMES, ego, make_drive, mover

MOVER = 2


@pytest.fixture
def strip_window(qtbot, settings, tmp_path: Path) -> Iterator:
    """The drive with the moving car boxed on every frame, its box on frame 0 selected, the strip shown."""
    project = make_drive(tmp_path / "drive")
    with Workspace.open(project) as workspace:
        frames = workspace.project.frames_in_order()
        workspace.push(
            AddAnnotations(
                Annotation(0, frames[k].id, "Car", track_id=MOVER, cuboid=from_world(mover(k), ego(k)))
                for k in range(2, FRAMES)
            )
        )
    main = show_window(qtbot, settings, project)
    document = main.document
    document.select(next(a.id for a in document.cuboids() if a.track_id == MOVER))
    main.actions["tracks.strip"].trigger()
    strip = main.track_strip
    qtbot.waitUntil(
        lambda: len(strip.tiles) == FRAMES and all(t.points is not None for t in strip.tiles.values())
    )
    yield main
    main.close()


def _boxes(main):
    return [a for a in main.document.project.annotations_of_track(MOVER)]


def _point(xy) -> QPoint:
    return QPoint(round(float(xy[0])), round(float(xy[1])))


def test_the_strip_shows_one_crop_per_box_made_of_the_points_around_it(strip_window) -> None:
    main = strip_window
    strip = main.track_strip
    assert main.strip_dock.isVisible() and strip.isVisible()
    assert list(strip.tiles) == [f.id for f in main.document.frames()]
    for tile in strip.tiles.values():
        assert len(tile.points) > 100
        local = np.abs(tile.box.world_to_box(tile.points))
        assert np.all(local <= np.asarray(tile.box.size) / 2 + crop_margin(tile.box) + 1e-3)
    assert len({tile.scale for tile in strip.tiles.values()}) == 1  # one scale: sizes compare
    assert strip.tiles[main.document.frame_id].current
    assert "track 2: 6 boxes" in strip.caption.text()
    tile = strip.tiles[main.document.frame_id]
    dragged = tile.box.replace(center=(0.0, 0.0, 0.0))
    main.document.preview_cuboid(tile.annotation_id, dragged)  # a drag in a view: the crop follows
    assert tile.preview == dragged
    main.document.preview_cuboid(tile.annotation_id, None)
    assert tile.preview is None


def test_clicking_a_crop_goes_to_its_frame_and_keys_nudge_its_box(strip_window, qtbot) -> None:
    main = strip_window
    strip, document = main.track_strip, main.document
    tile = strip.tiles[document.frames()[4].id]
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=QPoint(20, 8))  # on the caption: no drag
    assert document.frame_id == tile.frame_id and document.selected_id == tile.annotation_id
    assert tile.current and tile.hasFocus()
    before = document.project.annotations[tile.annotation_id].cuboid
    qtbot.keyClick(tile, Qt.Key.Key_Up)  # Cuboid > Move > Forward, on the crop's box
    after = document.project.annotations[tile.annotation_id].cuboid
    assert np.hypot(*np.subtract(after.center, before.center)[:2]) == pytest.approx(0.1, abs=1e-6)
    assert tile.box == after


def test_dragging_an_edge_in_one_crop_sizes_the_whole_track_in_one_step(strip_window, qtbot) -> None:
    main = strip_window
    strip, stack = main.track_strip, main.document.workspace.stack
    tile = strip.tiles[main.document.frames()[2].id]
    front = tile.outline("top")[:2].mean(axis=0)  # the middle of the front edge (drawn on the right)
    sizes_before = [a.cuboid.size for a in _boxes(main)]
    entries = len(stack.entries)
    longer = sizes_before[2][0] + 10 / tile.scale  # the scale before the box grew
    qtbot.mousePress(tile, Qt.MouseButton.LeftButton, pos=_point(front))
    qtbot.mouseMove(tile, _point(front + np.array([10, 0])))
    qtbot.mouseRelease(tile, Qt.MouseButton.LeftButton, pos=_point(front + np.array([10, 0])))
    assert len(stack.entries) == entries + 1 and stack.undo_label().startswith("Size track 2")
    assert all(a.cuboid.size[0] == pytest.approx(longer, abs=1e-6) for a in _boxes(main))
    dragged = main.document.project.annotations[tile.annotation_id].cuboid
    back = np.array([[-0.5, 0.0, 0.0]])
    original = from_world(mover(2), ego(2))
    assert dragged.box_to_world(back * dragged.size[0]) == pytest.approx(
        original.box_to_world(back * original.size[0])
    )
    stack.undo()
    assert [a.cuboid.size for a in _boxes(main)] == sizes_before


def test_moving_or_turning_in_a_crop_edits_that_box_only_and_the_size_fields_size_all(
    strip_window, qtbot
) -> None:
    main = strip_window
    strip, stack = main.track_strip, main.document.workspace.stack
    tile = strip.tiles[main.document.frames()[1].id]
    centre = tile.outline("top").mean(axis=0)
    before, scale = tile.box, tile.scale
    others = {a.id: a.cuboid for a in _boxes(main) if a.id != tile.annotation_id}
    qtbot.mousePress(tile, Qt.MouseButton.LeftButton, pos=_point(centre))
    qtbot.mouseRelease(tile, Qt.MouseButton.LeftButton, pos=_point(centre + np.array([15, 0])))
    moved = main.document.project.annotations[tile.annotation_id].cuboid
    step = before.world_to_box(np.array([moved.center]))[0]  # to the right in the top view is forward
    assert step == pytest.approx((15 / scale, 0.0, 0.0), abs=1e-6)
    assert stack.undo_label() == "Move cuboid"
    assert {a.id: a.cuboid for a in _boxes(main) if a.id != tile.annotation_id} == others
    rect = tile.view_rects()["top"]  # a drag outside the box turns it about its centre
    centre = tile.outline("top").mean(axis=0)
    corner = np.array([rect.right() - 4.0, rect.top() + 4.0])
    turned_to = (
        centre + (corner - centre) @ np.array([[0.0, -1.0], [1.0, 0.0]]) * 0.5
    )  # a quarter turn, nearer
    yaw = tile.box.yaw
    qtbot.mousePress(tile, Qt.MouseButton.LeftButton, pos=_point(corner))
    qtbot.mouseRelease(tile, Qt.MouseButton.LeftButton, pos=_point(turned_to))
    assert stack.undo_label() == "Rotate cuboid"
    turned = main.document.project.annotations[tile.annotation_id].cuboid
    assert abs(wrap_angle(turned.yaw - yaw)) == pytest.approx(np.pi / 2, abs=0.05)
    assert turned.center == pytest.approx(moved.center)  # about its centre
    entries = len(stack.entries)
    strip.size_fields[1].setValue(2.1)  # the width of the whole track
    assert len(stack.entries) == entries + 1
    assert all(a.cuboid.size[1] == pytest.approx(2.1) for a in _boxes(main))


def test_a_resize_key_on_a_focused_crop_resizes_the_whole_track(strip_window, qtbot) -> None:
    main = strip_window
    strip, stack = main.track_strip, main.document.workspace.stack
    tile = strip.tiles[main.document.frames()[3].id]
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=QPoint(20, 8))
    width = tile.box.size[1]
    entries = len(stack.entries)
    for _ in range(3):  # Alt+Right: Cuboid > Resize > Wider, held (auto-repeat): one step
        qtbot.keyPress(tile, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    qtbot.keyRelease(tile, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert all(a.cuboid.size[1] == pytest.approx(width + 0.3) for a in _boxes(main))
    assert len(stack.entries) == entries + 1
    qtbot.keyClick(tile, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert len(stack.entries) == entries + 2  # a new press, a new step
