"""Carrying the previous frame's verified boxes into the next frame (the propagation baseline)."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.model.records import Frame
from annotator.core.pose import Pose
from annotator.ml.finetune.carry import MIN_POINTS, carried_boxes, with_carried

PARKED = Cuboid((10.0, 2.0, 0.0), (4.0, 2.0, 1.5), 0.3)


def frame(index: int, x: float | None) -> Frame:
    """A frame whose sensor stands at ``x`` in the world (no pose with None)."""
    pose = None if x is None else Pose((1.0, 0.0, 0.0, 0.0), (x, 0.0, 0.0))
    return Frame(index, f"f{index}", index, pose=pose)


def points_in(box: Cuboid, count: int) -> np.ndarray:
    """``count`` points inside ``box``."""
    local = np.random.default_rng(count).uniform(-0.4, 0.4, (count, 3)) * np.asarray(box.size)
    return np.column_stack([box.box_to_world(local), np.zeros(count)])


def test_a_box_is_carried_by_the_ego_motion_so_it_stays_put_in_the_world() -> None:
    ahead = Cuboid((7.0, 2.0, 0.0), PARKED.size, PARKED.yaw)  # the car after the sensor drove 3 m on
    carried = carried_boxes([("Car", PARKED)], frame(0, 0.0), frame(1, 3.0), points_in(ahead, 40))
    assert len(carried) == 1 and carried[0][0] == "Car"
    np.testing.assert_allclose(carried[0][1].center, ahead.center, atol=1e-9)
    assert carried[0][1].yaw == pytest.approx(PARKED.yaw) and carried[0][1].size == PARKED.size


def test_without_poses_a_box_stays_where_it_was_in_the_sensor_frame() -> None:
    carried = carried_boxes([("Car", PARKED)], frame(0, None), frame(1, 3.0), points_in(PARKED, 40))
    np.testing.assert_allclose(carried[0][1].center, PARKED.center)


def test_a_box_left_without_points_is_not_carried() -> None:
    few = points_in(PARKED, MIN_POINTS - 1)
    assert carried_boxes([("Car", PARKED)], frame(0, 0.0), frame(1, 0.0), few) == []
    assert carried_boxes([("Car", PARKED)], frame(0, 0.0), frame(1, 0.0), None) == []
    enough = points_in(PARKED, MIN_POINTS)
    assert len(carried_boxes([("Car", PARKED)], frame(0, 0.0), frame(1, 0.0), enough)) == 1


def test_proposals_are_added_only_where_no_carried_box_stands() -> None:
    on_it = Cuboid((10.3, 2.1, 0.0), (4.2, 1.9, 1.5), 0.25)
    new = Cuboid((20.0, -3.0, 0.0), (0.7, 0.7, 1.8), 0.0)
    joined = with_carried([("Car", PARKED)], [("Van", on_it), ("Pedestrian", new)])
    assert joined == [("Car", PARKED), ("Pedestrian", new)]
