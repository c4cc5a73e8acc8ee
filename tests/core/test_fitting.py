"""Clustering, oriented box fitting and the box-editing helpers on hand-made point sets."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.fitting import (
    auto_rotate,
    cluster_points,
    convex_hull_2d,
    fit_oriented_box,
    fit_to_points,
    grow_cluster,
    rectangle_angle,
)
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.cuboids.rotation import wrap_angle
from annotator.core.ground import GroundModel

RNG = np.random.default_rng(7)


def rotate(xy: np.ndarray, yaw: float, shift=(0.0, 0.0)) -> np.ndarray:
    c, s = math.cos(yaw), math.sin(yaw)
    return xy @ np.array([[c, -s], [s, c]]).T + shift


def l_shape(yaw: float, length=4.5, width=1.8, centre=(12.0, 5.0), noise=0.02) -> np.ndarray:
    """A partly seen car: points on one long side and the rear only, 0.3 to 1.5 m up."""
    side = np.column_stack([RNG.uniform(-length / 2, length / 2, 300), np.full(300, -width / 2)])
    rear = np.column_stack([np.full(150, -length / 2), RNG.uniform(-width / 2, width / 2, 150)])
    xy = rotate(np.concatenate([side, rear]) + RNG.normal(0.0, noise, (450, 2)), yaw, centre)
    return np.column_stack([xy, RNG.uniform(0.3, 1.5, len(xy))])


def shell(centre, size, yaw=0.0, count=2000) -> np.ndarray:
    """Points on the four sides and the top of an upright box."""
    half = np.asarray(size, dtype=float) / 2.0
    local = RNG.uniform(-1.0, 1.0, (count, 3)) * half
    face = RNG.integers(0, 3, count)
    sign = np.where(face == 2, 1.0, RNG.choice([-1.0, 1.0], count))
    local[np.arange(count), face] = sign * half[face]
    return Cuboid(tuple(centre), tuple(size), yaw).box_to_world(local)


def ground_patch(x0, x1, y0, y1, z=0.0, count=3000) -> np.ndarray:
    xy = np.column_stack([RNG.uniform(x0, x1, count), RNG.uniform(y0, y1, count)])
    return np.column_stack([xy, np.full(count, z) + RNG.normal(0.0, 0.01, count)])


def heading_error(a: float, b: float) -> float:
    """Angle between two headings, ignoring direction (a box's heading is ambiguous by pi)."""
    return abs(wrap_angle(2.0 * (a - b))) / 2.0


# -- oriented boxes ---------------------------------------------------------------------------------
@pytest.mark.parametrize("yaw", [0.0, 0.35, -1.0, 1.3, 2.6])
def test_l_shape_of_a_partly_seen_car_gives_heading_and_size(yaw):
    box = fit_oriented_box(l_shape(yaw), ground_z=0.0)
    assert math.degrees(heading_error(box.yaw, yaw)) < 3.0
    assert box.size[0] == pytest.approx(4.5, abs=0.15)
    assert box.size[1] == pytest.approx(1.8, abs=0.15)
    assert box.size[2] == pytest.approx(1.5, abs=0.02)  # from the ground to the top
    assert box.center[2] == pytest.approx(0.75, abs=0.02)
    assert bev_iou(box, Cuboid((12.0, 5.0, 0.75), (4.5, 1.8, 1.5), yaw)) > 0.85


@pytest.mark.parametrize("method", ["lshape", "area"])
@pytest.mark.parametrize("yaw", [0.2, -0.7, 1.1])
def test_a_rotated_full_rectangle(method, yaw):
    points = shell((3.0, -2.0, 1.0), (6.0, 2.5, 2.0), yaw)
    box = fit_oriented_box(points, method=method)
    assert math.degrees(heading_error(box.yaw, yaw)) < 2.0
    assert np.allclose(box.size, (6.0, 2.5, 2.0), atol=0.1)
    assert np.allclose(box.center, (3.0, -2.0, 1.0), atol=0.1)


def test_heading_prefers_the_hint_else_points_along_plus_x():
    points = shell((5.0, 0.0, 1.0), (4.0, 1.8, 1.5), math.pi)
    assert abs(fit_oriented_box(points).yaw) < 0.05
    assert abs(wrap_angle(fit_oriented_box(points, heading_hint=3.0).yaw - math.pi)) < 0.05
    # Length always along the longer side: a box yawed 90 degrees points along +y or -y.
    sideways = fit_oriented_box(shell((0.0, 5.0, 1.0), (4.0, 1.8, 1.5), math.pi / 2))
    assert abs(abs(sideways.yaw) - math.pi / 2) < 0.05 and sideways.size[0] > sideways.size[1]


def test_minimum_sizes_and_bad_input():
    box = fit_oriented_box(np.array([[1.0, 1.0, 0.5], [1.0, 1.0, 0.5]]))
    assert min(box.size) >= 0.2
    with pytest.raises(ValueError):
        fit_oriented_box(np.zeros((0, 3)))
    with pytest.raises(ValueError):
        rectangle_angle(np.ones((5, 2)) * np.arange(5)[:, None], method="nonsense")


def test_convex_hull_matches_a_brute_force_check():
    pts = RNG.normal(size=(2000, 2))
    hull = convex_hull_2d(pts)
    edges = np.roll(hull, -1, axis=0) - hull
    # Every point lies left of (or on) every counter-clockwise hull edge.
    cross = edges[:, 0, None] * (pts[None, :, 1] - hull[:, 1, None]) - edges[:, 1, None] * (
        pts[None, :, 0] - hull[:, 0, None]
    )
    assert cross.min() > -1e-6
    assert len(convex_hull_2d(np.array([[0.0, 0.0], [1.0, 1.0]]))) == 2


# -- clustering -------------------------------------------------------------------------------------
def test_two_nearby_objects_are_separated_and_noise_is_dropped():
    a = shell((0.0, 0.0, 0.8), (4.0, 1.8, 1.5), count=1500)
    b = shell((0.0, 2.6, 0.8), (4.0, 1.8, 1.5), count=1500)  # 0.8 m gap between the sides
    stray = np.array([[10.0, 10.0, 1.0], [10.1, 10.0, 1.0]])
    labels = cluster_points(np.concatenate([a, b, stray]), eps=0.25, min_points=5)
    assert len(set(labels[:1500])) == 1 and len(set(labels[1500:3000])) == 1
    assert labels[0] != labels[1500] and labels.max() == 1
    assert (labels[3000:] == -1).all()
    # In bird's-eye view with a large eps they touch.
    joined = cluster_points(np.concatenate([a, b])[:, :2], eps=0.6, min_points=5)
    assert joined.max() == 0


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.2, 1.0))
def test_points_closer_than_eps_share_a_cluster(seed, eps):
    pts = np.random.default_rng(seed).uniform(0.0, 6.0, (150, 3))
    labels = cluster_points(pts, eps=eps, min_points=1)
    close = np.linalg.norm(pts[:, None] - pts[None], axis=-1) < eps
    i, j = np.nonzero(close)
    assert (labels[i] == labels[j]).all()
    assert (labels >= 0).all() and np.array_equal(np.unique(labels), np.arange(labels.max() + 1))


