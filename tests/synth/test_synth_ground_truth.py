"""Ground-truth bookkeeping: occlusion levels, truncation, and the JSON form of an object."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.core.box2d import Box2D
from annotator.core.cuboids.cuboid import Cuboid
from annotator.synth.camera import CameraConfig, make_calibration
from annotator.synth.ground_truth import GroundTruthObject, occlusion_level, truncation


@pytest.mark.parametrize(
    ("visible", "reachable", "level"),
    [(100, 100, 0), (80, 100, 0), (79, 100, 1), (40, 100, 1), (39, 100, 2), (0, 5, 2), (0, 0, 3)],
)
def test_occlusion_level_follows_the_share_of_rays_that_reached_the_object(
    visible: int, reachable: int, level: int
) -> None:
    assert occlusion_level(visible, reachable) == level


def test_truncation_is_the_share_of_the_box_outside_the_image() -> None:
    camera = make_calibration(CameraConfig(mount_jitter=0.0), np.random.default_rng(0)).camera(
        "P2", 1242, 375
    )
    centred, box = truncation(Cuboid((15.0, 0.0, -0.9), (3.9, 1.6, 1.5)), camera)
    assert centred == 0.0 and box is not None and 500 < box.center[0] < 700
    edge, box = truncation(Cuboid((6.0, -5.6, -0.9), (3.9, 1.6, 1.5)), camera)
    assert 0.1 < edge < 0.9 and box is not None and box.x2 == 1242
    assert truncation(Cuboid((-10.0, 0.0, -0.9), (3.9, 1.6, 1.5)), camera) == (1.0, None)


def test_ground_truth_object_survives_json() -> None:
    obj = GroundTruthObject(
        3,
        "Cyclist",
        Cuboid((1, 2, -1), (1.8, 0.6, 1.7), 0.5, 0.01, -0.02),
        42,
        1,
        0.25,
        Box2D(1, 2, 30, 40),
        (4.0, 0.1, 0.0),
    )
    again = GroundTruthObject.from_dict(obj.to_dict())
    assert again == obj
    assert GroundTruthObject.from_dict({**obj.to_dict(), "box2d": None}).box2d is None
