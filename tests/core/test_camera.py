"""Pinhole projection of points and cuboids, clipped at the near plane."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.core.camera import NEAR_PLANE, CameraCalibration
from annotator.core.cuboids.cuboid import Cuboid

#: LiDAR axes (x forward, y left, z up) to camera axes (x right, y down, z forward).
AXES = ((0.0, -1.0, 0.0, 0.0), (0.0, 0.0, -1.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 1.0))
K = ((700.0, 0.0, 600.0), (0.0, 700.0, 180.0), (0.0, 0.0, 1.0))


def front_camera(width: int = 1200, height: int = 360) -> CameraCalibration:
    return CameraCalibration("front", K, AXES, width, height)


def test_a_point_ahead_projects_to_the_principal_point() -> None:
    uv, depth = front_camera().project(np.array([[10.0, 0.0, 0.0]]))
    assert uv[0] == pytest.approx((600.0, 180.0)) and depth[0] == 10.0


def test_points_behind_the_near_plane_get_nan_pixels() -> None:
    uv, _ = front_camera().project(np.array([[-1.0, 0.0, 0.0], [NEAR_PLANE / 2, 0.0, 0.0]]))
    assert np.isnan(uv).all()


@pytest.mark.parametrize("x", np.linspace(-2.5, 2.5, 101))
def test_boxes_straddling_the_near_plane_give_finite_boxes(x: float) -> None:
    camera = front_camera()
    cuboid = Cuboid((float(x), 0.7, 0.1), (4.0, 1.6, 1.5), 0.4)
    for start, end in camera.cuboid_edges_2d(cuboid):
        assert np.isfinite(start).all() and np.isfinite(end).all()
    box = camera.cuboid_box2d(cuboid)
    assert box is None or (0.0 <= box.x1 < box.x2 <= 1200.0 and 0.0 <= box.y1 < box.y2 <= 360.0)


def test_cut_points_land_exactly_on_the_near_plane() -> None:
    from annotator.core.camera import _clip_segment_to_near_plane

    # depths chosen so that a + t (b - a) rounds below NEAR_PLANE in floating point
    rng = np.random.default_rng(3)
    for _ in range(2000):
        a = np.array([*rng.normal(size=2), -rng.random() * 5.0])
        b = np.array([*rng.normal(size=2), rng.random() * 5.0 + NEAR_PLANE])
        clipped = _clip_segment_to_near_plane(a, b)
        assert clipped is not None
        assert clipped[0][2] >= NEAR_PLANE and clipped[1][2] >= NEAR_PLANE


def test_box_of_a_cuboid_ahead_contains_its_projected_centre() -> None:
    camera = front_camera()
    cuboid = Cuboid((15.0, 2.0, -0.5), (4.0, 1.8, 1.5), 0.3)
    box = camera.cuboid_box2d(cuboid)
    uv, _ = camera.project(np.array([cuboid.center]))
    u, v = uv[0]
    assert box is not None and box.x1 < u < box.x2 and box.y1 < v < box.y2


def test_a_cuboid_behind_the_camera_has_no_box() -> None:
    assert front_camera().cuboid_box2d(Cuboid((-10.0, 0.0, 0.0), (4.0, 1.8, 1.5))) is None


def test_segments_are_clipped_to_the_image_rectangle() -> None:
    from annotator.core.camera import clip_segment_to_rect, clip_segments_to_image

    inside = clip_segment_to_rect(np.array([10.0, 10.0]), np.array([50.0, 20.0]), 100, 50)
    assert (
        inside is not None and inside[0] == pytest.approx((10, 10)) and inside[1] == pytest.approx((50, 20))
    )
    across = clip_segment_to_rect(np.array([-50.0, 25.0]), np.array([150.0, 25.0]), 100, 50)
    assert (
        across is not None and across[0] == pytest.approx((0, 25)) and across[1] == pytest.approx((100, 25))
    )
    assert clip_segment_to_rect(np.array([-10.0, -5.0]), np.array([-1.0, 60.0]), 100, 50) is None
    # a cuboid half out of the image on the left: every clipped end lies in the image
    cuboid = Cuboid((8.0, 7.0, -0.5), (4.0, 1.8, 1.5), 0.3)
    camera = front_camera()
    raw = camera.cuboid_edges_2d(cuboid)
    assert min(min(a[0], b[0]) for a, b in raw) < 0  # it sticks out
    clipped = clip_segments_to_image(raw, camera.width, camera.height)
    assert clipped
    for start, end in clipped:
        for u, v in (start, end):
            assert -1e-9 <= u <= camera.width + 1e-9 and -1e-9 <= v <= camera.height + 1e-9
