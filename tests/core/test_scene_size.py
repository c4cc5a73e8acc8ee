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