def test_grow_cluster_from_an_index_or_a_click_never_takes_ground():
    car = shell((8.0, 1.0, 0.8), (4.0, 1.8, 1.5), count=800)
    other = shell((8.0, 5.0, 0.8), (4.0, 1.8, 1.5), count=800)
    ground = ground_patch(0.0, 16.0, -4.0, 8.0)
    points = np.concatenate([car, other, ground])
    mask = np.zeros(len(points), dtype=bool)
    mask[1600:] = True
    by_index = grow_cluster(points, 10, ground_mask=mask, eps=0.3)
    assert set(by_index.tolist()) == set(range(800))
    by_click = grow_cluster(points, np.array([8.0, 5.0, 2.0]), ground_mask=mask, eps=0.3)
    assert set(by_click.tolist()) == set(range(800, 1600))
    assert len(grow_cluster(points, np.array([100.0, 0.0, 0.0]), ground_mask=mask)) == 0


# -- editing helpers --------------------------------------------------------------------------------
def car_on_slope(slope: float = 0.05) -> tuple[np.ndarray, Cuboid]:
    """A car standing on a slope (ground at z = 0.5 under its centre), with the ground around it."""
    truth = Cuboid((10.0, 2.0, 0.5 + 0.75), (4.2, 1.8, 1.5), 0.4)
    car = shell(truth.center, truth.size, truth.yaw, count=1500)
    car = car[car[:, 2] > 0.5 + 0.2]  # nothing seen below the sills
    ground = ground_patch(2.0, 18.0, -6.0, 10.0, count=6000)
    ground[:, 2] += slope * (ground[:, 0] - 10.0) + 0.5
    return np.concatenate([car, ground]), truth


@pytest.mark.parametrize(("slope", "ground"), [(0.05, None), (0.0, 0.5), (0.0, GroundModel.flat(0.5))])
def test_fit_to_points_shrinks_to_the_object_and_never_into_the_ground(slope, ground):
    points, truth = car_on_slope(slope)
    loose = truth.replace(center=(10.3, 2.2, 1.0), size=(6.0, 3.0, 3.0))  # reaches 0.5 m into the ground
    fitted = fit_to_points(loose, points, ground=ground)
    assert fitted.yaw == loose.yaw
    assert bev_iou(fitted, truth) > 0.9  # the ground inside the loose box did not count
    bottom, top = fitted.z_range()
    assert bottom == pytest.approx(0.5, abs=0.05)  # down to the ground under the centre, not below
    assert top == pytest.approx(2.0, abs=0.05)
    ground_points = points[points[:, 2] < 0.5 + slope * 3.0 + 0.05]
    inside = ground_points[fitted.points_inside(ground_points)]
    assert (
        len(inside) == 0 or inside[:, 2].max() < bottom + slope * 2.2 + 0.05
    )  # at most a skin at the bottom
    far_away = loose.replace(center=(50.0, 50.0, 1.0))
    assert fit_to_points(far_away, points) == far_away  # nothing inside: unchanged


def test_auto_rotate_recovers_a_rotation_and_keeps_centre_and_size():
    points, truth = car_on_slope()
    for start in (truth.yaw + 0.3, truth.yaw - 0.25, truth.yaw + math.pi):
        turned = auto_rotate(truth.replace(yaw=start), points)
        assert math.degrees(heading_error(turned.yaw, truth.yaw)) < 3.0
        assert abs(wrap_angle(turned.yaw - start)) < math.pi / 2  # the direction nearer the old one
        assert turned.center == truth.center and turned.size == truth.size
