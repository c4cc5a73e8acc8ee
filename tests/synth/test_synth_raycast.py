"""Ray casting: exact primitive intersections, the ground height field, and culling that never loses a hit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.core.cuboids.rotation import rotation_matrix
from annotator.synth.camera import CameraConfig, camera_rays, make_calibration, pixel_bounds, pixel_rect_rays
from annotator.synth.ground import Ground
from annotator.synth.intersect import intersect, local_normals, to_local
from annotator.synth.layout import StreetLayout
from annotator.synth.lidar import LidarConfig, candidate_rays
from annotator.synth.primitives import Primitive, PrimitiveSet, box, cylinder, ellipsoid, rod
from annotator.synth.raycast import cast_rays

ORIGIN = np.zeros(3)


def first_hit(
    primitive: Primitive, direction: tuple[float, float, float], origin: np.ndarray = ORIGIN
) -> float:
    prims = PrimitiveSet.pack([primitive])
    return float(intersect(prims, 0, origin, np.array([direction], dtype=np.float64))[0])


@pytest.mark.parametrize(
    ("primitive", "direction", "distance"),
    [
        (box((5, 0, 0), (2, 2, 2), (0, 0, 0), 0.3), (1, 0, 0), 4.0),
        (box((5, 0, 0), (2, 2, 2), (0, 0, 0), 0.3, yaw=math.pi / 4), (1, 0, 0), 5 - math.sqrt(2)),
        (box((0, 5, 0), (2, 2, 2), (0, 0, 0), 0.3, pitch=0.3), (0, 1, 0), 4.0),
        (cylinder((5, 0, 0), 1.0, 2.0, (0, 0, 0), 0.3), (1, 0, 0), 4.0),
        (cylinder((0, 0, -5), 1.0, 2.0, (0, 0, 0), 0.3), (0, 0, -1), 4.0),
        (rod((5, -1, 0), (5, 1, 0), 0.5, (0, 0, 0), 0.3), (1, 0, 0), 4.5),
        (ellipsoid((10, 0, 0), (1, 2, 3), (0, 0, 0), 0.3), (1, 0, 0), 9.0),
        (ellipsoid((0, 10, 0), (1, 2, 3), (0, 0, 0), 0.3), (0, 1, 0), 8.0),
        (ellipsoid((0, 0, 10), (1, 2, 3), (0, 0, 0), 0.3), (0, 0, 1), 7.0),
    ],
)
def test_rays_hit_primitives_at_the_exact_distance(
    primitive: Primitive, direction: tuple, distance: float
) -> None:
    assert first_hit(primitive, direction) == pytest.approx(distance, abs=1e-9)
    assert first_hit(primitive, tuple(-np.asarray(direction))) == math.inf  # pointing away


@pytest.mark.parametrize(
    "primitive",
    [
        box((0, 0, 0), (2, 2, 2), (0, 0, 0), 0.3),
        cylinder((0, 0, 0), 1, 2, (0, 0, 0), 0.3),
        ellipsoid((0, 0, 0), (1, 1, 1), (0, 0, 0), 0.3),
    ],
)
def test_rays_starting_inside_a_solid_do_not_see_it(primitive: Primitive) -> None:
    assert first_hit(primitive, (1, 0, 0)) == math.inf


def test_far_small_sphere_is_hit_in_float32() -> None:
    prims = PrimitiveSet.pack([ellipsoid((99.0, 0.05, 0.0), (0.1, 0.1, 0.1), (0, 0, 0), 0.3)])
    t = intersect(prims, 0, ORIGIN, np.array([[1.0, 0.0, 0.0]], dtype=np.float32))
    assert t.dtype == np.float32 and t[0] == pytest.approx(99.0 - math.sqrt(0.01 - 0.0025), abs=1e-3)


def test_normals_point_out_of_the_face_that_was_hit() -> None:
    prims = PrimitiveSet.pack(
        [box((5, 0, 0), (2, 2, 2), (0, 0, 0), 0.3, yaw=0.2), ellipsoid((0, 6, 0), (1, 2, 1), (0, 0, 0), 0.3)]
    )
    for index, direction, expected in (
        (0, (1.0, 0.0, 0.0), (-math.cos(0.2), -math.sin(0.2), 0.0)),
        (1, (0.0, 1.0, 0.0), (0.0, -1.0, 0.0)),
    ):
        d = np.array([direction])
        t = intersect(prims, index, ORIGIN, d)
        o, local_d = to_local(prims, index, ORIGIN, d)
        normal = (
            local_normals(int(prims.kind[index]), o + t[:, None] * local_d, prims.half[index])
            @ prims.rotation[index].T
        )
        assert normal[0] == pytest.approx(expected, abs=1e-6)


@pytest.fixture(scope="module")
def ground() -> Ground:
    return Ground.sample(StreetLayout(), np.random.default_rng(5), bumpiness=2.0)


def test_ground_hits_lie_on_the_height_field(ground: Ground) -> None:
    rng = np.random.default_rng(1)
    elevation = rng.uniform(-0.45, -0.02, 20_000)
    azimuth = rng.uniform(-math.pi, math.pi, 20_000)
    d = np.column_stack(
        [np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth), np.sin(elevation)]
    )
    origin = np.array([3.0, -1.7, float(ground.height(3.0, -1.7)) + 1.73])
    t = ground.intersect(origin, d.astype(np.float32), np.full(len(d), 120.0, dtype=np.float32))
    hit = np.isfinite(t)
    assert hit.mean() > 0.9
    points = origin + t[hit, None] * d[hit]
    error = points[:, 2] - ground.height(points[:, 0], points[:, 1])
    assert np.percentile(np.abs(error), 99) < 0.02  # exact to a couple of centimetres, kerbs included
    upward = ground.intersect(
        origin, np.array([[1.0, 0.0, 0.1]], dtype=np.float32), np.array([120.0], dtype=np.float32)
    )
    assert upward[0] == math.inf


def test_kerb_separates_road_from_sidewalk(ground: Ground) -> None:
    layout = ground.layout
    kerb = layout.road_half_width
    step = ground.height(0.0, -(kerb + 0.5)) - ground.height(0.0, -(kerb - 0.5))
    assert step == pytest.approx(layout.kerb_height, abs=0.04)
    normals = ground.normal(np.zeros(3), np.array([0.0, -kerb - 2.0, kerb + 2.0]))
    assert np.all(normals[:, 2] > 0.99)


def random_primitives(rng: np.random.Generator, count: int) -> PrimitiveSet:
    makers = []
    for _ in range(count):
        centre = rng.uniform(-15, 15, 3) * (1, 1, 0.3)
        size = rng.uniform(0.2, 6.0, 3)
        kind = rng.integers(3)
        prim = (box, cylinder, ellipsoid)[kind]
        if kind == 0:
            made = prim(centre, size, (0, 0, 0), 0.3, *rng.uniform(-math.pi, math.pi, 3))
        elif kind == 1:
            made = prim(centre, size[0] / 2, size[2], (0, 0, 0), 0.3)
        else:
            made = prim(centre, size / 2, (0, 0, 0), 0.3)
        makers.append(
            Primitive(
                made.kind, made.center, rotation_matrix(*rng.uniform(-1, 1, 3)) @ made.rotation, made.half
            )
        )
    makers.append(box((0, 0, 0), (40, 40, 30), (0, 0, 0), 0.3))  # a room around the sensor
    return PrimitiveSet.pack(makers)


@pytest.mark.parametrize("seed", range(4))
def test_lidar_culling_never_loses_a_hit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    prims = random_primitives(rng, 40)
    config = LidarConfig(beams=24, azimuth_step=1.5, max_range=40.0)
    directions = config.directions()
    every_ray = [np.arange(len(directions))] * len(prims)
    culled = cast_rays(ORIGIN, directions, prims, candidate_rays(prims.corners(), config), None, 40.0)
    brute = cast_rays(ORIGIN, directions, prims, every_ray, None, 40.0)
    assert np.count_nonzero(brute.target >= 0) > 0.1 * len(directions)
    assert np.array_equal(culled.target, brute.target)
    assert np.array_equal(culled.t, brute.t)


@pytest.mark.parametrize("seed", range(3))
def test_camera_culling_never_loses_a_hit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    prims = random_primitives(rng, 40)
    camera = make_calibration(CameraConfig(), rng).camera("P2", 1242, 375)
    width, height = 124, 38
    centre, directions = camera_rays(camera, width, height)
    scale = (camera.width / width, camera.height / height)
    candidates = pixel_rect_rays(pixel_bounds(prims.corners(), camera), scale, width, height)
    culled = cast_rays(centre, directions, prims, candidates, None, 60.0)
    brute = cast_rays(centre, directions, prims, [np.arange(len(directions))] * len(prims), None, 60.0)
    assert np.count_nonzero(brute.target >= 0) > 0.1 * len(directions)
    assert np.array_equal(culled.target, brute.target)
    assert np.array_equal(culled.t, brute.t)
