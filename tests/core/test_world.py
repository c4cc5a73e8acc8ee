"""Boxes carried between frames of a moving sensor: ego motion compensated, with hand-computed numbers."""

from __future__ import annotations

import dataclasses
import math

import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Track
from annotator.core.pose import Pose
from annotator.core.tracks import PutTracks, interpolate_track, propagate
from annotator.core.world import from_world, move_between, to_world, transform_cuboid


def yawed(yaw: float, x: float = 0.0, y: float = 0.0) -> Pose:
    return Pose((math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)), (x, y, 0.0))


def sequence(poses: list[Pose | None]) -> tuple[Project, UndoStack, list[int]]:
    project = Project()
    stack = UndoStack(project)
    frames = [Frame(0, f"{k:06d}", k, pose=pose) for k, pose in enumerate(poses)]
    return project, stack, stack.push(AddFrames(frames)).ids


def add(stack: UndoStack, frame_id: int, cuboid: Cuboid, track_id: int | None = 1) -> int:
    return stack.push(AddAnnotations([Annotation(0, frame_id, "Car", track_id=track_id, cuboid=cuboid)])).ids[
        0
    ]


def written(project: Project, stack: UndoStack, edit) -> Cuboid:
    stack.push(edit.command)
    return project.annotations[edit.command.ids[0]].cuboid


CAR = (4.0, 1.8, 1.5)


def test_a_box_turns_with_the_frame_it_is_written_in() -> None:
    box = Cuboid((10.0, 0.0, -1.0), CAR, 0.0)
    # the sensor turned 90 degrees left in place: what was ahead is now on the right
    moved = move_between(box, yawed(0.0), yawed(math.pi / 2))
    assert moved.center == pytest.approx((0.0, -10.0, -1.0))
    assert moved.yaw == pytest.approx(-math.pi / 2)
    assert moved.size == CAR


def test_world_round_trip_keeps_tilted_boxes_and_upright_ones_upright() -> None:
    tilted_pose = Pose((0.99, 0.05, -0.03, 0.2), (100.0, -50.0, 3.0))
    tilted_box = Cuboid((8.0, 3.0, -1.0), CAR, 0.4, 0.1, -0.05)
    back = from_world(to_world(tilted_box, tilted_pose), tilted_pose)
    assert back.center == pytest.approx(tilted_box.center)
    assert (back.yaw, back.pitch, back.roll) == pytest.approx((0.4, 0.1, -0.05))
    upright = to_world(Cuboid((8.0, 3.0, -1.0), CAR, 0.4), tilted_pose)
    assert upright.is_7dof
    assert transform_cuboid(tilted_box, yawed(0.0).matrix).center == pytest.approx(tilted_box.center)


def test_copy_keeps_a_parked_car_in_place_while_the_ego_drives() -> None:
    project, stack, frames = sequence([yawed(0.0), yawed(0.0, x=2.0)])
    source = add(stack, frames[0], Cuboid((10.0, 1.0, -1.0), CAR, 0.1))
    copy = written(project, stack, propagate(project, [source], with_motion=False))
    assert copy.center == pytest.approx((8.0, 1.0, -1.0))  # 2 m closer: the ego moved 2 m forward
    assert copy.yaw == pytest.approx(0.1)


def test_a_moving_track_keeps_its_world_velocity_when_the_ego_speeds_up() -> None:
    # the car drives +3 m per sweep in the world; the ego at +2, then +4 m per sweep
    project, stack, frames = sequence([yawed(0.0), yawed(0.0, x=2.0), yawed(0.0, x=6.0)])
    add(stack, frames[0], Cuboid((10.0, 0.0, -1.0), CAR, 0.0))  # world x 10
    latest = add(stack, frames[1], Cuboid((11.0, 0.0, -1.0), CAR, 0.0))  # world x 13
    predicted = written(project, stack, propagate(project, [latest]))
    # world x 16, seen from the ego at x 6 (a sensor-frame extrapolation would say 12)
    assert predicted.center == pytest.approx((10.0, 0.0, -1.0))


