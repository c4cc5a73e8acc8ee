"""A box whose exact point set is too costly for the window's thread gets a stand-in at once; a worker finds
the exact set block by block and remembers it (an unfinished search remembers nothing)."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.render import cloud as cloud_module
from annotator.render import neighbourhood as neighbourhood_module
from annotator.render.cloud import prepare_cloud

BOX = Cuboid((4.0, 1.0, -0.5), (4.5, 1.9, 1.6), 0.3)
NUDGED = BOX.replace(center=(4.2, 1.1, -0.5))


def _focused_cloud():
    xyz = np.random.default_rng(5).uniform((-10, -10, -2), (10, 10, 1), (200_000, 3)).astype(np.float32)
    cloud = prepare_cloud(xyz, lod_budget=10_000)
    cloud.focus(BOX, 2.0, inner=1.0)
    return cloud


@pytest.fixture
def few_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the neighbourhood 'too large' to test on the window's thread (as 1.8M points are at 100M)."""
    monkeypatch.setattr(cloud_module, "AT_ONCE_POINTS", 1000)
    monkeypatch.setattr(neighbourhood_module, "FIND_BLOCK", 4096)
    monkeypatch.setattr(neighbourhood_module, "THIN_POINTS", 2000)  # the region holds about 13,000 points


def test_a_small_neighbourhood_answers_the_exact_set_at_once() -> None:
    cloud = _focused_cloud()
    assert cloud.inside_at_once(NUDGED) and not cloud.found_later(NUDGED)


def test_a_large_neighbourhood_leaves_the_exact_set_to_a_worker_and_stands_in_meanwhile(few_at_once) -> None:
    cloud = _focused_cloud()
    assert cloud.answers_at_once(NUDGED) and not cloud.inside_at_once(NUDGED) and cloud.found_later(NUDGED)
    exact = cloud.index.indices_inside(NUDGED)
    stand_in = cloud.inside(NUDGED, quick=True)
    assert NUDGED not in cloud._inside  # nothing exact was computed for it
    assert np.isin(stand_in, exact).all()  # an even sample of the box's own points
    assert len(exact) / 10 < len(stand_in) < len(exact) / 3
    crop = cloud.indices_near(NUDGED, 0.5, limit=3000)  # what an orthographic view draws
    assert np.array_equal(cloud.stand_in(NUDGED, within=crop), np.intersect1d(crop, exact))
    moving = cloud.stand_in(NUDGED, within=cloud.coarse)  # the camera-move sample's points inside
    assert np.array_equal(moving, np.intersect1d(cloud.coarse, exact))


def test_the_worker_finds_the_exact_set_block_by_block_and_remembers_it(few_at_once) -> None:
    cloud = _focused_cloud()
    steps = list(cloud.find_inside([NUDGED]))
    near = cloud.neighbourhood.around(NUDGED)
    assert len(steps) == -(-len(near.indices) // 4096) + 1  # one check per block, one per box
    assert np.array_equal(cloud.inside(NUDGED), cloud.index.indices_inside(NUDGED))
    assert cloud.inside_at_once(NUDGED) and not cloud.found_later(NUDGED)


def test_a_search_stopped_between_blocks_remembers_nothing(few_at_once) -> None:
    cloud = _focused_cloud()
    steps = cloud.find_inside([NUDGED])
    next(steps)
    steps.close()  # what a newer edit's cancel does to the worker's job
    assert NUDGED not in cloud._inside and cloud.found_later(NUDGED)


def test_blocks_of_a_turned_box_find_what_the_index_finds() -> None:
    cloud = _focused_cloud()
    turned = NUDGED.replace(yaw=0.4)
    near = cloud.neighbourhood.around(turned)
    found = np.concatenate(list(near.blocks_inside(turned, block=10_000)))
    assert np.array_equal(found, cloud.index.indices_inside(turned))


@pytest.mark.parametrize("box_points, crop_points", [(30_000, 2_500), (2_500, 30_000), (0, 100)])
def test_a_boxs_points_within_a_crop_are_their_intersection_whichever_is_longer(
    box_points: int, crop_points: int
) -> None:
    from annotator.render.cuboids import _also_in

    rng = np.random.default_rng(3)
    box = np.sort(rng.choice(1_000_000, box_points, replace=False)).astype(np.int64)
    crop = np.union1d(np.sort(rng.choice(1_000_000, crop_points, replace=False)), box[::7])
    found = _also_in(box, crop)
    assert np.array_equal(found, np.intersect1d(box, crop))
    assert found.dtype == box.dtype


def test_remembered_box_points_are_bounded_by_their_total(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cloud_module, "_INSIDE_POINTS", 800)
    xyz = np.random.default_rng(5).uniform((-10, -10, -2), (10, 10, 1), (40_000, 3)).astype(np.float32)
    cloud = prepare_cloud(xyz)
    walked = [Cuboid((x, 0.0, -0.5), (4.0, 2.0, 2.0), 0.0) for x in (-4.0, -2.0, 0.0, 2.0, 4.0)]
    for box in walked:  # about 530 points each
        assert np.array_equal(cloud.inside(box), cloud.index.indices_inside(box))
    remembered = [box for box in walked if box in cloud._inside]
    assert remembered == walked[-1:]  # the older positions were forgotten to stay within the bound
    assert sum(len(found) for found in cloud._inside.values()) <= 800


def test_the_points_copied_out_around_a_walked_box_reach_ahead_of_it() -> None:
    xyz = np.random.default_rng(9).uniform((-20, -20, -2), (20, 20, 1), (60_000, 3)).astype(np.float32)
    cloud = prepare_cloud(xyz, lod_budget=5_000)
    box = Cuboid((0.0, 0.0, -0.5), (4.0, 2.0, 1.5), 0.5)
    near = cloud.focus(box, 2.0, inner=1.0, reach=(3.0, 0.0, 0.0))  # walking forward
    forward, back = box.rotation @ np.array([1.0, 0.0, 0.0]), box.rotation @ np.array([-1.0, 0.0, 0.0])
    ahead = box.replace(center=tuple(np.asarray(box.center) + 4.5 * forward))
    behind = box.replace(center=tuple(np.asarray(box.center) + 2.5 * back))
    assert near.covers(ahead.grown(0.4)) and not near.covers(behind)  # 5 m ahead, 2 m behind
    assert near.around(box) is near.inner  # the box itself is still answered from its inner points
    inside = near.indices_inside(ahead)
    assert np.array_equal(np.sort(inside), cloud.index.indices_inside(ahead))


def test_a_stand_in_as_dense_as_the_exact_highlight_draws_what_the_exact_points_would(few_at_once) -> None:
    from annotator.render.cuboids import CuboidItem, inside_points

    cloud = _focused_cloud()
    items = [CuboidItem(1, NUDGED, (255, 0, 0))]
    sample = cloud.stand_in(NUDGED)  # the box's points among the neighbourhood's even sample
    dense = inside_points(cloud, items, limit=len(sample) // 2, quick=True)
    assert not dense.stand_in  # an even sample of the box's points at the highlight's density
    sparse = inside_points(cloud, items, limit=len(sample) * 4, quick=True)
    assert sparse.stand_in  # the exact points would draw four times as many: drawn again when found
    crop = cloud.indices_near(NUDGED, 0.5, limit=3000)
    within = inside_points(cloud, items, within=crop, limit=len(sample) * 4, quick=True)
    assert not within.stand_in  # a crop's points are tested one by one: exact
    assert len(within) == len(np.intersect1d(crop, cloud.index.indices_inside(NUDGED)))
