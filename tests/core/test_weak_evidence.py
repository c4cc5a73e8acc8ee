"""A vehicle's fit on few points of its own moves the box only part of the way; well-seen fits and
people are placed by the fit alone."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.core.cuboids.box_fit import fit_box
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.partial_fit import fit_partial
from annotator.core.cuboids.rotation import wrap_angle
from annotator.core.cuboids.weak_evidence import FULL_TRUST, blended, trust
from annotator.core.ground import GroundModel
from tests.core.test_partial_fit import CAR_PRIOR, perturbed, visible_faces

FLAT = GroundModel.flat(0.0)


def test_trust_grows_with_the_points_up_to_full_trust() -> None:
    assert trust(0) == 0.0
    assert trust(FULL_TRUST // 2) == pytest.approx(0.5, abs=0.04)
    assert trust(FULL_TRUST) == trust(10 * FULL_TRUST) == 1.0


def test_a_blend_moves_centre_and_heading_part_of_the_way_and_keeps_the_fits_size() -> None:
    box = Cuboid((10.0, 0.0, 0.8), (5.0, 2.0, 1.6), math.pi - 0.05)
    fit = Cuboid((11.0, 1.0, 0.8), (4.5, 1.85, 1.6), -math.pi + 0.05)  # 0.1 rad on, across +-pi
    half = blended(box, fit, FULL_TRUST // 2)
    assert np.allclose(half.center[:2], (10.5, 0.5), atol=0.04)
    assert abs(wrap_angle(half.yaw - math.pi)) < 0.01
    assert half.size == fit.size
    assert blended(box, fit, FULL_TRUST) == fit


def sparse_car() -> tuple[Cuboid, np.ndarray]:
    """A far car seen from behind by 20 returns."""
    truth = Cuboid((40.0, 3.0, 0.8), (4.4, 1.8, 1.6), math.radians(5.0))
    points = visible_faces(truth, spacing=0.3)
    return truth, points[np.linspace(0, len(points) - 1, 20).astype(int)]


def test_a_vehicle_fitted_on_few_points_moves_only_part_of_the_way() -> None:
    truth, points = sparse_car()
    box = perturbed(truth)
    partial = fit_partial(box, points, FLAT, CAR_PRIOR)
    assert partial.usable and partial.points == 20
    outcome = fit_box(box, points, FLAT, prior_size=CAR_PRIOR)
    assert outcome.changed
    share = 20 / FULL_TRUST
    expected = np.asarray(box.center) + share * (np.asarray(partial.cuboid.center) - np.asarray(box.center))
    assert np.allclose(outcome.cuboid.center[:2], expected[:2], atol=1e-6)  # was the fit's own centre
    assert outcome.cuboid.size == partial.cuboid.size


def test_a_well_seen_vehicle_is_placed_by_its_fit_alone() -> None:
    truth = Cuboid((14.0, 2.0, 0.8), (4.4, 1.8, 1.6), math.radians(8.0))
    points = visible_faces(truth)
    box = perturbed(truth)
    outcome = fit_box(box, points, FLAT, prior_size=CAR_PRIOR)
    assert outcome.cuboid == fit_partial(box, points, FLAT, CAR_PRIOR).cuboid
