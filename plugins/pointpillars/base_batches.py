"""The base training's batches, prepared in worker processes while the network trains.

Batch ``b`` of epoch ``e`` has a random stream of its own (the run's seed, ``e`` and ``b``) for the objects
pasted in and the augmentations, and the epoch's frame order comes from (seed, ``e``), so the batches are
the same whether the training process prepares them or any number of workers do. Workers are forked
(`torch.utils.data.DataLoader`), so that they share the cached frames and the object bank instead of each
receiving a copy; on a GPU, where a step takes milliseconds, preparing the batches is what bounds the speed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch

from plugins.pointpillars.base_augment import ObjectBank, base_sample
from plugins.pointpillars.base_data import CachedFrame
from plugins.pointpillars.config import PillarConfig
from plugins.pointpillars.training import Batch, make_batch

logger = logging.getLogger(__name__)

#: Batches each worker prepares ahead of the training step.
PREFETCH = 4


def epoch_order(frames: int, seed: int, epoch: int) -> np.ndarray:
    """The order in which epoch ``epoch`` visits the frames."""
    return np.random.default_rng([seed, 1, epoch]).permutation(frames)


class EpochBatches(torch.utils.data.Dataset):
    """One epoch's batches; item ``b`` is batch ``b`` (augmented samples stacked with their targets)."""

    def __init__(
        self,
        frames: Sequence[CachedFrame],
        bank: ObjectBank | None,
        config: PillarConfig,
        batch_size: int,
        seed: int,
        epoch: int,
    ) -> None:
        self.frames, self.bank, self.config = frames, bank, config
        self.batch_size, self.seed, self.epoch = batch_size, seed, epoch
        self.order = epoch_order(len(frames), seed, epoch)

    def __len__(self) -> int:
        return math.ceil(len(self.frames) / self.batch_size)

    def __getitem__(self, index: int) -> Batch:
        rng = np.random.default_rng([self.seed, 2, self.epoch, index])
        chosen = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        return make_batch([base_sample(self.frames[i], self.bank, rng) for i in chosen], self.config, None)


def _as_is(batch: Any) -> Any:
    return batch


def epoch_batches(batches: EpochBatches, workers: int) -> Iterable[Batch]:
    """``batches`` in order, prepared by ``workers`` forked processes (0: here, one at a time)."""
    if workers <= 0:
        return (batches[b] for b in range(len(batches)))
    return torch.utils.data.DataLoader(
        batches,
        batch_size=None,
        shuffle=False,
        num_workers=min(workers, len(batches)),
        collate_fn=_as_is,
        prefetch_factor=PREFETCH,
        multiprocessing_context="fork",
        generator=torch.Generator(),  # seeds the workers without drawing from the training's random stream
    )
