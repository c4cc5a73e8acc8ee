"""What the sensor could see: a place behind a nearer object is hidden, one the rays reach is seen, and a
box whose face lies hidden is not moved for it by `annotator fit`."""

from __future__ import annotations

import math

import numpy as np

from annotator.core.cuboids.box_fit import fit_frame
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.occlusion import Occlusion
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.ground import GroundModel

FLAT = GroundModel.flat(0.0)


def wall(x: float, y0: float, y1: float, z0: float = 0.4, z1: float = 1.4, step: float = 0.05) -> np.ndarray:
    """Points on a vertical strip facing the sensor at distance ``x``."""
    ys, zs = np.meshgrid(np.arange(y0, y1, step), np.arange(z0, z1, 0.1))
    return np.column_stack([np.full(ys.size, x), ys.ravel(), zs.ravel()])


def test_a_place_behind_a_nearer_object_is_hidden_one_in_the_open_is_seen() -> None:
    points = np.concatenate([wall(12.0, -1.0, 1.0), wall(20.0, -1.0, 4.0)])  # a car in front, a wall behind
    occlusion = Occlusion(points, FLAT)
    places = np.array([[16.0, 0.0], [16.0, 3.0], [25.0, 3.0], [16.0, -6.0]])
    assert occlusion.hidden(places, (0.0, 1.6)).tolist() == [1, 0, 1, -1]  # behind the car; open; behind
    # the wall; nothing at that bearing
    assert occlusion.hidden(places[:1], (1.8, 3.0)).tolist() == [-1]  # the car is lower than those heights
    near = Occlusion(np.concatenate([wall(3.0, -0.3, 0.3), wall(20.0, -1.0, 4.0)]), FLAT)
    assert near.hidden(np.array([[16.0, 0.0]]), (0.0, 1.6)).tolist() == [0]  # too near to judge its height


def test_fit_keeps_a_box_whose_near_end_a_car_in_front_hides() -> None:
    # a car seen from behind-right at 20 m; its back half hides behind a van in front of it: only the
    # front half of its right side shows, so the points start 2 m ahead of the labelled back face
    truth = Cuboid((20.0, 3.0, 0.8), (4.4, 1.8, 1.6), 0.0)
    side = truth.box_to_world(
        np.array([[x, -0.9, z] for x in np.arange(0.0, 2.2, 0.08) for z in np.arange(-0.5, 0.7, 0.15)])
    )
    van = Cuboid((15.0, 1.5, 1.0), (4.8, 2.0, 2.0), 0.0)
    van_back = van.box_to_world(
        np.array([[-2.4, y, z] for y in np.arange(-1.0, 1.0, 0.05) for z in np.arange(-0.6, 0.9, 0.1)])
    )
    hidden = fit_frame([truth, van], np.concatenate([side, van_back]), FLAT, priors=[(4.5, 1.85, 1.6), None])
    assert not hidden.outcomes[0].changed  # the hidden back end is the label's business
    seen = fit_frame([truth], side, FLAT, priors=[(4.5, 1.85, 1.6)])  # no van: the back was seen empty
    assert seen.outcomes[0].changed
    assert bev_iou(seen.outcomes[0].cuboid, truth) < 0.9
    assert math.isclose(hidden.outcomes[0].cuboid.center[0], 20.0)
