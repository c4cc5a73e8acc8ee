"""Fitting boxes to objects seen from one or two sides: sizes from seen sides or the prior, anchored on
the visible faces; good boxes kept; weak fits change nothing; the same box always turns the same way."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.core.cuboids.box_fit import already_fits, fit_box, fit_frame
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.cuboids.partial_fit import (
    KEEP_MARGIN,
    body_points,
    checked_ground,
    clearly_better,
    fit_partial,
    lshape_angle,
    lshape_heading,
    size_class,
)
from annotator.core.cuboids.rotation import wrap_angle
from annotator.core.ground import GroundModel
from tests.core.test_scene_heading import blob

FLAT = GroundModel.flat(0.0)
CAR_PRIOR = (4.5, 1.85, 1.6)


def visible_faces(box: Cuboid, sensor=(0.0, 0.0), spacing: float = 0.08) -> np.ndarray:
    """Points on the faces of ``box`` that face the sensor (what a LiDAR sees), 0.3 m to 1.4 m high."""
    half = np.asarray(box.size) / 2.0
    eye = box.world_to_box(np.array([[sensor[0], sensor[1], box.center[2]]]))[0]
    heights = np.arange(-half[2] + 0.3, half[2] - 0.1, 0.25)
    local = []
    for axis in (0, 1):
        if abs(eye[axis]) <= half[axis]:
            continue
        face = math.copysign(half[axis], eye[axis])
        other = 1 - axis
        for t in np.arange(-half[other], half[other] + 1e-9, spacing):
            for z in heights:
                p = np.zeros(3)
                p[axis], p[other], p[2] = face, t, z
                local.append(p)
    return box.box_to_world(np.array(local))


def perturbed(box: Cuboid) -> Cuboid:
    """0.4 m along, 0.3 m across, 20 % too large, turned 0.2 rad."""
    shift = box.rotation @ np.array([0.4, -0.3, 0.0])
    return box.replace(
        center=tuple(np.asarray(box.center) + shift), size=tuple(1.2 * s for s in box.size), yaw=box.yaw + 0.2
    )


def test_a_car_seen_from_behind_keeps_its_hidden_length_away_from_the_sensor() -> None:
    truth = Cuboid((14.0, 2.0, 0.8), (4.4, 1.8, 1.6), math.radians(8.0))
    points = visible_faces(truth)
    fit = fit_partial(perturbed(truth), points, FLAT, CAR_PRIOR)
    assert fit.usable and fit.confidence > 0.5
    assert bev_iou(fit.cuboid, truth) > 0.85
    assert abs(wrap_angle(fit.cuboid.yaw - truth.yaw)) < math.radians(2.0)
    # the back (seen) stays on the points, the length comes from the prior and runs away from the sensor
    back = truth.box_to_world(np.array([[-2.2, 0.0, 0.0]]))[0]
    fitted_back = fit.cuboid.box_to_world(np.array([[-fit.cuboid.size[0] / 2, 0.0, 0.0]]))[0]
    assert np.hypot(*(back[:2] - fitted_back[:2])) < 0.1
    assert fit.cuboid.size[0] == pytest.approx(CAR_PRIOR[0], abs=0.05)
    assert fit.cuboid.z_range()[0] == pytest.approx(0.0, abs=0.01)  # from the ground


def test_a_car_whose_slanted_back_shows_less_than_its_width_keeps_the_prior_width() -> None:
    truth = Cuboid((12.0, 6.0, 0.8), (4.4, 1.85, 1.6), math.radians(20.0))
    points = visible_faces(truth, spacing=0.1)
    # the rounded flanks return nothing: the back's points span 1.6 m of the 1.85 m width
    local = truth.world_to_box(points)
    points = points[(local[:, 1] > -0.8) & (local[:, 1] < 0.8) | (np.abs(local[:, 1]) > 0.9)]
    fit = fit_partial(perturbed(truth), points, FLAT, CAR_PRIOR)
    assert fit.usable
    assert fit.cuboid.size[1] == pytest.approx(CAR_PRIOR[1], abs=0.02)
    assert bev_iou(fit.cuboid, truth) > 0.85


def test_a_side_seen_in_full_takes_its_size_from_the_points() -> None:
    truth = Cuboid((3.0, 9.0, 0.8), (4.0, 1.8, 1.6), math.radians(2.0))  # broadside, on the left
    fit = fit_partial(perturbed(truth), visible_faces(truth), FLAT, CAR_PRIOR)
    assert fit.cuboid.size[0] == pytest.approx(4.0, abs=0.1)  # the seen length, not the prior's 4.5
    assert bev_iou(fit.cuboid, truth) > 0.85


def test_a_pedestrian_keeps_a_pedestrians_width() -> None:
    rng = np.random.default_rng(1)
    person = Cuboid((8.0, -3.0, 0.85), (0.6, 0.6, 1.7), 0.5)
    points = np.column_stack(  # the front of a person: 0.1 m deep, 0.45 m wide, 0.3 m to 1.7 m high
        [rng.uniform(7.7, 7.8, 60), rng.uniform(-3.22, -2.78, 60), rng.uniform(0.3, 1.7, 60)]
    )
    fit = fit_partial(person.replace(center=(8.15, -2.9, 0.85)), points, FLAT, (0.7, 0.7, 1.7))
    assert fit.usable
    assert min(fit.cuboid.size[:2]) >= 0.7 - 1e-6
    assert fit.cuboid.yaw == pytest.approx(0.5)  # no shape to turn by: the heading stays


def test_a_true_box_is_left_as_it_is() -> None:
    truth = Cuboid((14.0, 2.0, 0.8), (4.4, 1.8, 1.6), math.radians(8.0))
    outcome = fit_box(truth, visible_faces(truth), FLAT, prior_size=CAR_PRIOR)
    assert not outcome.changed and not outcome.reason and outcome.cuboid == truth


def test_a_true_box_with_points_just_beyond_its_faces_is_left_as_it_is() -> None:
    """Range noise and mirrors put some points up to `EDGE_BAND` outside a well-drawn box: still good."""
    truth = Cuboid((14.0, 2.0, 0.8), (4.4, 1.8, 1.6), math.radians(8.0))
    points = visible_faces(truth)
    noisy = points[::8] + truth.rotation @ np.array([-0.15, 0.0, 0.0])  # beyond the back face
    outcome = fit_box(truth, np.vstack([points, noisy]), FLAT, prior_size=CAR_PRIOR)
    assert not outcome.changed and not outcome.reason and outcome.cuboid == truth


def test_a_drawn_box_keeps_its_heading_unless_the_fit_explains_the_points_clearly_better() -> None:
    truth = Cuboid((14.0, 2.0, 0.8), (4.4, 1.8, 1.6), math.radians(8.0))
    points = visible_faces(truth)
    turned = truth.replace(yaw=truth.yaw + math.radians(8.0))
    assert clearly_better(points[:, :2], truth.yaw, turned.yaw, KEEP_MARGIN)
    assert not clearly_better(points[:, :2], turned.yaw, truth.yaw, KEEP_MARGIN)
    # a fit turned 8 degrees that does not fit the points better leaves the drawn box as it is ...
    assert already_fits(truth, turned, points)
    # ... while a box 8 degrees off, whose fit does explain the points better, is not kept
    assert not already_fits(turned, truth, points)


def test_a_few_stray_returns_beside_a_car_do_not_turn_its_heading() -> None:
    truth = Cuboid((12.0, 6.0, 0.8), (4.4, 1.8, 1.6), math.radians(20.0))
    points = visible_faces(truth, spacing=0.1)
    # four returns of a pole 0.4 m beside the car's seen side, near its back (about 1 % of the points):
    # the rectangle's edges come from the trimmed extents, so they do not pull the L-shape round
    jitter = np.random.default_rng(1).normal(0.0, 0.03, (4, 3))
    pole = truth.box_to_world(np.array([[-1.4, -1.3, 0.0]] * 4) + jitter)
    xy = np.vstack([points, pole])[:, :2]
    found = lshape_heading(xy, truth.yaw + 0.2, math.radians(15.0))
    assert abs(wrap_angle(found - truth.yaw)) < math.radians(1.0)


def test_too_few_points_or_a_spread_out_cluster_changes_nothing_and_says_why() -> None:
    box = Cuboid((14.0, 2.0, 0.8), (4.4, 1.8, 1.6))
    few = fit_box(box, visible_faces(box)[:6], FLAT, prior_size=CAR_PRIOR)
    assert few.cuboid == box and not few.changed and "6 object points" in few.reason
    wall = np.array([[14.0 + x, 2.5, z] for x in np.arange(-6.0, 6.0, 0.1) for z in (0.5, 1.0)])
    merged = fit_box(box, wall, FLAT, prior_size=CAR_PRIOR)
    assert merged.cuboid == box and not merged.changed and "run on beyond the box" in merged.reason


def test_auto_rotate_gives_the_same_heading_on_every_press() -> None:
    truth = Cuboid((12.0, -4.0, 0.8), (4.4, 1.8, 1.6), math.radians(-20.0))
    points = visible_faces(truth)
    box = truth.replace(yaw=truth.yaw + 0.15)
    first = fit_box(box, points, FLAT, rotate=True, shrink=False).cuboid
    second = fit_box(first, points, FLAT, rotate=True, shrink=False)
    assert abs(wrap_angle(first.yaw - truth.yaw)) < math.radians(2.0)
    assert not second.changed and second.cuboid == first
    assert lshape_angle(points[:, :2]) == lshape_angle(points[::-1, :2])  # order does not matter


def test_real_argoverse_cars_come_back_closer_and_true_boxes_stay(fit_real) -> None:
    scene = next(fit_real.argoverse_scenes(range(40, 41)))  # a held-out sweep
    rng = np.random.default_rng(7)
    truths = [o.cuboid for o in scene.objects]
    counts = [int(t.points_inside(scene.points).sum()) for t in truths]
    cars = [i for i, o in enumerate(scene.objects) if o.class_name == "vehicle" and counts[i] >= 100]
    assert len(cars) >= 5
    priors = [fit_real.CLASS_PRIORS.get(o.class_name) for o in scene.objects]
    starts = [fit_real.perturbed(t, rng) if i in cars else t for i, t in enumerate(truths)]
    fitted = fit_frame(starts, scene.points, priors=priors).outcomes
    before = np.mean([bev_iou(truths[i], starts[i]) for i in cars])
    after = np.mean([bev_iou(truths[i], fitted[i].cuboid) for i in cars])
    assert after > before + 0.15 and after > 0.75
    kept = fit_frame(truths, scene.points, priors=priors).outcomes
    assert np.mean([bev_iou(truths[i], kept[i].cuboid) for i in cars]) > 0.93


def test_a_real_car_whose_cluster_takes_in_its_surroundings_is_gathered_again_and_fitted(fit_real) -> None:
    scene = next(fit_real.argoverse_scenes(range(15, 16)))  # a development sweep
    truths = [o.cuboid for o in scene.objects]
    counts = [int(t.points_inside(scene.points).sum()) for t in truths]
    cars = [i for i, o in enumerate(scene.objects) if o.class_name == "vehicle" and counts[i] >= 100]
    priors = [fit_real.CLASS_PRIORS.get(o.class_name) for o in scene.objects]
    rng = np.random.default_rng(7)
    starts = [fit_real.perturbed(t, rng) if i in cars else t for i, t in enumerate(truths)]
    fitted = fit_frame(starts, scene.points, priors=priors).outcomes
    # a near car (600 points) whose 0.3 m clusters take in points beside it (a pole, a hedge) spreads
    # 2.8 m across: its points are gathered again in 0.15 m clusters and fitted instead of being refused
    assert not [fitted[i].reason for i in cars if "spread" in fitted[i].reason]
    dense = [i for i in cars if counts[i] >= 500]
    assert np.mean([bev_iou(truths[i], fitted[i].cuboid) for i in dense]) > 0.8


def test_a_track_motion_heading_turns_a_box_drawn_backwards_and_the_l_shape_refines_it() -> None:
    truth = Cuboid((16.0, -3.0, 0.8), (4.4, 1.8, 1.6), math.radians(30.0))
    points = visible_faces(truth)  # an L: the back and the right side
    backwards = truth.replace(yaw=truth.yaw + math.pi + math.radians(6.0))
    alone = fit_partial(backwards, points, FLAT, CAR_PRIOR)
    assert abs(wrap_angle(alone.cuboid.yaw - truth.yaw - math.pi)) < math.radians(1.0)  # still backwards
    motion = truth.yaw + math.radians(4.0)  # the track's travel, 4 degrees off, within its uncertainty
    fit = fit_partial(backwards, points, FLAT, CAR_PRIOR, heading_hint=motion, hint_window=math.radians(9.0))
    assert abs(wrap_angle(fit.cuboid.yaw - truth.yaw)) < math.radians(1.0)  # forwards, on the L-shape
    assert bev_iou(fit.cuboid, truth) > 0.9
    narrow = fit_partial(
        backwards, points, FLAT, CAR_PRIOR, heading_hint=motion, hint_window=math.radians(2.0)
    )
    assert abs(wrap_angle(narrow.cuboid.yaw - motion)) <= math.radians(
        2.05
    )  # an exact motion bounds the turn


def test_a_rough_box_turned_away_from_its_track_s_motion_is_fitted_not_kept() -> None:
    truth = Cuboid((30.0, 0.0, 0.8), (4.2, 1.9, 1.6), 0.0)  # a car driving ahead, far: a patch on its back
    back = blob(truth, 40, np.random.default_rng(2))  # (no outline: the L-shape cannot tell its heading)
    rough = truth.replace(yaw=math.radians(9.0))  # holds every point, turned 9 degrees
    outcome = fit_box(rough, back, FLAT, prior_size=CAR_PRIOR, heading_hint=truth.yaw)
    assert outcome.changed and abs(wrap_angle(outcome.cuboid.yaw - truth.yaw)) < math.radians(1.0)
    kept = fit_box(truth, back, FLAT, prior_size=CAR_PRIOR, heading_hint=truth.yaw)
    assert not kept.changed  # the true box, along its motion, stays
    truck = Cuboid((60.0, 0.0, 1.6), (8.0, 2.5, 3.2), 0.0)  # a far truck's motion is not sure enough
    turned = truck.replace(yaw=math.radians(9.0))
    alone = fit_box(turned, blob(truck, 40, np.random.default_rng(2)), FLAT, heading_hint=truck.yaw)
    assert not alone.changed


SIZE_CLASSES = [(4.5, 1.85, 1.6), (5.0, 2.0, 2.1), (8.0, 2.5, 3.2), (11.0, 2.6, 3.2), (0.7, 0.7, 1.7)]


def test_the_seen_width_chooses_the_size_class_only_when_the_points_outgrow_the_class() -> None:
    car = np.array(CAR_PRIOR)
    assert size_class(car, 2.1, SIZE_CLASSES) == pytest.approx(car)  # within the class (mirrors, noise)
    assert size_class(car, 2.35, SIZE_CLASSES) == pytest.approx((5.0, 2.0, 2.1))  # a van
    assert size_class(car, 2.7, SIZE_CLASSES) == pytest.approx((8.0, 2.5, 3.2))  # a truck
    assert size_class(car, 3.5, SIZE_CLASSES) == pytest.approx(car)  # no class holds it
    person = np.array([0.7, 0.7, 1.7])
    assert size_class(person, 1.0, SIZE_CLASSES) == pytest.approx(person)  # never a vehicle


def test_a_van_labelled_car_seen_from_behind_takes_the_van_length_away_from_the_sensor() -> None:
    van = Cuboid((15.0, 0.5, 1.05), (5.1, 2.35, 2.1), math.radians(3.0))
    points = visible_faces(van)  # its back only: the whole width, no length
    as_car = fit_partial(perturbed(van), points, FLAT, CAR_PRIOR)
    fit = fit_partial(perturbed(van), points, FLAT, CAR_PRIOR, size_classes=SIZE_CLASSES)
    assert as_car.cuboid.size[0] == pytest.approx(4.5, abs=0.05)
    assert fit.cuboid.size[0] == pytest.approx(5.0, abs=0.05)
    assert bev_iou(fit.cuboid, van) > bev_iou(as_car.cuboid, van) + 0.05
    assert fit.cuboid.size[2] == pytest.approx(2.1 - 0.3, abs=0.15)  # its top is seen: from the points


def test_a_far_truck_whose_top_no_beam_reaches_takes_the_prior_height() -> None:
    truck = Cuboid((120.0, 4.0, 1.6), (7.0, 2.5, 3.2), 0.0)
    low = visible_faces(truck)
    low = low[low[:, 2] < 1.2]  # the beams reach only the lower part at this range
    fit = fit_partial(perturbed(truck), low, FLAT, (8.0, 2.5, 3.2))
    assert fit.usable
    assert fit.cuboid.z_range() == pytest.approx((0.0, 3.2), abs=0.01)  # not a 1.2 m truck
    car = Cuboid((14.0, 2.0, 0.75), (4.4, 1.8, 1.5), 0.0)
    seen = fit_partial(perturbed(car), visible_faces(car), FLAT, CAR_PRIOR)
    assert seen.cuboid.size[2] == pytest.approx(1.3, abs=0.01)  # its roof seen: the points' top


def road_around(box: Cuboid, reach: float = 2.0, spacing: float = 0.2) -> np.ndarray:
    """Road points (z = 0) within ``reach`` of the box's footprint, none under it."""
    xs = np.arange(-box.size[0] / 2 - reach, box.size[0] / 2 + reach, spacing)
    ys = np.arange(-box.size[1] / 2 - reach, box.size[1] / 2 + reach, spacing)
    local = np.array([(x, y, 0.0) for x in xs for y in ys])
    world = box.box_to_world(local)
    world[:, 2] = 0.0
    return world[~box.replace(size=(box.size[0], box.size[1], 10.0)).points_inside(world)]


