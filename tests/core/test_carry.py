"""Searching the next frame for a carried box's object: found where it moved, left where it stayed."""

from __future__ import annotations

import math

import numpy as np

from annotator.core.carry import search_box
from annotator.core.geometry import Cuboid

VAN = Cuboid((12.0, 4.0, -0.6), (5.0, 2.0, 2.2), math.radians(10.0))


def scan(cuboids: list[Cuboid], seed: int) -> np.ndarray:
    """Ground around the origin and the faces of each box the sensor at the origin sees (an L)."""
    rng = np.random.default_rng(seed)
    angle, radius = rng.uniform(0, 2 * np.pi, 6000), rng.uniform(3, 40, 6000)
    parts = [np.column_stack([radius * np.cos(angle), radius * np.sin(angle), np.full(6000, -1.7)])]
    for cuboid in cuboids:
        local = (rng.random((800, 3)) - 0.5) * np.asarray(cuboid.size)
        local[:400, 0] = -cuboid.size[0] / 2  # the back, facing the sensor
        local[400:, 1] = -cuboid.size[1] / 2  # the right side
        parts.append(cuboid.box_to_world(local))
    return np.concatenate(parts)


def test_a_moved_object_is_found_size_and_heading_kept() -> None:
    moved = VAN.replace(center=(12.0 + 1.7 * math.cos(VAN.yaw), 4.0 + 1.7 * math.sin(VAN.yaw), -0.6))
    found = search_box(VAN, scan([moved], 1), source_points=scan([VAN], 0))
    assert np.hypot(*np.subtract(found.center, moved.center)[:2]) < 0.25
    assert found.size == VAN.size and found.yaw == VAN.yaw


def test_an_object_that_stayed_keeps_its_box() -> None:
    assert search_box(VAN, scan([VAN], 1), source_points=scan([VAN], 0)) == VAN


def test_with_nothing_near_the_box_stays() -> None:
    assert search_box(VAN, scan([], 1), source_points=scan([VAN], 0)) == VAN
    assert search_box(VAN, scan([VAN], 1)) == VAN  # no shape to look for