def test_a_turning_ego_does_not_turn_a_straight_driving_car() -> None:
    # the car drives along world x at 5 m per sweep; the ego turns 10 degrees per sweep at the origin
    step = math.radians(10.0)
    project, stack, frames = sequence([yawed(0.0), yawed(step), yawed(2 * step)])
    add(stack, frames[0], from_world(Cuboid((20.0, 5.0, -1.0), CAR, 0.0), yawed(0.0)))
    latest = add(stack, frames[1], from_world(Cuboid((25.0, 5.0, -1.0), CAR, 0.0), yawed(step)))
    predicted = written(project, stack, propagate(project, [latest]))
    world = to_world(predicted, yawed(2 * step))
    assert world.center == pytest.approx((30.0, 5.0, -1.0))
    assert world.yaw == pytest.approx(0.0, abs=1e-9)


def test_a_static_track_stays_put_in_the_world_even_with_a_history() -> None:
    project, stack, frames = sequence([yawed(0.0), yawed(0.0, x=2.0), yawed(0.0, x=5.0)])
    stack.push(PutTracks([], "flag", [Track(1, "Car", {"static": True})]))
    add(stack, frames[0], Cuboid((10.0, 0.0, -1.0), CAR, 0.0))
    latest = add(stack, frames[1], Cuboid((8.3, 0.0, -1.0), CAR, 0.0))  # a slightly off keyframe
    predicted = written(project, stack, propagate(project, [latest]))
    assert predicted.center == pytest.approx((5.3, 0.0, -1.0))  # no velocity; only the ego moved


def test_interpolation_blends_in_the_world() -> None:
    # a parked car at world x 20; the ego at x 0, 5, 6: in frame 1 it is 15 m ahead, not (20 + 14) / 2
    project, stack, frames = sequence([yawed(0.0), yawed(0.0, x=5.0), yawed(0.0, x=6.0)])
    add(stack, frames[0], Cuboid((20.0, 0.0, -1.0), CAR, 0.0))
    add(stack, frames[2], Cuboid((14.0, 0.0, -1.0), CAR, 0.0))
    middle = written(project, stack, interpolate_track(project, 1))
    assert middle.center == pytest.approx((15.0, 0.0, -1.0))


def test_frames_without_poses_move_boxes_in_the_sensor_frame_as_before() -> None:
    project, stack, frames = sequence([yawed(0.0), None])
    source = add(stack, frames[0], Cuboid((10.0, 1.0, -1.0), CAR, 0.1))
    copy = written(project, stack, propagate(project, [source], with_motion=False))
    assert dataclasses.astuple(copy) == dataclasses.astuple(Cuboid((10.0, 1.0, -1.0), CAR, 0.1))


def test_velocity_comes_from_the_labelled_keyframes_not_from_refitted_propagations() -> None:
    project, stack, frames = sequence([None] * 4)
    add(stack, frames[0], Cuboid((10.0, 0.0, -1.0), CAR, 0.0))
    add(stack, frames[1], Cuboid((11.0, 0.0, -1.0), CAR, 0.0))
    nudged = written(
        project, stack, propagate(project, [2], refit=lambda c: c.replace(center=(12.5, 0.0, -1.0)))
    )
    assert nudged.center == pytest.approx((12.5, 0.0, -1.0))  # the refit moved it 0.5 m further
    latest = next(a.id for a in project.annotations.values() if a.frame_id == frames[2])
    following = written(project, stack, propagate(project, [latest]))
    assert following.center == pytest.approx((13.5, 0.0, -1.0))  # 1 m per frame, from the labels


def test_a_car_standing_still_in_the_world_is_not_moved_by_label_jitter_or_refitted() -> None:
    project, stack, frames = sequence([yawed(0.0), yawed(0.0, x=2.0), yawed(0.0, x=4.0)])
    add(stack, frames[0], Cuboid((10.0, 0.0, -1.0), CAR, 0.0))
    latest = add(stack, frames[1], Cuboid((8.05, 0.0, -1.0), CAR, 0.0))  # 5 cm jitter in the world
    calls = []
    predicted = written(project, stack, propagate(project, [latest], refit=lambda c: calls.append(c) or c))
    assert predicted.center == pytest.approx((6.05, 0.0, -1.0))
    assert calls == []