def test_a_ground_model_lifted_by_a_wall_beside_a_car_does_not_lift_its_box() -> None:
    truth = Cuboid((14.0, 2.0, 0.8), (4.4, 1.8, 1.6), math.radians(8.0))
    points = np.vstack([visible_faces(truth), road_around(truth)])
    # a wall beside the car lifts the interpolated ground: 0 m up to y = 0, 3 m from y = 2 (the car's middle)
    heights = np.array([[0.0] * 12] * 3 + [[3.0] * 12] * 3)
    lifted = GroundModel((4.0, -4.0), 2.0, heights)
    assert lifted.height_at(np.array(truth.center[:2])) > 0.5
    fit = fit_partial(perturbed(truth), points, lifted, CAR_PRIOR)
    assert fit.usable
    assert abs(fit.cuboid.z_range()[0]) < 0.1  # on the road, not on the wall's foot
    assert bev_iou(fit.cuboid, truth) > 0.8


def test_a_ground_model_that_agrees_with_the_road_is_kept() -> None:
    truth = Cuboid((14.0, 2.0, 0.8), (4.4, 1.8, 1.6), math.radians(8.0))
    points = np.vstack([visible_faces(truth), road_around(truth)])
    slope = GroundModel((4.0, -4.0), 2.0, np.tile(np.linspace(-0.5, 0.5, 12), (6, 1)))  # a gentle slope
    assert checked_ground(truth, points, slope) is slope
    assert checked_ground(truth, points, FLAT) is FLAT


