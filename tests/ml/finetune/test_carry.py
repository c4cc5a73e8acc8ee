"""Carrying the previous frame's verified boxes into the next frame (the propagation baseline)."""

from __future__ import annotations

from pathlib import Path

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.records import Annotation, Frame
from annotator.core.pose import Pose
from annotator.io.workspace import Workspace
from annotator.ml.finetune.carry import (
    MIN_POINTS,
    Carrier,
    propagated,
    supported,
    with_carried,
)
from annotator.testing.scans import scan_of

PARKED = Cuboid((10.0, 2.0, 0.0), (4.0, 2.0, 1.5), 0.3)


def sequence(tmp_path: Path, sensor_x: list[float | None]) -> Workspace:
    """Frames whose sensor stands at ``sensor_x`` in the world (no pose for None), PARKED labelled on the first."""
    workspace = Workspace.create(tmp_path / "project")
    frames = [
        Frame(0, f"f{k}", k, pose=None if x is None else Pose((1.0, 0.0, 0.0, 0.0), (x, 0.0, 0.0)))
        for k, x in enumerate(sensor_x)
    ]
    ids = workspace.push(AddFrames(frames)).ids
    workspace.push(AddAnnotations([Annotation(0, ids[0], "Car", cuboid=PARKED)]))
    return workspace


def test_a_standing_box_is_carried_by_the_ego_motion_so_it_stays_put_in_the_world(tmp_path) -> None:
    with sequence(tmp_path, [0.0, 3.0]) as workspace:
        first, second = workspace.project.frames_in_order()
        ahead = Cuboid((7.0, 2.0, 0.0), PARKED.size, PARKED.yaw)  # the car after the sensor drove 3 m on
        carried = propagated(workspace.project, first, second, scan_of(ahead, 40))
        assert len(carried) == 1 and carried[0][0] == "Car"
        # moved 3 m back by the ego motion, then re-fitted to the points (size and heading kept)
        assert bev_iou(carried[0][1], ahead) > 0.7
        assert carried[0][1].size == PARKED.size and carried[0][1].yaw == PARKED.yaw
        assert workspace.project.annotations_of(second.id) == []  # planned, not applied


def test_without_poses_or_points_nothing_lands_where_the_object_is_not(tmp_path) -> None:
    with sequence(tmp_path, [None, None]) as workspace:
        first, second = workspace.project.frames_in_order()
        assert bev_iou(propagated(workspace.project, first, second, scan_of(PARKED, 40))[0][1], PARKED) > 0.7
        moved = Cuboid((20.0, 2.0, 0.0), PARKED.size, PARKED.yaw)
        assert propagated(workspace.project, first, second, scan_of(moved, 40)) == []
        assert propagated(workspace.project, first, second, None) == []


def test_a_box_needs_enough_points_to_be_carried() -> None:
    assert supported([("Car", PARKED)], scan_of(PARKED, MIN_POINTS - 1)) == []
    assert supported([("Car", PARKED)], scan_of(PARKED, MIN_POINTS)) == [("Car", PARKED)]
    assert supported([("Car", PARKED)], scan_of(PARKED, 3), min_points=3) == [("Car", PARKED)]


def test_proposals_are_added_only_where_no_carried_box_stands() -> None:
    on_it = Cuboid((10.3, 2.1, 0.0), (4.2, 1.9, 1.5), 0.25)
    new = Cuboid((20.0, -3.0, 0.0), (0.7, 0.7, 1.8), 0.0)
    joined = with_carried([("Car", PARKED)], [("Van", on_it), ("Pedestrian", new)])
    assert joined == [("Car", PARKED), ("Pedestrian", new)]


def test_a_track_dropped_while_hidden_comes_back_where_its_points_are_again(tmp_path) -> None:
    with sequence(tmp_path, [0.0, 0.0, 0.0, 0.0]) as workspace:
        project = workspace.project
        frames = project.frames_in_order()
        (parked,) = project.annotations_of(frames[0].id)
        carrier = Carrier()
        # hidden on the next two frames (too few points): dropped, remembered
        assert carrier.carry(project, frames[0], frames[1], scan_of(PARKED, MIN_POINTS - 1)) == []
        assert carrier.carry(project, frames[1], frames[2], scan_of(PARKED, 3)) == []
        assert carrier.dropped == {parked.track_id: (parked.id, 1)}
        back = carrier.carry(project, frames[2], frames[3], scan_of(PARKED, 40))
        assert [(a.class_name, a.track_id) for a in back] == [("Car", parked.track_id)]
        assert bev_iou(back[0].cuboid, PARKED) > 0.9
        assert carrier.dropped == {}  # found again
        assert project.annotations_of(frames[3].id) == []  # planned, not applied


def test_a_track_hidden_longer_than_lost_frames_stays_lost(tmp_path) -> None:
    with sequence(tmp_path, [0.0, 0.0, 0.0, 0.0]) as workspace:
        frames = workspace.project.frames_in_order()
        carrier = Carrier(lost_frames=1)
        carrier.carry(workspace.project, frames[0], frames[1], scan_of(PARKED, 3))
        carrier.carry(workspace.project, frames[1], frames[2], scan_of(PARKED, 3))
        assert carrier.carry(workspace.project, frames[2], frames[3], scan_of(PARKED, 40)) == []
        assert Carrier(lost_frames=0).dropped == {}


def test_a_box_a_person_deleted_is_not_brought_back(tmp_path) -> None:
    with sequence(tmp_path, [0.0, 0.0, 0.0]) as workspace:
        project = workspace.project
        frames = project.frames_in_order()
        carrier = Carrier()
        # carried (it holds its points) and then deleted by the person: nothing on the second frame
        assert len(carrier.carry(project, frames[0], frames[1], scan_of(PARKED, 40))) == 1
        assert carrier.carry(project, frames[1], frames[2], scan_of(PARKED, 40)) == []
