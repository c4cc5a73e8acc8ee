"""Which way a new box points: same-lane neighbours, then the sensor's lane, else a flagged guess."""

from __future__ import annotations

import math

import pytest

from annotator.core.geometry import Cuboid
from annotator.core.heading import resolve_heading

CAR = (4.4, 1.8, 1.5)


def test_a_box_in_the_oncoming_lane_points_towards_the_sensor_and_is_flagged() -> None:
    van = Cuboid((15.0, 3.6, 0.9), (5.0, 2.0, 2.0), 0.2)  # fitted along +x, but it is oncoming
    heading = resolve_heading(van)
    assert heading.yaw == pytest.approx(0.2 - math.pi)
    assert heading.flagged and "check it" in heading.source


def test_a_box_beside_the_sensor_on_the_right_goes_its_way_and_left_hand_traffic_mirrors() -> None:
    right = Cuboid((10.0, -3.5, 0.8), CAR, math.pi - 0.05)
    assert resolve_heading(right).yaw == pytest.approx(-0.05)
    assert resolve_heading(right, left_hand_traffic=True).yaw == pytest.approx(math.pi - 0.05)


def test_a_box_in_the_sensors_lane_goes_the_sensors_way_unflagged() -> None:
    ahead = Cuboid((12.0, 0.4, 0.8), CAR, math.pi + 0.1)
    heading = resolve_heading(ahead)
    assert heading.yaw == pytest.approx(0.1) and not heading.flagged


def test_a_box_ahead_in_the_same_lane_decides_over_the_road_side() -> None:
    new = Cuboid((15.0, 3.6, 0.8), CAR, 0.05)
    parked = Cuboid((21.0, 3.9, 0.8), CAR, 0.0)  # same lane, pointing along +x (a one-way street)
    across_the_road = Cuboid((15.0, -3.5, 0.8), CAR, math.pi)  # another lane: does not count
    heading = resolve_heading(new, [across_the_road, parked])
    assert heading.yaw == pytest.approx(0.05) and not heading.flagged
    assert "lane" in heading.source


def test_the_choice_is_the_same_on_every_call() -> None:
    van = Cuboid((15.0, 3.6, 0.9), (5.0, 2.0, 2.0), 0.2)
    turned = van.replace(yaw=resolve_heading(van).yaw)
    assert resolve_heading(turned).yaw == pytest.approx(turned.yaw)
