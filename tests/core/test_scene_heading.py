"""A sparse car takes the heading of a dense car parked in its row when its own points say little."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.core.cuboids.box_fit import fit_frame
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.scene_heading import CONFIDENT_POINTS, WEAK_POINTS, Placed, scene_heading
from annotator.core.ground import GroundModel

CAR = (4.5, 1.85, 1.6)


def seen_faces(car: Cuboid, count: int, rng: np.random.Generator) -> np.ndarray:
    """Points on (5 cm inside) the two faces of ``car`` that face a sensor at the origin (its back and its right flank,
    for a car ahead and to the left), 0.3-1.5 m above the ground: a clear L-shape."""
    half_length, half_width = car.size[0] / 2.0 - 0.05, car.size[1] / 2.0 - 0.05  # just inside the faces
    along = rng.uniform(-half_length, half_length, count // 2)
    across = rng.uniform(-half_width, half_width, count - count // 2)
    local = np.vstack(
        [
            np.column_stack([along, np.full(len(along), -half_width), np.zeros(len(along))]),
            np.column_stack([np.full(len(across), -half_length), across, np.zeros(len(across))]),
        ]
    )
    local[:, 2] = rng.uniform(0.3, 1.5, count) - car.size[2] / 2.0
    return car.box_to_world(local)


def blob(car: Cuboid, count: int, rng: np.random.Generator) -> np.ndarray:
    """A far car's few returns, a round patch on its back: no outline to read a heading from."""
    radius, angle = 0.6 * np.sqrt(rng.uniform(0.0, 1.0, count)), rng.uniform(0.0, 2.0 * math.pi, count)
    local = np.column_stack(
        [
            radius * np.cos(angle) - car.size[0] / 2.0 + 0.6,
            radius * np.sin(angle),
            rng.uniform(0.3, 1.5, count) - car.size[2] / 2.0,
        ]
    )
    return car.box_to_world(local)


def row(rng: np.random.Generator) -> tuple[Cuboid, Cuboid, np.ndarray]:
    """A dense car and a sparse car parked bumper to bumper (heading 0), with their points."""
    dense = Cuboid((12.0, 6.0, 0.8), CAR, 0.0)
    sparse = Cuboid((18.0, 6.0, 0.8), CAR, 0.0)
    return dense, sparse, np.vstack([seen_faces(dense, 600, rng), blob(sparse, 40, rng)])


def test_a_sparse_rough_box_takes_the_heading_of_a_dense_car_in_its_row() -> None:
    rng = np.random.default_rng(6)
    dense, sparse, points = row(rng)
    rough = [
        dense.replace(yaw=-0.2, size=tuple(1.2 * s for s in CAR)),
        sparse.replace(yaw=0.2, size=tuple(1.2 * s for s in CAR)),
    ]
    report = fit_frame(rough, points, GroundModel.flat(0.0), priors=[CAR, CAR])
    assert math.degrees(report.outcomes[0].cuboid.yaw) == pytest.approx(0.0, abs=2.0)  # its own L-shape
    assert report.outcomes[1].changed
    assert math.degrees(report.outcomes[1].cuboid.yaw) == pytest.approx(0.0, abs=2.0)  # its row-mate's


def test_a_box_whose_points_show_its_own_heading_keeps_it_against_the_row() -> None:
    rng = np.random.default_rng(7)
    dense = Cuboid((12.0, 6.0, 0.8), CAR, 0.0)
    turned = Cuboid((18.0, 6.5, 0.8), CAR, math.radians(12.0))  # parked askew: its faces say so
    points = np.vstack([seen_faces(dense, 600, rng), seen_faces(turned, 80, rng)])
    report = fit_frame([dense, turned], points, GroundModel.flat(0.0), priors=[CAR, CAR])
    assert math.degrees(report.outcomes[1].cuboid.yaw) == pytest.approx(12.0, abs=2.0)


def test_scene_heading_is_the_nearest_confident_parallel_vehicle_pointing_the_box_s_way() -> None:
    box = Cuboid((20.0, 0.0, 0.8), CAR, 0.15)
    near = Placed(Cuboid((14.0, 0.0, 0.8), CAR, math.pi + 0.02), CONFIDENT_POINTS)  # the other way round
    farther = Placed(Cuboid((20.0, 12.0, 0.8), CAR, 0.1), 900)
    assert scene_heading(box, 30, [farther, near]) == pytest.approx(wrap(math.pi + 0.02 - math.pi))


def test_no_scene_heading_for_a_dense_box_or_without_a_confident_parallel_neighbour() -> None:
    box = Cuboid((20.0, 0.0, 0.8), CAR, 0.0)
    confident = Placed(Cuboid((14.0, 0.0, 0.8), CAR, 0.05), 500)
    assert scene_heading(box, WEAK_POINTS, [confident]) is None  # its own points tell
    assert scene_heading(box, 30, [Placed(confident.cuboid, CONFIDENT_POINTS - 1)]) is None  # sparse too
    across = Placed(Cuboid((14.0, 0.0, 0.8), CAR, math.radians(80.0)), 500)
    assert scene_heading(box, 30, [across]) is None  # crossing traffic, not a row-mate
    far = Placed(Cuboid((60.0, 0.0, 0.8), CAR, 0.05), 500)
    assert scene_heading(box, 30, [far]) is None
    person = Cuboid((20.0, 0.0, 0.8), (0.7, 0.7, 1.7), 0.0)
    assert scene_heading(person, 30, [confident]) is None  # no shape to borrow a heading for


def wrap(angle: float) -> float:
    return math.atan2(math.sin(angle), math.cos(angle))
