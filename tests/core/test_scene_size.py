"""A sparse car's hidden length comes from the cars of its class the frame shows in full."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.core.cuboids.box_fit import fit_frame
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.scene_heading import CONFIDENT_POINTS, WEAK_POINTS, Placed
from annotator.core.cuboids.scene_size import MIN_SEEN, scene_prior
from annotator.core.ground import GroundModel
from tests.core.test_scene_heading import seen_faces

CAR = (4.5, 1.85, 1.6)
SHORT = (4.0, 1.85, 1.6)  # the cars of this street


def fits(lengths: list[float], points: int = 500) -> list[Placed]:
    return [
        Placed(Cuboid((10.0 + 6.0 * k, 6.0, 0.8), (length, 1.85, 1.6), 0.0), points)
        for k, length in enumerate(lengths)
    ]


def test_scene_prior_takes_the_median_length_the_frame_s_cars_show_in_full() -> None:
    seen = fits([3.9, 4.0, 4.2])
    assert scene_prior(CAR, 40, seen, [CAR] * 3) == pytest.approx((4.0, 1.85, 1.6))


def test_scene_prior_takes_the_median_width_the_frame_s_cars_show_when_their_lengths_are_hidden() -> None:
    seen = [
        Placed(fit.cuboid.replace(size=(4.5, width, 1.6)), fit.points)
        for fit, width in zip(fits([4.5] * 3), (1.95, 2.0, 2.1))
    ]
    assert scene_prior(CAR, 40, seen, [CAR] * 3) == pytest.approx((4.5, 2.0, 1.6))  # the class's length kept


def test_no_scene_prior_without_enough_lengths_seen_in_full_or_for_a_dense_box() -> None:
    assert MIN_SEEN == 3
    assert scene_prior(CAR, 40, fits([3.9, 4.0]), [CAR] * 2) is None  # too few
    assert scene_prior(CAR, 40, fits([3.9, 4.0, 4.5]), [CAR] * 3) is None  # 4.5: the prior's, not seen
    assert scene_prior(CAR, 40, fits([3.9, 4.0, 4.2], CONFIDENT_POINTS - 1), [CAR] * 3) is None  # sparse
    assert scene_prior(CAR, WEAK_POINTS, fits([3.9, 4.0, 4.2]), [CAR] * 3) is None  # its own points tell
    van = (5.0, 2.0, 2.1)
    assert scene_prior(CAR, 40, fits([3.9, 4.0, 4.2]), [van] * 3) is None  # another class


def street(
    rng: np.random.Generator, size: tuple[float, float, float] = SHORT
) -> tuple[list[Cuboid], Cuboid, np.ndarray]:
    """Three cars of ``size`` parked ahead-left, seen densely (back and flank), and the rough box of
    such a car ahead-right, its back at x = 6 m the only side the sensor sees (40 points); the points."""
    dense = [Cuboid((x, 6.0, 0.8), size, 0.0) for x in (8.0, 13.0, 18.0)]
    back = np.column_stack([np.full(40, 6.0), rng.uniform(-4.85, -3.15, 40), rng.uniform(0.3, 1.5, 40)])
    points = np.vstack([*(seen_faces(car, 600, rng) for car in dense), back])
    rough = Cuboid((6.0 + size[0] / 2.0 + 0.3, -4.0, 0.8), tuple(1.2 * s for s in size), 0.0)
    return dense, rough, points


def test_a_sparse_car_seen_from_behind_takes_the_street_s_length_for_its_hidden_side() -> None:
    dense, rough, points = street(np.random.default_rng(8))
    report = fit_frame([*dense, rough], points, GroundModel.flat(0.0), priors=[CAR] * 4)
    assert [o.cuboid.size[0] for o in report.outcomes[:3]] == pytest.approx([4.0] * 3, abs=0.1)
    assert report.outcomes[3].changed
    assert report.outcomes[3].cuboid.size[0] == pytest.approx(4.0, abs=0.1)  # not the class's 4.5
    assert report.outcomes[3].cuboid.center[0] == pytest.approx(8.0, abs=0.15)  # the back on its points


def test_the_street_s_length_goes_by_the_box_s_own_sweep_not_the_points_its_track_s_sweeps_add() -> None:
    rng = np.random.default_rng(8)
    dense, rough, points = street(rng)
    own = points[-40:][:25]  # this sweep sees 25 returns on the sparse car's back ...
    points = np.vstack([points[:-40], own])
    again = np.column_stack([np.full(WEAK_POINTS, 6.0), rng.uniform(-4.85, -3.15, WEAK_POINTS)])
    again = np.column_stack([again, rng.uniform(0.3, 1.5, WEAK_POINTS)])  # ... its neighbours the same back
    extras = [None, None, None, again]
    report = fit_frame([*dense, rough], points, GroundModel.flat(0.0), priors=[CAR] * 4, extra_points=extras)
    sparse = report.outcomes[3]
    assert sparse.points >= WEAK_POINTS and sparse.own_points == 25
    assert sparse.cuboid.size[0] == pytest.approx(4.0, abs=0.1)  # the street's, not the class's 4.5
