"""Step edits of a cuboid and fitting existing boxes to a frame's points (batch fit, re-placing)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.core.cuboids.box_fit import already_fits, fit_frame, refit_keep_size
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.cuboid_ops import flip_heading, move_local, quarter_turn, resize, rotate
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.ground import GroundModel

RNG = np.random.default_rng(3)


def solid(cuboid: Cuboid, count: int = 1500) -> np.ndarray:
    """Points filling the upper 90 % of a box (a car body above the ground)."""
    local = RNG.uniform(-0.5, 0.5, (count, 3)) * np.asarray(cuboid.size)
    local[:, 2] = RNG.uniform(-0.4, 0.5, count) * cuboid.size[2]
    return cuboid.box_to_world(local)


def ground(count: int = 6000, z: float = 0.0) -> np.ndarray:
    xy = RNG.uniform(-20.0, 20.0, (count, 2))
    return np.column_stack([xy, np.full(count, z)])


def test_move_local_follows_the_heading() -> None:
    box = Cuboid((1.0, 2.0, 0.5), (4.0, 2.0, 1.5), math.radians(90.0))
    moved = move_local(box, forward=1.0, left=0.5, up=0.2)
    assert moved.center == pytest.approx((0.5, 3.0, 0.7))


def test_rotate_resize_flip_and_quarter_turn() -> None:
    box = Cuboid((0.0, 0.0, 0.0), (4.0, 2.0, 1.5), math.radians(175.0), 0.1, -0.05)
    assert math.degrees(rotate(box, yaw=math.radians(10.0)).yaw) == pytest.approx(-175.0)
    assert resize(box, "width", 0.2).size == pytest.approx((4.0, 2.2, 1.5))
    assert resize(box, "height", -5.0).size[2] == pytest.approx(0.05)  # never below MIN_EDGE
    flipped = flip_heading(box)
    assert math.degrees(flipped.yaw) == pytest.approx(-5.0)
    assert np.allclose(np.sort(flipped.corners(), axis=0), np.sort(box.corners(), axis=0))  # same box
    turned = quarter_turn(box.flattened())
    assert turned.size == (2.0, 4.0, 1.5)
    assert math.degrees(turned.yaw) == pytest.approx(-95.0)
    assert bev_iou(turned, box.flattened()) == pytest.approx(1.0)


def test_fit_frame_shrinks_and_turns_boxes_without_using_neighbours_or_ground() -> None:
    car = Cuboid((10.0, 0.0, 0.75), (4.2, 1.8, 1.5), math.radians(20.0))
    neighbour = Cuboid((10.3, 2.6, 0.75), (4.2, 1.8, 1.5), math.radians(20.0))
    points = np.concatenate([solid(car), solid(neighbour), ground()])
    loose = Cuboid((10.0, 0.2, 0.9), (5.0, 2.6, 2.0), math.radians(8.0))  # too big, turned 12 degrees
    car_prior = (3.9, 1.6, 1.5)  # the class default: hidden sides are at least this
    report = fit_frame([loose, neighbour], points, GroundModel.flat(0.0), priors=[car_prior, car_prior])
    fitted = report.outcomes[0].cuboid
    assert report.outcomes[0].changed
    assert bev_iou(fitted, car) > 0.85
    assert abs(math.degrees(fitted.yaw) - 20.0) < 3.0
    assert fitted.z_range()[0] >= -0.01  # not into the ground
    # never grown: every side within the loose box
    assert fitted.size[0] <= loose.size[0] and fitted.size[1] <= loose.size[1]
    assert bev_iou(fitted, neighbour) < 0.05


def test_fit_frame_leaves_a_box_with_too_few_points_alone() -> None:
    empty = Cuboid((0.0, 8.0, 0.75), (4.0, 1.8, 1.5))
    points = np.concatenate([ground(), solid(Cuboid((0.0, 8.0, 0.75), (4.0, 1.8, 1.5)), count=5)])
    report = fit_frame([empty], points, GroundModel.flat(0.0))
    assert report.left_alone == [0]
    assert report.outcomes[0].cuboid == empty and not report.outcomes[0].changed
    assert "5 object points" in report.outcomes[0].reason


def test_refit_keep_size_places_the_box_against_the_seen_side() -> None:
    truth = Cuboid((12.0, 0.0, 0.75), (4.0, 1.8, 1.5))
    seen = solid(truth)
    seen = seen[seen[:, 0] < 10.6]  # only the rear 0.6 m, the side facing the sensor at the origin
    predicted = truth.replace(center=(12.4, 0.1, 0.75))
    moved = refit_keep_size(predicted, seen, 0.0)
    assert moved.size == truth.size
    assert moved.center[0] == pytest.approx(12.0, abs=0.05)
    assert moved.center[1] == pytest.approx(0.0, abs=0.05)
    assert refit_keep_size(predicted, seen[:3], 0.0) == predicted


def back_face(box: Cuboid, across: tuple[float, float], count: int = 12) -> np.ndarray:
    """Points on the back face of ``box`` (its -x face) between ``across`` (box-local y), at mid height."""
    local = np.zeros((count, 3))
    local[:, 0] = -box.size[0] / 2.0
    local[:, 1] = np.linspace(across[0], across[1], count)
    return box.box_to_world(local)


def test_a_far_truck_whose_flank_is_seen_edge_on_already_fits_its_few_back_points() -> None:
    # 100 m ahead, the sensor 5 cm outside the plane of its left flank: the flank is seen edge-on, and the
    # back shows only part of its width; the points cannot place the flank, so the drawn box stands
    truck = Cuboid((100.0, -1.3, 1.6), (8.0, 2.5, 3.2), 0.0)
    points = back_face(truck, (-0.5, 0.6))
    assert already_fits(truck, truck, points)


def test_a_flank_seen_at_a_clear_angle_must_reach_its_points() -> None:
    truck = Cuboid((20.0, -4.0, 1.6), (8.0, 2.5, 3.2), 0.0)  # the left flank faces the sensor at ~8 degrees
    points = back_face(truck, (-0.5, 0.6))
    assert not already_fits(truck, truck, points)


def test_a_far_car_with_a_dozen_returns_is_left_alone_as_a_low_confidence_fit() -> None:
    car = Cuboid((60.0, 8.0, 0.8), (4.0, 1.8, 1.6), 0.0)  # its back and its flank face the sensor
    rng = np.random.default_rng(12)
    back = np.column_stack(
        [np.full(12, 58.02), rng.uniform(7.2, 8.8, 12), rng.uniform(0.4, 1.4, 12)]
    )  # a dozen returns on its back only
    points = np.concatenate([ground(), back])
    report = fit_frame([car], points, GroundModel.flat(0.0), priors=[(4.5, 1.85, 1.6)])
    outcome = report.outcomes[0]
    assert outcome.cuboid == car and not outcome.changed
    assert "low confidence" in outcome.reason and "12 object points" in outcome.reason


def test_a_pedestrian_with_a_dozen_returns_is_still_fitted() -> None:
    person = Cuboid((6.0, 2.0, 0.85), (0.6, 0.6, 1.7), 0.0)
    rng = np.random.default_rng(12)
    local = np.column_stack([rng.uniform(-0.25, 0.25, (12, 2)), rng.uniform(-0.5, 0.7, 12)])
    body = person.box_to_world(local)
    rough = person.replace(center=(6.5, 2.3, 0.85), size=(0.8, 0.8, 2.0))
    report = fit_frame(
        [rough], np.concatenate([ground(), body]), GroundModel.flat(0.0), priors=[(0.7, 0.7, 1.7)]
    )
    assert not report.outcomes[0].reason and report.outcomes[0].changed


def test_a_box_turned_away_from_its_fit_and_larger_along_both_sides_does_not_already_fit() -> None:
    rough = Cuboid((20.0, 4.0, 0.8), (5.0, 2.3, 1.9), math.radians(9.0))
    obj = solid(rough, 400)  # the points do not tell the two headings apart
    turned = rough.replace(yaw=0.0)
    assert already_fits(rough, turned, obj)  # turned only: the box explains its points as well
    smaller = turned.replace(size=(4.5, 1.85, 1.6))
    assert not already_fits(rough, smaller, obj)  # turned and 0.5 m longer and wider than its fit
    assert already_fits(rough, smaller.replace(yaw=rough.yaw), obj)  # not turned: its size is its own