def test_the_heading_comes_from_the_body_sides_not_from_what_rides_on_the_roof() -> None:
    truth = Cuboid((15.0, -1.0, 0.8), (4.4, 1.8, 1.6), math.radians(5.0))  # seen from behind
    sides = visible_faces(truth)
    sides = sides[sides[:, 2] < 1.1]  # the body below the windows: its back
    # roof rails turned 12 degrees off the car (a rack loaded askew), dense: more returns than the back
    rack = Cuboid((15.0, -1.0, 1.25), (3.6, 1.6, 0.1), truth.yaw + math.radians(12.0))
    rails = [(x, y, 0.0) for x in np.arange(-1.8, 1.8, 0.02) for y in (-0.8, 0.8)]
    rails += [(x, y, 0.0) for x in (-1.8, 1.8) for y in np.arange(-0.8, 0.8, 0.02)]
    points = np.vstack([sides, rack.box_to_world(np.array(rails))])
    assert len(body_points(points, FLAT)) == len(sides)
    fit = fit_partial(perturbed(truth), points, FLAT, CAR_PRIOR)
    assert abs(wrap_angle(fit.cuboid.yaw - truth.yaw)) < math.radians(2.0)


def test_a_ground_model_lifted_where_no_road_is_seen_beside_a_car_is_told_by_the_car_s_own_points() -> None:
    truth = Cuboid((14.0, 2.0, 0.8), (4.4, 1.8, 1.6), math.radians(8.0))  # its right side and back seen
    road = road_around(truth)
    road = road[
        truth.world_to_box(road)[:, 1] < -0.9
    ]  # the road only on the near side: a wall hides the rest
    points = np.vstack([visible_faces(truth, spacing=0.04), road])
    # the wall lifts the interpolated ground beyond the car's near side: 0 m up to y = 1.5, 3 m at y = 3.5
    lifted = GroundModel((4.0, -4.5), 2.0, np.array([[0.0] * 12] * 4 + [[3.0] * 12] * 2))
    assert lifted.height_at(np.array(truth.center[:2])) > 0.5
    drawn = truth.replace(center=(13.9, 1.95, 0.9), size=(4.8, 2.1, 1.7), yaw=truth.yaw + 0.05)  # roughly
    assert checked_ground(drawn, points, lifted) is not lifted
    fit = fit_partial(drawn, points, lifted, CAR_PRIOR)
    assert fit.usable
    assert abs(fit.cuboid.z_range()[0]) < 0.1  # on the road, not on the wall's foot
    assert bev_iou(fit.cuboid, truth) > 0.8


