"""An object's points from its track's neighbouring sweeps, brought into the current sweep, sharpen the fit
of a sparse far vehicle; a true box stays; a moving track's points follow its motion."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from annotator.core.cuboids.box_fit import fit_frame
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.cuboids.rotation import wrap_angle
from annotator.core.cuboids.track_sweeps import (
    SPARSE_BELOW,
    TrackView,
    track_points,
    track_velocity,
    view_points,
    wants_sweeps,
)
from annotator.core.ground import GroundModel
from annotator.core.pose import Pose
from annotator.core.world import from_world
from tests.core.test_partial_fit import CAR_PRIOR, perturbed, visible_faces

FLAT = GroundModel.flat(0.0)
#: A parked car 40 m ahead and 6 m to the left, turned 10 degrees: from the origin only its back shows.
PARKED = Cuboid((40.0, 6.0, 0.8), (4.5, 1.85, 1.6), math.radians(10.0))


def ego(x: float, y: float = 0.0, yaw: float = 0.0) -> Pose:
    return Pose((math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)), (x, y, 0.0))


@dataclass
class Sweep:
    """One sweep: the ego pose, the car's box in its sensor frame and the points (the car's visible
    faces, sparse and noisy, on a flat road)."""

    pose: Pose
    box: Cuboid
    points: np.ndarray


def scan(
    pose: Pose, world_box: Cuboid = PARKED, spacing: float = 0.7, seed: int = 0, road: int = 4000
) -> Sweep:
    """What a sensor at ``pose`` sees of ``world_box``: its faces turned to the sensor, and the road."""
    rng = np.random.default_rng(seed)
    box = from_world(world_box, pose)
    faces = visible_faces(box, spacing=spacing)
    faces = faces + rng.normal(0.0, 0.03, faces.shape)
    ground = np.column_stack([rng.uniform(-5, 60, (road, 2)), rng.normal(0.0, 0.02, road)])
    ground[:, 1] = rng.uniform(-20, 20, road)
    return Sweep(pose, box, np.vstack([faces, ground]))


def parked_car_sweeps() -> tuple[Sweep, list[tuple[float, Sweep]]]:
    """The current sweep (ego at the origin) and three others (time, sweep) from 12 m behind and 12 and
    24 m further along the road, which see the parked car's flank too."""
    others = [(x, scan(ego(x), seed=k + 1)) for k, x in enumerate((-12.0, 12.0, 24.0))]
    return scan(ego(0.0), road=1500), others  # 21 returns on its back, a rough box holds < 30 points


def test_a_sparse_parked_car_takes_its_heading_from_the_sweeps_that_saw_its_flank() -> None:
    current, others = parked_car_sweeps()
    assert current.box.points_inside(current.points).sum() < SPARSE_BELOW
    views = [TrackView(view_points(s.points, s.box, []), s.pose, t) for t, s in others]
    extra = track_points(views, current.pose, 0.0)
    start = perturbed(current.box)  # 0.4 m along, 0.3 m across, 20 % too large, turned 0.2 rad
    alone = fit_frame([start], current.points, FLAT, priors=[CAR_PRIOR]).outcomes[0]
    assert bev_iou(alone.cuboid, current.box) < 0.7  # its back alone cannot tell the turn
    merged = fit_frame([start], current.points, FLAT, priors=[CAR_PRIOR], extra_points=[extra]).outcomes[0]
    assert abs(wrap_angle(merged.cuboid.yaw - current.box.yaw)) < math.radians(3.0)
    assert bev_iou(merged.cuboid, current.box) > 0.85


def test_the_true_box_of_a_sparse_parked_car_stays_with_the_other_sweeps_points() -> None:
    current, others = parked_car_sweeps()
    views = [TrackView(view_points(s.points, s.box, []), s.pose, t) for t, s in others]
    extra = track_points(views, current.pose, 0.0)
    outcome = fit_frame([current.box], current.points, FLAT, priors=[CAR_PRIOR], extra_points=[extra])
    assert not outcome.outcomes[0].changed


