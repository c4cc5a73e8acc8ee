"""Proposals for new cuboids: placing on the ground, rectangle fit and one-click fit on a scanned car."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.core.cuboids.creation import (
    choose_axes,
    click_fit,
    complete_to_size,
    fit_in_rectangle,
    nearest_to_ray,
    place_on_ground,
)
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.ground import GroundModel

CAR = (3.9, 1.6, 1.5)


def _sloped() -> GroundModel:
    return GroundModel((-30.0, -30.0), 1.0, np.tile(-1.7 + 0.05 * np.arange(61)[None, :], (61, 1)))


def _visible_faces(box: Cuboid, rng: np.random.Generator, step: float = 0.08) -> np.ndarray:
    """Points on the faces of ``box`` that a sensor at the origin sees (rear and right side)."""
    length, w, h = box.size
    grid = np.mgrid[-length / 2 : length / 2 : step, -h / 2 : h / 2 : step].reshape(2, -1).T
    near_side = np.column_stack([grid[:, 0], np.full(len(grid), -w / 2), grid[:, 1]])
    grid = np.mgrid[-w / 2 : w / 2 : step, -h / 2 : h / 2 : step].reshape(2, -1).T
    rear = np.column_stack([np.full(len(grid), -length / 2), grid[:, 0], grid[:, 1]])
    local = np.vstack([near_side, rear]) + rng.normal(0, 0.01, (len(near_side) + len(rear), 3))
    return box.box_to_world(local)


def _scene(box: Cuboid, ground: GroundModel) -> np.ndarray:
    rng = np.random.default_rng(0)
    xy = rng.uniform(-15, 15, (6000, 2)) + np.asarray(box.center[:2])
    floor = np.column_stack([xy, ground.height_at(xy) + rng.normal(0, 0.02, len(xy))])
    return np.vstack([floor, _visible_faces(box, rng)])


def test_placing_on_a_slope_rests_the_bottom_on_the_local_ground() -> None:
    ground = _sloped()
    box = place_on_ground((10.0, 3.0), CAR, 0.3, ground)
    assert box.z_range()[0] == pytest.approx(-1.7 + 0.05 * 40, abs=1e-6)
    assert box.size == CAR and box.yaw == pytest.approx(0.3)


def test_click_fit_finds_a_car_seen_from_behind_and_the_side() -> None:
    ground = _sloped()
    truth = Cuboid((12.0, -4.0, 0.0), (4.2, 1.7, 1.5), math.radians(10.0))
    truth = place_on_ground(truth.center[:2], truth.size, truth.yaw, ground)
    points = _scene(truth, ground)
    seed = len(points) - 10  # a point on the car
    box = click_fit(points, seed, CAR)
    assert box is not None
    assert bev_iou(box, truth) >= 0.8
    assert abs(box.yaw - truth.yaw) < math.radians(5)  # heading along +x, not flipped
    assert box.z_range()[0] == pytest.approx(truth.z_range()[0], abs=0.15)


def test_click_fit_on_the_ground_makes_nothing() -> None:
    ground = _sloped()
    points = _scene(Cuboid((12.0, -4.0, -0.5), (4.2, 1.7, 1.5), 0.0), ground)
    assert click_fit(points, 0, CAR) is None


def test_a_back_face_becomes_the_width_and_grows_away_from_the_sensor() -> None:
    back = Cuboid((10.0, 0.0, -1.0), (1.6, 0.3, 1.4), math.pi / 2)  # a thin fit across the line of sight
    turned = choose_axes(back, CAR, (0.0, 0.0))
    assert turned.size[1] == pytest.approx(1.6)
    completed = complete_to_size(turned, CAR, (0.0, 0.0))
    assert completed.size[0] == pytest.approx(CAR[0])
    assert completed.center[0] > back.center[0]  # grew forward, away from the sensor


def test_rectangle_fit_uses_only_the_points_inside_and_empty_rectangles_keep_their_shape() -> None:
    ground = _sloped()
    truth = place_on_ground((12.0, -4.0), (4.2, 1.7, 1.5), math.radians(10.0), ground)
    points = _scene(truth, ground)
    region = Cuboid((12.0, -4.0, 0.0), (6.0, 3.0, 1.0), 0.0)
    assert bev_iou(fit_in_rectangle(points, region, CAR), truth) >= 0.8
    empty = Cuboid((30.0, 10.0, 0.0), (2.0, 1.0, 1.0), 0.5)
    placed = fit_in_rectangle(points, empty, CAR)
    assert placed.size[:2] == (2.0, 1.0) and placed.size[2] == CAR[2] and placed.yaw == pytest.approx(0.5)


def test_nearest_to_ray_picks_the_point_under_the_cursor() -> None:
    points = np.array([[10.0, 0.0, 0.0], [10.0, 0.3, 0.0], [20.0, 5.0, 0.0]])
    assert nearest_to_ray(points, (0.0, 0.25, 0.0), (1.0, 0.0, 0.0)) == 1
    assert nearest_to_ray(points, (0.0, 0.0, 0.0), (0.0, 1.0, 0.0)) is None
