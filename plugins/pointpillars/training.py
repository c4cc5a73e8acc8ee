"""Training one network: batches of (augmented) frames, CenterPoint-style losses, AdamW with one cycle.

Losses: a penalty-reduced focal loss on the class heatmaps (CornerNet/CenterNet), L1 on the box values
at the objects' centre cells, and binary cross-entropy on the heading direction; all normalised by the
(weighted) number of objects.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from plugins.pointpillars.augment import augment
from plugins.pointpillars.config import REGRESSION_CHANNELS, PillarConfig
from plugins.pointpillars.network import PointPillarsNet
from plugins.pointpillars.pillars import crop_points
from plugins.pointpillars.targets import build_targets

logger = logging.getLogger(__name__)

BOX_WEIGHT = 0.5
DIRECTION_WEIGHT = 0.2
GRADIENT_CLIP = 10.0
#: Frames averaged when batch-norm statistics are recomputed after training.
BATCH_NORM_FRAMES = 64


@dataclass
class TrainSample:
    """A labelled frame in the detector's terms: points (N, 4), boxes (M, 7), labels indexing the
    detector's classes (-1: don't care) and per-object loss weights; ``partial``: only near its boxes is
    the frame known (pseudo-labels, see `annotator.ml.protocol.LabelledFrame`)."""

    points: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray
    weights: np.ndarray
    partial: bool = False


@dataclass(frozen=True)
class Schedule:
    """How to train: passes, peak learning rate, frames per step, dropout, augmentation, seed."""

    epochs: int
    learning_rate: float
    batch_size: int
    dropout: float
    augment: bool
    seed: int

    def steps(self, frames: int) -> int:
        """Optimiser steps for ``frames`` training frames."""
        return self.epochs * math.ceil(frames / self.batch_size)


@dataclass
class Batch:
    """Network inputs and targets of several frames."""

    points: torch.Tensor
    frame: torch.Tensor
    size: int
    heatmap: torch.Tensor
    weight_map: torch.Tensor
    cells: torch.Tensor
    boxes: torch.Tensor
    direction: torch.Tensor
    weights: torch.Tensor


def stack_points(clouds: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Cropped clouds of several frames as one (N, 4) tensor and the frame index of each point (N,)."""
    frames = [np.full(len(cloud), index, dtype=np.int64) for index, cloud in enumerate(clouds)]
    return torch.from_numpy(np.concatenate(clouds)), torch.from_numpy(np.concatenate(frames))


def make_batch(
    samples: Sequence[TrainSample], config: PillarConfig, rng: np.random.Generator | None
) -> Batch:
    """Crop, optionally augment (when ``rng`` is given) and stack samples with their targets."""
    clouds, targets = [], []
    cells_per_frame = config.output_shape[0] * config.output_shape[1]
    for index, sample in enumerate(samples):
        cloud, boxes = sample.points, np.asarray(sample.boxes, dtype=np.float64).reshape(-1, 7)
        if rng is not None:
            cloud, boxes = augment(np.asarray(cloud, dtype=np.float32), boxes, rng)
        clouds.append(crop_points(cloud, config))
        target = build_targets(boxes, sample.labels, sample.weights, config, sample.partial)
        target.cells += index * cells_per_frame
        targets.append(target)

    def stack(name: str) -> torch.Tensor:
        return torch.from_numpy(np.concatenate([getattr(t, name) for t in targets]))

    return Batch(
        *stack_points(clouds),
        len(samples),
        torch.from_numpy(np.stack([t.heatmap for t in targets])),
        torch.from_numpy(np.stack([t.weight_map for t in targets])),
        stack("cells"),
        stack("boxes"),
        stack("direction"),
        stack("weights"),
    )


def heatmap_loss(logits: torch.Tensor, target: torch.Tensor, weight_map: torch.Tensor) -> torch.Tensor:
    """Penalty-reduced focal loss (alpha 2, beta 4), summed and divided by the weighted positives."""
    positive = (target >= 1.0).to(logits.dtype)
    p = torch.sigmoid(logits)
    loss = -F.logsigmoid(logits) * (1.0 - p) ** 2 * positive
    loss = loss - F.logsigmoid(-logits) * p**2 * (1.0 - target) ** 4 * (1.0 - positive)
    weights = weight_map[:, None]
    return (loss * weights).sum() / (positive * weights).sum().clamp(min=1.0)


