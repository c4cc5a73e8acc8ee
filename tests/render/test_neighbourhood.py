"""The points around the box being edited answer its inside queries as the whole cloud's index does."""

from __future__ import annotations

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.render.cloud import prepare_cloud

BOX = Cuboid((4.0, 1.0, -0.5), (4.5, 1.9, 1.6), 0.3)


def _cloud():
    xyz = np.random.default_rng(3).uniform((-10, -10, -2), (10, 10, 1), (200_000, 3)).astype(np.float32)
    return prepare_cloud(xyz, lod_budget=10_000)


def test_nudged_and_turned_boxes_find_the_same_points_in_the_neighbourhood_as_in_the_index() -> None:
    cloud = _cloud()
    near = cloud.focus(BOX, 1.0)
    assert cloud.neighbourhood is near and len(near.indices) > len(cloud.index.indices_inside(BOX))
    for box in (
        BOX,
        BOX.replace(center=(4.3, 0.8, -0.4)),  # nudged: six comparisons per point in the region's axes
        BOX.replace(center=(4.3, 0.8, -0.4), yaw=0.35),  # turned: the exact test on the copied points
        BOX.replace(center=(4.6, 1.6, 0.4)),  # nudged most of a margin in every axis
    ):
        assert near.covers(box)
        assert np.array_equal(near.indices_inside(box), cloud.index.indices_inside(box))
        assert np.array_equal(cloud.inside(box), cloud.index.indices_inside(box))


def test_a_box_beyond_the_neighbourhood_is_looked_up_in_the_whole_index() -> None:
    cloud = _cloud()
    cloud.focus(BOX, 1.0)
    far = BOX.replace(center=(6.0, 1.0, -0.5))
    assert not cloud.neighbourhood.covers(far)
    assert np.array_equal(cloud.inside(far), cloud.index.indices_inside(far))
    assert cloud.focus(BOX.replace(center=(4.1, 1.0, -0.5)), 0.5) is cloud.neighbourhood  # still covered
    assert cloud.focus(far, 1.0).covers(far)  # a new region around the moved box


def test_a_crop_within_the_neighbourhood_is_an_even_sample_of_the_points_the_index_finds() -> None:
    cloud = _cloud()
    whole = cloud.index.indices_inside(BOX.replace(size=(5.5, 2.9, 2.6)))  # grown by 0.5 m on each side
    cloud.focus(BOX, 1.0)
    assert np.array_equal(cloud.indices_near(BOX, 0.5), whole)
    sample = cloud.indices_near(BOX, 0.5, limit=len(whole) // 3)
    assert len(whole) // 4 < len(sample) <= len(whole) // 3 and np.isin(sample, whole).all()


def test_a_nudged_box_tests_the_inner_neighbourhood_first_and_finds_the_same_points() -> None:
    cloud = _cloud()
    near = cloud.focus(BOX, 2.0, inner=0.5)
    assert near.inner is not None and 0 < len(near.inner.indices) < len(near.indices)
    nudged = BOX.replace(center=(4.2, 1.1, -0.5))
    assert near.around(nudged) is near.inner
    assert np.array_equal(cloud.inside(nudged), cloud.index.indices_inside(nudged))
    farther = BOX.replace(center=(5.2, 1.0, -0.5))  # beyond the inner margin, within the outer one
    assert near.around(farther) is near
    assert np.array_equal(cloud.inside(farther), cloud.index.indices_inside(farther))


def test_points_not_found_at_once_have_the_samples_points_as_a_quick_stand_in() -> None:
    cloud = _cloud()
    assert not cloud.answers_at_once(BOX)  # a large cloud, nothing remembered or copied out yet
    stand_in = cloud.inside(BOX, quick=True)
    assert np.array_equal(stand_in, np.intersect1d(cloud.index.indices_inside(BOX), cloud.coarse))
    assert not cloud.answers_at_once(BOX)  # a stand-in is not remembered as the box's points
    cloud.focus(BOX, 1.0)
    assert cloud.answers_at_once(BOX) and cloud.answers_at_once(BOX.grown(0.5))
    assert np.array_equal(cloud.inside(BOX, quick=True), cloud.index.indices_inside(BOX))


def test_a_small_cloud_drawn_whole_always_answers_at_once() -> None:
    xyz = np.random.default_rng(4).uniform((-10, -10, -2), (10, 10, 1), (5_000, 3)).astype(np.float32)
    cloud = prepare_cloud(xyz, lod_budget=10_000)
    assert cloud.answers_at_once(BOX)
    assert np.array_equal(cloud.inside(BOX, quick=True), cloud.index.indices_inside(BOX))


def test_with_a_limit_the_neighbourhood_tests_an_even_share_of_its_points_not_all() -> None:
    cloud = _cloud()
    near = cloud.focus(BOX, 2.0)
    grown = BOX.grown(0.5)
    exact = near.indices_inside(grown)
    sample = near.indices_inside(grown, limit=400)
    assert 400 <= len(sample) <= 2_000 < len(exact)  # a few times the limit: every k-th point of the region
    assert np.isin(sample, exact).all() and np.all(np.diff(sample) > 0)
    assert sample[0] < exact[len(exact) // 10] and sample[-1] > exact[-len(exact) // 10]  # spread over all
    assert np.array_equal(near.indices_inside(grown, limit=len(exact) * 10), exact)  # within the limit: all


def test_whether_the_region_covers_a_box_is_its_corners_test_near_and_far() -> None:
    near = _cloud().focus(BOX, 1.0)
    rng = np.random.default_rng(8)
    for center in rng.uniform((-6, -6, -2), (12, 8, 1), (200, 3)):
        box = BOX.replace(center=tuple(center), yaw=float(rng.uniform(-3, 3)))
        corners = bool(near.region.points_inside(box.corners()).all())
        assert near.covers(box) == corners and near.covers(box) == corners  # asked twice: remembered
    assert near.covers(BOX)


def test_a_neighbourhood_reaching_ahead_of_a_walked_box_finds_what_the_index_finds() -> None:
    cloud = _cloud()
    near = cloud.focus(BOX, 2.0, inner=1.0, reach=(3.0, 0.0, 0.0))  # its centre 1.5 m ahead of the box's
    assert near.inner is not None and near.inner.covers(BOX)
    assert np.array_equal(near.inner.indices, cloud.index.indices_inside(BOX.grown(1.0)))
    for forward in (0.0, 0.3, 0.6):
        box = BOX.replace(center=tuple(np.asarray(BOX.center) + BOX.rotation[:, 0] * forward))
        assert np.array_equal(cloud.inside(box), cloud.index.indices_inside(box))


def test_the_copied_out_points_are_the_regions_own_coordinates_as_rows() -> None:
    cloud = _cloud()
    near = cloud.focus(BOX.replace(pitch=0.1), 1.0)  # a tilted region: all three axes mix
    expected = near.region.world_to_box(cloud.xyz[near.indices].astype(np.float64)).T
    assert near.local.dtype == np.float32 and near.local.flags["C_CONTIGUOUS"] and near.local.shape[0] == 3
    assert np.allclose(near.local, expected, atol=1e-4)


def test_double_precision_points_are_turned_into_float32_rows_of_the_regions_axes() -> None:
    from annotator.render.neighbourhood import _local_rows

    points = np.random.default_rng(5).uniform(-5, 5, (1000, 3))  # float64
    region = BOX.replace(pitch=0.2)
    rows = _local_rows(region, points.copy())
    assert rows.dtype == np.float32 and rows.shape == (3, 1000)
    assert np.allclose(rows, region.world_to_box(points).T, atol=1e-4)
