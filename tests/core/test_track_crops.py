"""Crops of a track's boxes: the points near a box, drawn in its own axes (top view front up, side view
front to the right), and one size for the whole track as one command."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame
from annotator.core.track_crops import box_outline, crop_margin, crop_points, crop_view, size_track

BOX = Cuboid((10.0, 5.0, -0.9), (4.0, 2.0, 1.6), math.radians(30.0))


def test_a_crop_keeps_only_the_points_within_the_margin_of_the_box() -> None:
    local = np.array(
        [[0.0, 0.0, 0.0], [2.0 + crop_margin(BOX) - 0.1, 0.0, 0.0], [2.0 + crop_margin(BOX) + 0.1, 0, 0]]
    )
    far = np.array([[60.0, -20.0, 0.0]])
    points = crop_points(np.vstack([BOX.box_to_world(local), far]), BOX)
    assert len(points) == 2 and points.dtype == np.float32


def test_both_views_put_the_front_to_the_right_the_top_view_the_left_side_up() -> None:
    ahead, left, above = BOX.box_to_world(np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]]))
    top = crop_view(np.array([ahead, left]), BOX, "top")
    assert top == pytest.approx(np.array([[1.0, 0.0], [0.0, 1.0]]))
    side = crop_view(np.array([ahead, above]), BOX, "side")
    assert side == pytest.approx(np.array([[1.0, 0.0], [0.0, 1.0]]))
    front = box_outline(BOX, BOX, "top")[:2]
    assert front[:, 0] == pytest.approx([2.0, 2.0])  # the front edge is half a length to the right


def test_size_track_gives_every_box_one_size_in_one_undoable_step() -> None:
    project = Project()
    stack = UndoStack(project)
    frames = stack.push(AddFrames([Frame(0, f"{k}", index=k) for k in range(3)])).ids
    boxes = [BOX.replace(size=(4.0 + 0.2 * k, 2.0, 1.6 - 0.1 * k)) for k in range(3)]
    stack.push(AddAnnotations([Annotation(0, f, "Car", track_id=1, cuboid=b) for f, b in zip(frames, boxes)]))
    dragged = BOX.replace(size=(4.5, 1.9, 1.7), center=(11.0, 5.0, -0.85))
    edited = project.annotations_of_track(1)[0]
    stack.push(size_track(project, 1, dragged.size, {edited.id: dragged}))
    after = project.annotations_of_track(1)
    assert [a.cuboid.size for a in after] == [(4.5, 1.9, 1.7)] * 3
    assert after[0].cuboid == dragged
    for old, new in zip(boxes[1:], after[1:], strict=True):  # bottoms stay on the ground
        assert new.cuboid.z_range()[0] == pytest.approx(old.z_range()[0])
        assert new.cuboid.center[:2] == old.center[:2]
    assert size_track(project, 1, (4.5, 1.9, 1.7)) is None
    stack.undo()
    assert [a.cuboid for a in project.annotations_of_track(1)] == boxes
