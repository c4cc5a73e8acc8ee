"""Camera poses and picking are pure functions: checked with numbers, no rendering."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.render.camera import (
    CameraPose,
    bird_eye_pose,
    default_pose,
    fit_scale,
    fly_pose,
    focus_pose,
    ortho_margin,
    ortho_pose_for_bounds,
    ortho_pose_for_cuboid,
    pan_pose,
    ray_plane_z,
    zoom_pose,
)
from annotator.render.picking import pick_cuboid, ray_hits_cuboid

CAR = Cuboid((10.0, -2.0, -0.9), (4.0, 1.8, 1.5), math.radians(30.0))


def _project(pose: CameraPose, point: np.ndarray) -> np.ndarray:
    """Screen coordinates (right, up) of a point, normalised by the view's half height."""
    right, up, forward = pose.basis()
    offset = np.asarray(point) - np.asarray(pose.position)
    if pose.parallel:
        return np.array([offset @ right, offset @ up]) / pose.parallel_scale
    depth = offset @ forward
    half = math.tan(math.radians(pose.view_angle) / 2.0)
    return np.array([offset @ right, offset @ up]) / (depth * half)


@pytest.mark.parametrize(
    ("axis", "toward", "across"),
    [("top", (0, 0, 1), 1), ("side", None, 0), ("front", None, 1)],
)
def test_ortho_pose_centres_aligns_and_fits_the_cuboid(axis: str, toward, across: int) -> None:
    pose = ortho_pose_for_cuboid(CAR, axis, aspect=1.5)
    heading = np.array([math.cos(CAR.yaw), math.sin(CAR.yaw), 0.0])
    assert pose.parallel
    assert np.allclose(pose.focal_point, CAR.center)
    if axis == "top":
        assert np.allclose(pose.direction, [0, 0, -1])
        assert np.allclose(pose.view_up, heading)
    else:
        assert np.allclose(pose.view_up, [0, 0, 1])
    if axis == "front":
        assert np.allclose(pose.direction, -heading)
    # every corner is inside the view, with the margin left around it
    margin = ortho_margin(CAR)
    screen = np.array([_project(pose, corner) for corner in CAR.corners()])
    assert np.all(np.abs(screen[:, 1]) <= 1.0 + 1e-9)
    assert np.all(np.abs(screen[:, 0]) <= 1.5 + 1e-9)
    assert pose.parallel_scale >= CAR.size[across] / 2 / 1.5 + margin / 1.5 - 1e-9


def test_side_view_shows_the_heading_to_the_right() -> None:
    pose = ortho_pose_for_cuboid(CAR, "side", aspect=1.0)
    nose = np.asarray(CAR.center) + 2.0 * np.array([math.cos(CAR.yaw), math.sin(CAR.yaw), 0.0])
    assert _project(pose, nose)[0] > 0


def test_fit_scale_uses_the_tighter_side() -> None:
    assert fit_scale(4.0, 1.0, aspect=2.0) == 2.0
    assert fit_scale(1.0, 3.0, aspect=2.0) == 3.0


def test_whole_frame_ortho_pose_contains_the_bounds() -> None:
    bounds = (-40.0, 60.0, -20.0, 20.0, -2.0, 3.0)
    pose = ortho_pose_for_bounds(bounds, "top", aspect=1.0)
    for x in bounds[0:2]:
        for y in bounds[2:4]:
            assert np.all(np.abs(_project(pose, np.array([x, y, 0.0]))) <= 1.0)


def test_a_long_frame_in_a_wide_top_view_runs_across_it_and_fills_it() -> None:
    bounds = (-80.0, 80.0, -20.0, 20.0, -2.0, 3.0)  # a scan long along x
    pose = ortho_pose_for_bounds(bounds, "top", aspect=1.8)
    assert pose.parallel_scale <= 0.6 * 80.0  # not the thin strip of x up the screen (scale 84)
    for x in bounds[0:2]:
        for y in bounds[2:4]:
            u, v = _project(pose, np.array([x, y, 0.0]))
            assert abs(u) <= 1.8 and abs(v) <= 1.0  # within the view (u up to the aspect)


def test_zoom_keeps_the_anchor_fixed_on_screen() -> None:
    anchor = np.array([12.0, 3.0, -1.0])
    for pose in (default_pose((-50, 50, -50, 50, -2, 2)), ortho_pose_for_cuboid(CAR, "top", 1.3)):
        before = _project(pose, anchor)
        zoomed = zoom_pose(pose, anchor, 1.5)
        assert np.allclose(_project(zoomed, anchor), before, atol=1e-9)
        if pose.parallel:
            assert zoomed.parallel_scale == pytest.approx(pose.parallel_scale / 1.5)
        else:
            assert zoomed.distance == pytest.approx(pose.distance / 1.5)


def test_presets_and_fly() -> None:
    bounds = (-60.0, 60.0, -60.0, 60.0, -2.0, 3.0)
    reset = default_pose(bounds)
    assert reset.position[0] < 0 < reset.focal_point[0]  # behind the sensor, looking ahead
    bird = bird_eye_pose(bounds)
    assert np.allclose(bird.direction, [0, 0, -1]) and np.allclose(bird.view_up, [1, 0, 0])
    focused = focus_pose(reset, CAR)
    assert np.allclose(focused.focal_point, CAR.center)
    assert np.allclose(focused.direction, reset.direction)
    moved = fly_pose(reset, 1, 0, 0, 2.0)
    assert np.allclose(np.subtract(moved.position, reset.position), 2.0 * reset.direction)
    lifted = fly_pose(reset, 0, 0, 1, 2.0)
    assert lifted.position[2] == pytest.approx(reset.position[2] + 2.0)


def test_pan_moves_content_with_the_cursor() -> None:
    pose = ortho_pose_for_cuboid(CAR, "top", 1.0)
    point = np.asarray(CAR.center)
    panned = pan_pose(pose, 50.0, 0.0, viewport_height=500)
    assert _project(panned, point)[0] > _project(pose, point)[0]


def test_ray_hits_and_misses_a_rotated_box() -> None:
    down = np.array([0.0, 0.0, -1.0])
    assert ray_hits_cuboid(np.array([10.0, -2.0, 20.0]), down, CAR) == pytest.approx(20.0 - (-0.9 + 0.75))
    corner_outside = np.array([12.0, 0.5, 20.0])  # inside the axis-aligned box of the footprint only
    assert ray_hits_cuboid(corner_outside, down, CAR) is None
    assert ray_hits_cuboid(np.asarray(CAR.center), down, CAR) == 0.0  # starting inside


def test_pick_prefers_the_nearest_cuboid() -> None:
    far = Cuboid((30.0, 0.0, 0.0), (4.0, 2.0, 2.0))
    near = Cuboid((10.0, 0.0, 0.0), (4.0, 2.0, 2.0))
    origin, ahead = np.zeros(3), np.array([1.0, 0.0, 0.0])
    assert pick_cuboid(origin, ahead, [(1, far), (2, near)]) == 2
    assert pick_cuboid(origin, np.array([0.0, 1.0, 0.0]), [(1, far), (2, near)]) is None


def test_ray_meets_the_ground() -> None:
    hit = ray_plane_z(np.array([0.0, 0.0, 10.0]), np.array([0.6, 0.0, -0.8]), -2.0)
    assert hit is not None and hit[2] == pytest.approx(-2.0)
    assert ray_plane_z(np.zeros(3), np.array([0.0, 0.0, 1.0]), -2.0) is None
