"""Heading from a track's motion: the direction its boxes travel in the world, trusted only when the object
clearly travels, with an uncertainty that shrinks with the distance travelled."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.core.track_motion import MIN_SPREAD, motion_heading


def test_a_car_driving_north_east_heads_north_east() -> None:
    times = np.arange(6.0)
    centres = [(10.0 + 1.5 * t, 5.0 + 1.5 * t, 0.8) for t in times]
    found = motion_heading(times, centres)
    assert found is not None
    assert found.yaw == pytest.approx(math.pi / 4)
    assert found.travel == pytest.approx(1.5 * math.sqrt(2) * 5)
    assert found.spread == pytest.approx(MIN_SPREAD)  # a perfect line: as exact as a heading gets


def test_the_direction_of_travel_tells_front_from_back() -> None:
    times = np.arange(5.0)
    found = motion_heading(times, [(-2.0 * t, 0.0) for t in times])
    assert found is not None and abs(abs(found.yaw) - math.pi) < 1e-9


def test_a_parked_car_or_rough_boxes_of_a_still_object_give_no_heading() -> None:
    rng = np.random.default_rng(0)
    times = np.arange(11.0)
    jitter = rng.normal(0.0, 0.3, (11, 2))  # boxes placed 0.3 m off a still object
    assert motion_heading(times, jitter) is None
    assert motion_heading([3.0], [(0.0, 0.0)]) is None  # one box
    assert motion_heading([2.0, 2.0], [(0.0, 0.0), (5.0, 0.0)]) is None  # no time between them


def test_scattered_boxes_give_a_wider_uncertainty_than_a_clean_track() -> None:
    rng = np.random.default_rng(1)
    times = np.arange(11.0)
    clean = [(1.0 * t, 0.0) for t in times]
    rough = [(1.0 * t + a, b) for t, (a, b) in zip(times, rng.normal(0.0, 1.0, (11, 2)))]
    fast = [(3.0 * t + a, b) for t, (a, b) in zip(times, rng.normal(0.0, 1.0, (11, 2)))]
    spreads = [motion_heading(times, c).spread for c in (clean, rough, fast)]
    assert spreads[0] <= spreads[2] < spreads[1]  # further travel, same scatter: more exact
    assert abs(motion_heading(times, rough).yaw) < 3 * spreads[1]  # the truth lies within its spread
