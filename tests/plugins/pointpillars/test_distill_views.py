"""Partial views for distillation: a chosen object keeps only (some of) its near half; labels stay whole."""

from __future__ import annotations

import numpy as np

from plugins.pointpillars.distill_views import partial_views
from plugins.pointpillars.training import TrainSample


def car_at_20_m_with_ground() -> TrainSample:
    rng = np.random.default_rng(0)
    car = np.c_[rng.uniform(18, 22, 1000), rng.uniform(-1, 1, 1000), rng.uniform(-0.5, 0.5, 1000)]
    ground = np.c_[rng.uniform(-30, 30, (500, 2)), np.full(500, -1.0)]
    points = np.c_[np.r_[car, ground], np.zeros(1500)].astype(np.float32)
    box = np.array([[20.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0]])
    return TrainSample(points, box, np.array([0]), np.ones(1, np.float32))


def test_a_chosen_object_keeps_only_points_on_its_near_side():
    sample = car_at_20_m_with_ground()
    seen = partial_views(sample, 1.0, np.random.default_rng(1))
    car = seen.points[seen.points[:, 2] > -0.9]
    assert 0 < len(car) <= 500 and car[:, 0].max() <= 20.0
    assert len(seen.points) - len(car) == 500  # the ground is untouched
    np.testing.assert_array_equal(seen.boxes, sample.boxes)  # the label stays the whole box


def test_no_share_changes_nothing():
    sample = car_at_20_m_with_ground()
    assert partial_views(sample, 0.0, np.random.default_rng(1)) is sample
