"""Test-time augmentation: boxes found in a transformed input map back exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.ml.uncertainty.augment import (
    CloudTransform,
    ImageTransform,
    cloud_transforms,
    image_transforms,
)


@pytest.mark.parametrize("mirror", [False, True])
def test_a_box_moved_with_the_points_maps_back_to_itself(mirror: bool) -> None:
    transform = CloudTransform(mirror, angle=0.3, shift=(0.5, -0.2))
    box = Cuboid((10.0, 3.0, -1.0), (4.2, 1.8, 1.5), yaw=0.7, pitch=0.05, roll=0.1)
    moved_centre = transform.apply_points(np.array([box.center]))[0]
    yaw = (-box.yaw if mirror else box.yaw) + 0.3
    roll = -box.roll if mirror else box.roll
    moved = Cuboid(tuple(moved_centre), box.size, yaw, box.pitch, roll)
    corners = transform.apply_points(box.corners()).astype(float)
    assert np.sort(corners, axis=0) == pytest.approx(np.sort(moved.corners(), axis=0), abs=1e-4)
    back = transform.invert_boxes(moved.to_array(nine_dof=True)[None])[0]
    assert back == pytest.approx(box.to_array(nine_dof=True), abs=1e-5)


def test_image_flip_and_scale_map_back() -> None:
    transform = ImageTransform(flip=True, scale=0.5)
    image = np.zeros((60, 100, 3), np.uint8)
    image[20:40, 10:30] = 255
    out = transform.apply_image(image)
    assert out.shape == (30, 50, 3)
    ys, xs = np.nonzero(out[:, :, 0] > 128)
    found = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], float)
    assert found[0] == pytest.approx([35, 10, 45, 20], abs=1)
    assert transform.invert_boxes(found, 100)[0] == pytest.approx([10, 20, 30, 40], abs=2)


def test_pass_zero_is_the_untouched_input_and_runs_repeat() -> None:
    transforms = cloud_transforms(4, seed=7)
    assert transforms[0] == CloudTransform()
    assert transforms == cloud_transforms(4, seed=7)
    assert [t.mirror for t in transforms] == [False, True, False, True]
    assert all(abs(t.angle) <= math.radians(10) for t in transforms)
    images = image_transforms(4)
    assert images[0] == ImageTransform() and images[1].flip and len({t.scale for t in images}) > 1
