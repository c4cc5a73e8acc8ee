"""The base training's batches: each drawn from a random stream of its own, so worker processes prepare
exactly the batches the training process would."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from plugins.pointpillars.base_augment import ObjectBank  # noqa: E402
from plugins.pointpillars.base_batches import EpochBatches, epoch_batches, epoch_order  # noqa: E402
from plugins.pointpillars.base_data import CachedFrame  # noqa: E402
from plugins.pointpillars.base_training import base_config  # noqa: E402

TENSORS = ("points", "frame", "heatmap", "weight_map", "cells", "boxes", "direction", "weights")


def street_frame(seed: int) -> CachedFrame:
    """A ground plane and one parked car, ground-levelled as the cache stores frames."""
    rng = np.random.default_rng(seed)
    ground = np.column_stack([rng.uniform(-30, 30, (3000, 2)), np.full(3000, -1.73), np.zeros(3000)])
    box = np.array([rng.uniform(5, 25), rng.uniform(-8, 8), -0.98, 4.2, 1.8, 1.5, rng.uniform(-0.3, 0.3)])
    car = np.column_stack([rng.uniform(-1, 1, (200, 3)) * [2.0, 0.85, 0.7] + box[:3], np.zeros(200)])
    points = np.concatenate([ground, car]).astype(np.float32)
    owner = np.concatenate([np.full(3000, -1), np.zeros(200)]).astype(np.int64)
    return CachedFrame(
        points, rng.integers(0, 32, len(points)).astype(np.uint8), owner, box[None], np.array([0]), 32
    )


@pytest.fixture
def epoch():
    frames = [street_frame(seed) for seed in range(6)]
    config = base_config()
    return EpochBatches(
        frames, ObjectBank(frames, len(config.classes)), config, batch_size=2, seed=4, epoch=1
    )


def test_workers_prepare_the_same_batches_as_the_training_process(epoch):
    here = list(epoch_batches(epoch, workers=0))
    forked = list(epoch_batches(epoch, workers=2))
    assert len(here) == len(forked) == 3
    for mine, theirs in zip(here, forked):
        assert mine.size == theirs.size == 2
        assert all(torch.equal(getattr(mine, name), getattr(theirs, name)) for name in TENSORS)


def test_preparing_the_batches_leaves_the_training_random_stream_alone(epoch):
    torch.manual_seed(0)
    list(epoch_batches(epoch, workers=2))
    after_workers = torch.rand(3)
    torch.manual_seed(0)
    assert torch.equal(after_workers, torch.rand(3))


def test_every_frame_once_an_epoch_in_an_order_of_its_own():
    orders = [epoch_order(10, seed=4, epoch=e) for e in range(3)]
    assert all(sorted(order) == list(range(10)) for order in orders)
    assert not np.array_equal(orders[0], orders[1])
    assert np.array_equal(orders[2], epoch_order(10, seed=4, epoch=2))