def losses(
    output: torch.Tensor, batch: Batch, classes: int, direction_weight: float = DIRECTION_WEIGHT
) -> dict[str, torch.Tensor]:
    """The loss terms and their weighted total (``"loss"``; the heading direction's term weighs
    ``direction_weight``)."""
    heat = heatmap_loss(output[:, :classes], batch.heatmap, batch.weight_map)
    flat = output[:, classes:].permute(0, 2, 3, 1).reshape(-1, REGRESSION_CHANNELS + 1)[batch.cells]
    norm = batch.weights.sum().clamp(min=1.0)
    box = F.l1_loss(flat[:, :REGRESSION_CHANNELS], batch.boxes, reduction="none").sum(dim=1) * batch.weights
    box = box.sum() / norm
    direction = (
        F.binary_cross_entropy_with_logits(
            flat[:, REGRESSION_CHANNELS], batch.direction, weight=batch.weights, reduction="sum"
        )
        / norm
    )
    total = heat + BOX_WEIGHT * box + direction_weight * direction
    return {"loss": total, "heatmap": heat, "box": box, "direction": direction}


def direction_accuracy(output: torch.Tensor, batch: Batch, classes: int) -> float:
    """Share (weighted) of the batch's objects whose heading direction (front/back) the output gets right."""
    with torch.no_grad():
        flat = output[:, classes:].permute(0, 2, 3, 1).reshape(-1, REGRESSION_CHANNELS + 1)[batch.cells]
        right = ((flat[:, REGRESSION_CHANNELS] > 0) == (batch.direction > 0.5)).to(output.dtype)
        return float((right * batch.weights).sum() / batch.weights.sum().clamp(min=1.0))


def train_network(
    net: PointPillarsNet,
    samples: Sequence[TrainSample],
    schedule: Schedule,
    cancelled,
    first_step: int = 0,
    total: int | None = None,
) -> Iterator[tuple[int, int, dict[str, float]]]:
    """Train ``net`` in place, yielding (step, total, metrics) after every optimiser step; stops before
    the next step once ``cancelled()`` is true. ``first_step``/``total`` number steps across ensemble
    members."""
    rng = np.random.default_rng(schedule.seed)
    steps = schedule.steps(len(samples))
    total = total or steps
    optimiser = torch.optim.AdamW(net.parameters(), lr=schedule.learning_rate, weight_decay=0.01)
    cycle = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, schedule.learning_rate, total_steps=steps, pct_start=0.3, div_factor=10.0
    )
    classes = len(net.config.classes)
    net.train()
    step = 0
    for _ in range(schedule.epochs):
        order = rng.permutation(len(samples))
        for start in range(0, len(order), schedule.batch_size):
            if cancelled():
                return
            chunk = [samples[i] for i in order[start : start + schedule.batch_size]]
            batch = make_batch(chunk, net.config, rng if schedule.augment else None)
            output = net(batch.points, batch.frame, batch.size, schedule.dropout)
            terms = losses(output, batch, classes)
            optimiser.zero_grad(set_to_none=True)
            terms["loss"].backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), GRADIENT_CLIP)
            optimiser.step()
            cycle.step()
            step += 1
            metrics = {name: float(value.detach()) for name, value in terms.items()}
            metrics["learning_rate"] = float(cycle.get_last_lr()[0])
            yield first_step + step, total, metrics
    recalibrate_batch_norm(net, samples, schedule.batch_size, rng)


def recalibrate_batch_norm(
    net: PointPillarsNet,
    samples: Sequence[TrainSample],
    batch_size: int,
    rng: np.random.Generator,
    limit: int = BATCH_NORM_FRAMES,
) -> None:
    """Recompute every batch norm's running statistics as the plain average over (up to ``limit``)
    unaugmented training frames, then leave ``net`` in eval mode.

    Training updates them slowly (momentum 0.01) from augmented batches, so after fine-tuning they lag the
    weights: predictions in eval mode came out up to 12 % short in box length while the same network with
    batch statistics was unbiased."""
    norms = [m for m in net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    chosen = [samples[i] for i in sorted(rng.permutation(len(samples))[:limit])]
    momenta = [m.momentum for m in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average
    net.train()
    try:
        with torch.no_grad():
            for start in range(0, len(chosen), batch_size):
                chunk = chosen[start : start + batch_size]
                clouds = [crop_points(sample.points, net.config) for sample in chunk]
                net(*stack_points(clouds), len(chunk), 0.0)
    finally:
        for norm, momentum in zip(norms, momenta):
            norm.momentum = momentum
        net.eval()
