"""Static tracks: editing one box edits all of them in the world frame, as one undoable step."""

from __future__ import annotations

import dataclasses
import math

import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames, UpdateAnnotations
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame
from annotator.core.pose import Pose
from annotator.core.static_tracks import SetStatic, is_static
from annotator.core.world import to_world

CAR = (4.0, 1.8, 1.5)


def ego(k: int) -> Pose:
    yaw = math.radians(5.0 * k)
    return Pose((math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)), (2.0 * k, 0.5 * k, 0.0))


def parked_car(poses: list[Pose | None]) -> tuple[Project, UndoStack, list[int]]:
    """A car labelled in every frame (slightly off in each), one track."""
    project = Project()
    stack = UndoStack(project)
    frames = stack.push(AddFrames([Frame(0, f"{k}", k, pose=p) for k, p in enumerate(poses)])).ids
    boxes = [
        Annotation(0, f, "Car", track_id=1, cuboid=Cuboid((10.0 + 0.1 * k, 2.0, -1.0), CAR, 0.1))
        for k, f in enumerate(frames)
    ]
    return project, stack, stack.push(AddAnnotations(boxes)).ids


def world_boxes(project: Project, ids: list[int]) -> list[Cuboid]:
    return [
        to_world(project.annotations[i].cuboid, project.frames[project.annotations[i].frame_id].pose)
        for i in ids
    ]


def test_moving_one_box_of_a_static_track_moves_all_in_the_world_and_undoes_in_one_step() -> None:
    project, stack, ids = parked_car([ego(0), ego(1), ego(2)])
    before = [project.annotations[i] for i in ids]
    stack.push(SetStatic(1, True))
    assert is_static(project, 1)
    edited = before[1].cuboid.replace(center=(7.0, 3.0, -0.9), yaw=0.4, size=(4.4, 1.9, 1.5))
    stack.push(UpdateAnnotations([dataclasses.replace(before[1], cuboid=edited)], "Move"))
    world = world_boxes(project, ids)
    for box in world:
        assert box.center == pytest.approx(world[1].center)
        assert box.yaw == pytest.approx(world[1].yaw)
        assert box.size == pytest.approx((4.4, 1.9, 1.5))
    stack.undo()
    assert [project.annotations[i] for i in ids] == before


def test_boxes_of_tracks_not_flagged_static_move_alone() -> None:
    project, stack, ids = parked_car([ego(0), ego(1)])
    stack.push(SetStatic(1, True))
    stack.push(SetStatic(1, False))
    first = project.annotations[ids[0]]
    stack.push(UpdateAnnotations([dataclasses.replace(first, cuboid=first.cuboid.replace(yaw=1.0))]))
    assert project.annotations[ids[1]].cuboid.yaw == pytest.approx(0.1)
    stack.undo()
    stack.undo()
    assert is_static(project, 1)


def test_without_poses_a_static_track_shares_one_sensor_box() -> None:
    project, stack, ids = parked_car([None, None])
    stack.push(SetStatic(1, True))
    first = project.annotations[ids[0]]
    moved = first.cuboid.replace(center=(5.0, 5.0, -1.0))
    stack.push(UpdateAnnotations([dataclasses.replace(first, cuboid=moved)]))
    assert project.annotations[ids[1]].cuboid == moved
