"""Which way a new box points: same-lane neighbours, then the sensor's lane, else a flagged guess."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.heading import resolve_heading

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


def test_click_fit_headings_on_a_real_sweep_are_right_or_flagged(fit_real) -> None:
    from annotator.core.cuboids.creation import click_fit, local_window
    from annotator.core.cuboids.rotation import wrap_angle

    scene = next(fit_real.argoverse_scenes(range(40, 41)))  # held-out sweep
    outcomes = []
    for i, o in enumerate(scene.objects):
        truth = o.cuboid
        inside = scene.points[truth.points_inside(scene.points)]
        if o.class_name != "vehicle" or len(inside) < 100:
            continue
        seed_xyz = inside[np.argmin(np.sum((inside - np.asarray(truth.center)) ** 2, axis=1))]
        near = scene.points[local_window(seed_xyz[:2]).points_inside(scene.points)]
        box = click_fit(
            near, int(np.argmin(np.sum((near - seed_xyz) ** 2, axis=1))), fit_real.CLASS_PRIORS["vehicle"]
        )
        if box is None:
            continue
        heading = resolve_heading(box, [x.cuboid for j, x in enumerate(scene.objects) if j != i])
        outcomes.append((abs(wrap_angle(heading.yaw - truth.yaw)) < math.pi / 2, heading.flagged))
    assert len(outcomes) >= 10
    assert all(right or flagged for right, flagged in outcomes)  # never silently the wrong way
    assert sum(right for right, _ in outcomes) >= 0.6 * len(outcomes)