def test_the_other_sweeps_points_land_on_the_parked_car_through_the_poses() -> None:
    current, others = parked_car_sweeps()
    views = [TrackView(view_points(s.points, s.box, []), s.pose, t) for t, s in others]
    extra = track_points(views, current.pose, 0.0, voxel=0.0)
    cars = extra[extra[:, 2] > 0.2]  # the road around the car left aside
    assert len(cars) > 50
    assert np.all(current.box.points_inside(cars, 0.15))


def test_a_moving_tracks_points_are_moved_back_along_its_motion() -> None:
    """A car driving 10 m/s along the world's x axis, seen 0.1 s before and after."""
    at = {t: PARKED.replace(center=(40.0 + 10.0 * t, 6.0, 0.8), yaw=0.0) for t in (-0.1, 0.0, 0.1)}
    velocity = track_velocity(list(at), [b.center for b in at.values()])
    assert velocity == pytest.approx((10.0, 0.0, 0.0))
    views = []
    for t in (-0.1, 0.1):
        sweep = scan(ego(5.0 * t), at[t])
        views.append(TrackView(view_points(sweep.points, sweep.box, []), sweep.pose, t))
    extra = track_points(views, ego(0.0), 0.0, velocity, voxel=0.0)
    cars = extra[extra[:, 2] > 0.2]
    assert np.all(at[0.0].points_inside(cars, 0.1))
    unmoved = track_points(views, ego(0.0), 0.0, voxel=0.0)
    assert not np.all(at[0.0].points_inside(unmoved[unmoved[:, 2] > 0.2], 0.1))  # they would smear


def test_rough_boxes_of_a_parked_track_give_no_velocity() -> None:
    rng = np.random.default_rng(1)
    centres = [(40.0 + rng.choice([-0.4, 0.4]), 6.0 + rng.choice([-0.3, 0.3]), 0.8) for _ in range(11)]
    assert np.all(track_velocity(list(range(11)), centres) == 0.0)


def test_points_inside_the_other_sweeps_other_boxes_are_left_out() -> None:
    box = Cuboid((10.0, 0.0, 0.8), (4.5, 1.85, 1.6))
    beside = Cuboid((10.0, 2.3, 0.8), (4.5, 1.85, 1.6))
    points = np.array([[10.0, 0.0, 0.8], [10.0, 1.3, 0.8], [10.0, 2.3, 0.8], [30.0, 0.0, 0.8]])
    kept = view_points(points, box, [beside])
    assert kept.tolist() == [[10.0, 0.0, 0.8], [10.0, 1.3, 0.8]]  # within the margin, not the neighbour's


def test_only_sparse_vehicles_take_other_sweeps() -> None:
    assert wants_sweeps(20, CAR_PRIOR)
    assert not wants_sweeps(SPARSE_BELOW, CAR_PRIOR)  # its own sweep shows its outline ...
    assert not wants_sweeps(40, CAR_PRIOR)  # ... from 30 points on (a scene's priors do better there)
    assert not wants_sweeps(20, (0.7, 0.7, 1.7))  # a pedestrian has no outline to sharpen
    assert not wants_sweeps(20, (8.0, 2.5, 3.2))  # nor do a far truck's few points over 8 m


def test_other_sweeps_do_not_make_a_fit_of_a_box_its_own_sweep_cannot_fit() -> None:
    current, others = parked_car_sweeps()
    views = [TrackView(view_points(s.points, s.box, []), s.pose, t) for t, s in others]
    extra = track_points(views, current.pose, 0.0)
    road = current.points[current.points[:, 2] < 0.2]  # this sweep missed the car
    start = perturbed(current.box)
    outcome = fit_frame([start], road, FLAT, priors=[CAR_PRIOR], extra_points=[extra]).outcomes[0]
    assert outcome.reason and not outcome.changed
