"""Property: random cuboids -> export -> import are equal within each format's printed precision."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.model.records import Frame

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

sizes = st.tuples(*[st.floats(0.3, 12.0)] * 3)
centres = st.tuples(st.floats(2.0, 60.0), st.floats(-30.0, 30.0), st.floats(-3.0, 3.0))
angles = st.floats(-math.pi, math.pi)
cuboids_7dof = st.builds(lambda c, s, y: Cuboid(c, s, y), centres, sizes, angles)
cuboids_9dof = st.builds(
    lambda c, s, y, p, r: Cuboid(c, s, y, p, r), centres, sizes, angles, st.floats(-1.5, 1.5), angles
)


def assert_close(expected: Cuboid, actual: Cuboid, position: float, rotation: float) -> None:
    """Centres and sizes within ``position``; rotations (as matrices) within ``rotation``."""
    assert np.allclose(expected.center, actual.center, rtol=0, atol=position), (expected, actual)
    assert np.allclose(expected.size, actual.size, rtol=0, atol=position), (expected, actual)
    assert np.allclose(expected.rotation, actual.rotation, rtol=0, atol=rotation), (expected, actual)


def round_trip_cuboids(project_of, cuboid_of, round_trip, boxes, format_id, cameras=None, **options):
    frames = [Frame(0, "000007", 0, cameras=cameras or {})]
    project = project_of(frames, [[cuboid_of(c, track_id=i + 1) for i, c in enumerate(boxes)]])
    with tempfile.TemporaryDirectory() as out:
        _, dataset = round_trip(project, format_id, Path(out), **options)
    assert [f.name for f in dataset.frames] == ["000007"]
    return [obj.cuboid for obj in dataset.frames[0].objects]


@SETTINGS
@given(st.lists(cuboids_7dof, min_size=1, max_size=6))
def test_kitti_keeps_7dof_cuboids_to_a_centimetre(project_of, cuboid_of, round_trip, kitti_camera, boxes):
    back = round_trip_cuboids(project_of, cuboid_of, round_trip, boxes, "kitti", {"image_2": kitti_camera})
    assert len(back) == len(boxes)
    for expected, actual in zip(boxes, back):
        assert np.allclose(expected.center, actual.center, rtol=0, atol=0.01)
        assert np.allclose(expected.size, actual.size, rtol=0, atol=0.005 + 1e-9)
        assert abs(math.remainder(expected.yaw - actual.yaw, 2 * math.pi)) <= 0.01


@pytest.mark.parametrize("format_id", ["openlabel", "sustech", "nuscenes"])
@SETTINGS
@given(boxes=st.lists(cuboids_9dof, min_size=1, max_size=5))
def test_9dof_formats_keep_cuboids(project_of, cuboid_of, round_trip, format_id, boxes):
    back = round_trip_cuboids(project_of, cuboid_of, round_trip, boxes, format_id)
    assert len(back) == len(boxes)
    for expected, actual in zip(boxes, back):
        assert_close(expected, actual, position=1e-6 + 1e-9, rotation=1e-6)


@pytest.mark.parametrize("variant", ["centroid_rel", "centroid_abs", "vertices"])
@SETTINGS
@given(boxes=st.lists(cuboids_9dof, min_size=1, max_size=5))
def test_labelcloud_variants_keep_cuboids(project_of, cuboid_of, round_trip, variant, boxes):
    back = round_trip_cuboids(project_of, cuboid_of, round_trip, boxes, "labelcloud", variant=variant)
    assert len(back) == len(boxes)
    for expected, actual in zip(boxes, back):
        # vertices carry the rotation through 1e-6 m corners: the angle is good to ~1e-6 / size
        assert_close(expected, actual, position=2e-6, rotation=2e-5 if variant == "vertices" else 1e-6)
