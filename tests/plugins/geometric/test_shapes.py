"""The hand-set classifier and box completion on typical observations."""

from __future__ import annotations

import math

import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.ml.evaluation import ClassCounts, match_class
from plugins.geometric.shapes import (
    CLASS_NAMES,
    LABEL_MARGIN,
    PRIORS,
    Observation,
    class_likelihoods,
    complete_box,
)


def best(obs: Observation) -> tuple[str, float]:
    """The most probable class and its likelihood."""
    scores = class_likelihoods(obs)
    return CLASS_NAMES[scores.best], float(scores.likelihood[scores.best])


@pytest.mark.parametrize(
    ("obs", "expected"),
    [
        (Observation(4.3, 1.7, 0, 1.5, False, False, 2.0), "Car"),  # an L-shaped car
        (Observation(1.7, 0.3, 0, 1.45, True, False, 1.4), "Car"),  # the back of a car
        (Observation(5.3, 2.0, 0, 2.2, False, False, 4.0), "Van"),
        (Observation(9.0, 2.5, 0, 3.3, False, False, 7.0), "Truck"),
        (Observation(0.6, 0.5, 0, 1.75, False, False, 0.45), "Pedestrian"),
        (Observation(1.75, 0.5, 0, 1.7, False, False, 0.6), "Cyclist"),
    ],
)
def test_typical_objects_get_their_class(obs, expected):
    name, likelihood = best(obs)
    assert name == expected and likelihood > 0.5


@pytest.mark.parametrize(
    "obs",
    [
        Observation(18.0, 0.3, 0, 3.0, True, True, 18.0),  # a wall
        Observation(0.2, 0.2, 0, 3.5, True, True, 0.2),  # a pole
        Observation(12.0, 0.3, 0, 2.6, True, True, 12.0, depth_limit=0.6),  # a wall seen at an angle
        Observation(6.0, 5.0, 0, 1.2, False, False, 5.0),  # a hedge
    ],
)
def test_clutter_is_unlikely(obs):
    assert best(obs)[1] < 0.2


def test_completion_grows_away_from_the_sensor_and_turns_end_views():
    car = next(p for p in PRIORS if p.name == "Car")
    rear = Cuboid((20.0, 0.0, -1.0), (0.3, 1.9, 1.5), 0.0)  # the back of a car ahead, seen as a strip
    obs = Observation(1.9, 0.3, 1, 1.5, True, False, 1.4)
    done = complete_box(rear, car, end_view=True, obs=obs)
    assert done.size[:2] == pytest.approx(
        (car.typical[0], 1.9)
    )  # the seen width, wider than typical, is kept
    assert done.size[2] == pytest.approx(1.5 + LABEL_MARGIN)  # the roof a little above the last beam...
    assert done.center[2] - done.size[2] / 2 == pytest.approx(-1.75)  # ...from the ground up
    assert done.center[0] == pytest.approx(20.0 - 0.15 + car.typical[0] / 2)  # the seen back stays put
    assert abs(done.yaw) < 1e-9
    side = Cuboid((0.0, 6.0, -1.0), (3.0, 0.3, 1.5), math.pi)  # a side seen beside the sensor
    grown = complete_box(side, car, end_view=False, obs=Observation(3.0, 0.3, 0, 1.5, True, False, 2.0))
    assert grown.center[0] == pytest.approx(0.0) and grown.center[1] > 6.0 and abs(grown.yaw) < 1e-9


def test_completed_height_follows_the_seen_top_unless_the_field_of_view_cut_it():
    car = next(p for p in PRIORS if p.name == "Car")
    rear = Cuboid((20.0, 0.0, -1.0), (0.3, 1.9, 1.4), 0.0)
    seen = Observation(1.9, 0.3, 1, 1.4, True, False, 1.4, height_slack=0.2)
    low = complete_box(rear, car, end_view=True, obs=seen)  # a low saloon stays low...
    assert low.size[2] == pytest.approx(1.4 + 0.1 + LABEL_MARGIN)
    tall = Cuboid((20.0, 0.0, -0.8), (0.3, 1.9, 1.93), 0.0)
    suv = complete_box(tall, car, end_view=True, obs=Observation(1.9, 0.3, 1, 1.93, True, False, 1.4))
    assert suv.size[2] == pytest.approx(car.high[2])  # ...a tall one tall, within the class's range
    cut = Observation(1.9, 0.3, 1, 1.0, True, True, 1.4)
    short = Cuboid((20.0, 0.0, -1.25), (0.3, 1.9, 1.0), 0.0)
    assert complete_box(short, car, end_view=True, obs=cut).size[2] == pytest.approx(car.typical[2])


def test_matching_counts():
    truth = [Cuboid((0, 0, 0), (4, 2, 1.5)), Cuboid((10, 0, 0), (4, 2, 1.5))]
    dets = [
        Cuboid((0.2, 0, 0), (4, 2, 1.5)),
        Cuboid((0.1, 0, 0), (4, 2, 1.5)),
        Cuboid((30, 0, 0), (4, 2, 1.5)),
    ]
    counts = match_class(truth, dets, [0.9, 0.8, 0.7])
    assert (counts.found, counts.correct, counts.recall, counts.precision) == (1, 1, 0.5, 1 / 3)
    total = ClassCounts()
    total.add(counts)
    assert math.isnan(ClassCounts().recall) and total.truths == 2


def test_a_lorry_side_shows_a_gap_under_its_body_a_wall_does_not():
    side = Observation(9.0, 0.3, 0, 2.6, True, True, 9.0, low_cover=0.4)
    assert best(side)[0] == "Truck"
    wall = Observation(9.0, 0.3, 0, 2.6, True, True, 9.0, low_cover=1.0)
    assert best(wall)[1] < 0.2
