"""An object's own points told from an object beside it: runs split at empty stretches along an axis,
the runs holding the box's points kept, as many as fit in the class's span."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.core.cuboids.box_fit import fit_box
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.cuboids.partial_fit import fit_partial
from annotator.core.cuboids.separation import kept_by_gaps, runs
from annotator.core.ground import GroundModel
from tests.core.test_partial_fit import CAR_PRIOR, perturbed, visible_faces

FLAT = GroundModel.flat(0.0)


def test_runs_split_where_neighbours_lie_a_gap_apart() -> None:
    values = np.array([0.0, 0.1, 0.2, 0.9, 1.0, 0.15])
    assert [sorted(r.tolist()) for r in runs(values, gap=0.4)] == [[0, 1, 2, 5], [3, 4]]


def test_points_within_the_span_are_all_kept_even_with_a_gap() -> None:
    values = np.array([0.0, 0.2, 1.0, 1.2])
    assert kept_by_gaps(values, 0.0, limit=2.0).all()


def test_the_run_nearest_the_box_centre_is_kept_and_grown_while_it_fits() -> None:
    values = np.array([0.0, 0.3, 0.5, 1.2, 1.4, 2.4, 2.5, 2.6, 2.7, 2.8])  # [0, 0.5], [1.2, 1.4], [2.4, 2.8]
    keep = kept_by_gaps(values, centre=0.4, limit=1.5)  # the larger run beside it is not the object
    assert keep.tolist() == [True] * 5 + [False] * 5


def corner_car_and_object_beside() -> tuple[Cuboid, np.ndarray]:
    """A car seen at a corner, and an unlabelled object (a block of returns, more than the car's) 0.45 m
    off its near flank, close enough for their clusters to join."""
    truth = Cuboid((14.0, 3.0, 0.8), (4.4, 1.8, 1.6), math.radians(8.0))
    car = visible_faces(truth)
    local = np.array(
        [
            [x, y, z]
            for x in np.arange(-1.5, 1.5, 0.1)
            for y in (-1.35, -1.55, -1.75)
            for z in np.arange(-0.5, 0.6, 0.2)
        ]
    )
    return truth, np.vstack([car, truth.box_to_world(local)])


def test_an_object_beside_a_car_that_joins_its_cluster_no_longer_widens_its_fit() -> None:
    truth, points = corner_car_and_object_beside()
    fit = fit_partial(perturbed(truth), points, FLAT, CAR_PRIOR)
    assert fit.usable
    assert fit.cuboid.size[1] == pytest.approx(CAR_PRIOR[1], abs=0.1)  # was 2.6 m wide, taking it in
    assert bev_iou(fit.cuboid, truth) > 0.8


def test_a_true_box_with_an_object_beside_it_stays_as_it_is() -> None:
    truth, points = corner_car_and_object_beside()
    outcome = fit_box(truth, points, FLAT, prior_size=CAR_PRIOR)
    assert bev_iou(outcome.cuboid, truth) > 0.95
