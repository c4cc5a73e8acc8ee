"""The size a fit uses for sides it cannot see: the track's agreed size, else the class default; the heading
of a travelling track from its world-frame motion."""

from __future__ import annotations

import math

import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.fit_priors import size_prior, track_motion
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame
from annotator.core.pose import Pose
from annotator.core.world import from_world


def project_with_track(sizes: list[tuple[float, float, float]]) -> tuple[Project, list[int]]:
    project = Project()
    stack = UndoStack(project)
    stack.push(AddFrames([Frame(k + 1, f"{k:06d}", k) for k in range(len(sizes) + 1)]))
    first = AddAnnotations([Annotation(0, 1, "Car", cuboid=Cuboid((10.0, 0.0, 0.8), sizes[0]))])
    stack.push(first)
    track = project.annotations[first.ids[0]].track_id
    rest = AddAnnotations(
        [
            Annotation(0, k + 1, "Car", track_id=track, cuboid=Cuboid((10.0, 0.0, 0.8), s))
            for k, s in enumerate(sizes[1:], 1)
        ]
    )
    stack.push(rest)
    return project, [first.ids[0], *rest.ids]


def test_a_track_with_other_boxes_gives_their_median_size() -> None:
    project, ids = project_with_track([(4.0, 1.7, 1.5), (4.6, 1.9, 1.6), (4.5, 1.85, 1.55), (9.0, 3.0, 3.0)])
    prior = size_prior(project, project.annotations[ids[0]])
    assert prior == pytest.approx((4.6, 1.9, 1.6))  # the odd 9 m box does not drag it


def test_a_lone_box_takes_its_class_default_and_an_unknown_class_none() -> None:
    project, ids = project_with_track([(4.0, 1.7, 1.5), (4.6, 1.9, 1.6)])
    lone = project.annotations[ids[0]]
    assert size_prior(project, lone) == project.schema.get("Car").default_size  # one other box: too few
    assert size_prior(project, Annotation(99, 1, "Giraffe", cuboid=lone.cuboid)) is None


def yawed(yaw: float, x: float = 0.0, y: float = 0.0) -> Pose:
    return Pose((math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)), (x, y, 0.0))


def driving_track(poses: list[Pose | None], speed: float) -> tuple[Project, list[int]]:
    """A car driving along the world's y axis at ``speed`` m per frame, seen from a sensor at ``poses``."""
    project = Project()
    stack = UndoStack(project)
    frame_ids = stack.push(AddFrames([Frame(0, f"{k:06d}", k, pose=p) for k, p in enumerate(poses)])).ids
    track = None
    ids = []
    for k, (frame_id, pose) in enumerate(zip(frame_ids, poses)):
        world = Cuboid((20.0, 5.0 + speed * k, 0.8), (4.5, 1.8, 1.5), math.pi / 2)
        box = from_world(world, pose) if pose is not None else world
        add = AddAnnotations([Annotation(0, frame_id, "Car", track_id=track, cuboid=box)])
        stack.push(add)
        ids.append(add.ids[0])
        track = project.annotations[ids[0]].track_id
    return project, ids


def test_a_travelling_track_heads_along_its_world_motion_in_each_frames_coordinates() -> None:
    # the ego turns 30 degrees and drives on while the car drives north (world yaw 90 degrees)
    poses = [yawed(math.radians(3.0 * k), x=2.0 * k) for k in range(11)]
    project, ids = driving_track(poses, speed=1.2)
    motion = track_motion(project, project.annotations[ids[5]])
    assert motion is not None
    assert motion.yaw == pytest.approx(math.pi / 2 - math.radians(15.0), abs=1e-6)  # in frame 5's LiDAR axes
    assert motion.travel == pytest.approx(1.2 * 10)  # the 5 frames before and after
    first = track_motion(project, project.annotations[ids[0]])
    assert first is not None and first.travel == pytest.approx(1.2 * 5)


def test_a_parked_track_or_frames_without_poses_give_no_motion_heading() -> None:
    poses = [yawed(0.0, x=2.0 * k) for k in range(6)]
    parked, ids = driving_track(poses, speed=0.0)  # the ego drives past a parked car
    assert track_motion(parked, parked.annotations[ids[2]]) is None
    unposed, ids = driving_track([None] * 6, speed=1.5)
    assert track_motion(unposed, unposed.annotations[ids[2]]) is None
