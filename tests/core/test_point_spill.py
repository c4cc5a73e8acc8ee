"""The share of an object's points outside its box: none for a box that holds its walker, much for one left
behind it, the ground never counted; a box slid off when that share grew since the track's placed box."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.point_spill import DEFAULT_SPILL_GROWTH, FACE_TOLERANCE, point_spill, spill_grew
from annotator.testing.scans import scan_of

WALKER = Cuboid((10.0, 0.0, 0.9), (0.6, 0.6, 1.8), 0.0)


def walker_points(center_x: float = 10.0) -> np.ndarray:
    """A filled 0.5 m x 0.5 m x 1.6 m column of points (a pedestrian) at ``center_x``, standing on flat ground
    at z = 0, and the ground around it (a 6 m square, 0.1 m apart)."""
    grid = np.arange(-0.25, 0.2501, 0.05)
    xs, ys, zs = np.meshgrid(grid, grid, np.arange(0.2, 1.8, 0.1), indexing="ij")
    body = np.column_stack([xs.ravel() + center_x, ys.ravel(), zs.ravel()])
    g = np.arange(-3.0, 3.0, 0.1)
    gx, gy = np.meshgrid(g + 10.0, g, indexing="ij")
    ground = np.column_stack([gx.ravel(), gy.ravel(), np.zeros(gx.size)])
    return np.vstack([body, ground])


def test_a_box_that_holds_its_walker_spills_nothing() -> None:
    assert point_spill(WALKER, walker_points()) == pytest.approx(0.0)


def test_a_box_left_behind_a_walker_spills_the_points_on_its_leading_side() -> None:
    # the walker went on 0.35 m: its column spans 10.10-10.60, the box ends at 10.30; what lies more than
    # FACE_TOLERANCE beyond it, 10.35-10.60, is outside: half the column
    spill = point_spill(WALKER, walker_points(center_x=10.35))
    assert spill == pytest.approx((10.60 - 10.30 - FACE_TOLERANCE) / 0.5, abs=0.06)


def test_points_on_the_faces_stay_inside_a_box_moved_by_a_centimetre() -> None:
    scan = scan_of(WALKER, 200)  # on the sides and top, 6 mm inside the faces
    assert point_spill(WALKER.replace(center=(10.02, 0.0, 0.9)), scan) == 0.0
    assert point_spill(WALKER.replace(center=(10.1, 0.0, 0.9)), scan) > 0.1


def test_the_ground_under_and_around_the_box_is_not_the_object() -> None:
    ground_only = walker_points()[-3600:]
    assert point_spill(WALKER, ground_only) == 0.0


def test_no_points_near_the_box_spill_nothing() -> None:
    assert point_spill(WALKER, np.empty((0, 4))) == 0.0
    assert point_spill(WALKER, np.array([[50.0, 0.0, 1.0]])) == 0.0


def test_only_growth_beyond_the_reference_counts_as_sliding_off() -> None:
    assert spill_grew(0.65, 0.30) is True  # grew by 0.35
    assert spill_grew(0.55, 0.30) is False  # a neighbour's 0.3 was there when it was placed
    assert spill_grew(0.9, None) is False  # nothing to compare with
    assert spill_grew(0.31, 0.0, growth=0.3) is True
    assert DEFAULT_SPILL_GROWTH == 0.3
