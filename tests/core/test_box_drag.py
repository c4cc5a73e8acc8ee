"""Mouse-edit geometry: resizing keeps the opposite faces, rotation follows the swept angle, snapping."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.core.cuboids.box_drag import moved, resized, rotated, snapped_to_ground
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.ground import GroundModel

BOX = Cuboid((10.0, 2.0, -1.0), (4.0, 2.0, 1.5), math.radians(30.0))


def test_resizing_a_corner_keeps_the_opposite_corner_in_place() -> None:
    grown = resized(BOX, (1, 1, 0), BOX.rotation @ np.array([0.7, 0.4, 0.3]))
    assert np.allclose(grown.corners()[2], BOX.corners()[2])  # rear-right is opposite front-left
    assert grown.size[2] == BOX.size[2] and grown.yaw == BOX.yaw
    assert grown.size[:2] == pytest.approx((4.7, 2.4))


def test_resizing_never_turns_a_box_inside_out() -> None:
    shrunk = resized(BOX, (-1, 0, 0), BOX.rotation @ np.array([10.0, 0.0, 0.0]))
    assert shrunk.size[0] == pytest.approx(0.1)
    assert np.allclose(shrunk.corners()[0], BOX.corners()[0])  # the front face stayed


def test_rotation_follows_the_angle_swept_around_the_centre() -> None:
    start = np.array(BOX.center[:2]) + np.array([3.0, 0.0])
    now = np.array(BOX.center[:2]) + np.array([0.0, 2.0])
    turned = rotated(BOX, start, now)
    assert turned.yaw == pytest.approx(math.radians(120.0))
    assert turned.center == BOX.center and turned.size == BOX.size


def test_move_can_stay_horizontal() -> None:
    assert moved(BOX, (1.0, 2.0, 3.0), horizontal=True).center == (11.0, 4.0, -1.0)


def test_snapping_puts_the_bottom_on_a_sloped_ground() -> None:
    heights = 0.1 * (np.arange(40)[None, :] * 1.0) + np.zeros((40, 1))  # rises 0.1 m per metre in x
    slope = GroundModel((0.0, -20.0), 1.0, heights)
    snapped = snapped_to_ground(BOX, slope)
    assert snapped.z_range()[0] == pytest.approx(1.0, abs=1e-6)  # 0.1 * x at the centre x = 10
    assert snapped.center[:2] == BOX.center[:2]