def test_a_ground_model_far_below_a_car_does_not_leave_its_heading_to_a_few_stray_returns() -> None:
    truth = Cuboid((15.0, 4.0, 0.8), (4.4, 1.8, 1.6), math.radians(5.0))
    start = perturbed(truth)
    # the model runs 1 m below the road (a kerb pulled it down): the body band holds only eight returns
    # of something low beside the car, in a line along the rough box's heading
    low = GroundModel.flat(-1.0)
    strays = start.box_to_world(np.array([(x, -0.6, 0.0) for x in np.linspace(-1.0, 1.0, 8)]))
    strays[:, 2] = -0.1
    points = np.vstack([visible_faces(truth), strays])
    assert len(body_points(points, low)) == len(points)  # all points, not the eight
    fit = fit_partial(start, points, low, CAR_PRIOR)
    assert abs(wrap_angle(fit.cuboid.yaw - truth.yaw)) < math.radians(2.0)


def test_a_person_whose_cluster_takes_in_a_sign_beside_them_is_left_alone_and_says_why() -> None:
    rng = np.random.default_rng(2)
    person = Cuboid((9.0, -3.0, 0.85), (0.6, 0.6, 1.7), 0.0)
    front = np.column_stack(  # the person's front, 0.45 m wide
        [rng.uniform(8.7, 8.8, 80), rng.uniform(-3.25, -2.8, 80), rng.uniform(0.3, 1.7, 80)]
    )
    sign = np.column_stack(  # a sign 0.05 m beside them, 0.4 m wide, from 0.3 m to 2.5 m
        [rng.uniform(8.75, 8.85, 60), rng.uniform(-2.75, -2.35, 60), rng.uniform(0.3, 2.5, 60)]
    )
    outcome = fit_box(person, np.vstack([front, sign]), FLAT, prior_size=(0.7, 0.7, 1.7))
    assert not outcome.changed and outcome.cuboid == person
    assert "something beside it joined" in outcome.reason
    alone = fit_box(person, front, FLAT, prior_size=(0.7, 0.7, 1.7))  # without the sign: fitted as before
    assert not alone.reason


def test_a_walking_person_drawn_longer_than_the_class_size_is_still_fitted() -> None:
    rng = np.random.default_rng(3)
    person = Cuboid((9.0, -3.0, 0.85), (1.2, 0.5, 1.7), 0.0)  # a stride: 1.2 m along the heading
    side = np.column_stack(  # the person's flank seen from the sensor, 1 m long
        [rng.uniform(8.5, 9.5, 120), rng.uniform(-3.25, -3.15, 120), rng.uniform(0.3, 1.7, 120)]
    )
    outcome = fit_box(person.replace(center=(9.1, -3.1, 0.85)), side, FLAT, prior_size=(0.7, 0.7, 1.7))
    assert not outcome.reason
