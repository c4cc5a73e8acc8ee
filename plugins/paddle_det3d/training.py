"""Training in PaddlePaddle on the PyTorch plugin's targets: the same heatmap focal loss, box L1 and
direction terms, AdamW with a one-cycle schedule, batch-norm statistics recomputed at the end.

Targets (`plugins.pointpillars.targets`), augmentation and ground levelling are the PyTorch plugin's numpy
code; only the network and the loss run in Paddle.
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import paddle
import paddle.nn.functional as F

from annotator.ml.protocol import LabelledFrame
from plugins.paddle_det3d.network import PaddlePillarsNet, network_inputs
from plugins.pointpillars.augment import augment
from plugins.pointpillars.config import REGRESSION_CHANNELS, PillarConfig
from plugins.pointpillars.ground import levelled
from plugins.pointpillars.points import crop_points, pillar_groups
from plugins.pointpillars.targets import build_targets

logger = logging.getLogger(__name__)

BOX_WEIGHT, DIRECTION_WEIGHT, GRADIENT_CLIP = 0.5, 0.2, 10.0
#: Frames averaged when batch-norm statistics are recomputed after training.
BATCH_NORM_FRAMES = 64


@dataclass
class Sample:
    """A labelled frame in the detector's terms (ground-levelled points and boxes, labels indexing its
    classes with -1 for don't care, loss weights, whether only the boxes' surroundings are known)."""

    points: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray
    weights: np.ndarray
    partial: bool


def samples_of(frames: Sequence[LabelledFrame], config: PillarConfig) -> list[Sample]:
    """The frames that have points, as `Sample`s."""
    index = {name: k for k, name in enumerate(config.classes)}
    result = []
    for labelled in (f for f in frames if f.frame.points is not None):
        targets = labelled.targets
        count = len(targets.labels)
        points, boxes = levelled(
            np.asarray(labelled.frame.points, dtype=np.float32),
            np.asarray(targets.boxes, dtype=np.float64).reshape(count, -1)[:, :7],
            config.ground_z,
        )
        labels = np.array([index.get(targets.class_names[int(k)], -1) for k in targets.labels], np.int64)
        weights = np.ones(count) if labelled.weights is None else np.asarray(labelled.weights)
        result.append(Sample(points, boxes, labels, weights.astype(np.float32), labelled.partial))
    return result


def grouped(clouds: Sequence[np.ndarray], config: PillarConfig) -> tuple[paddle.Tensor, ...]:
    """Cropped clouds of several frames as the encoder's inputs."""
    frame = np.concatenate([np.full(len(c), k, np.int64) for k, c in enumerate(clouds)])
    return network_inputs(pillar_groups(np.concatenate(clouds), frame, config))


def _batch(samples: Sequence[Sample], config: PillarConfig, rng: np.random.Generator | None) -> dict:
    clouds, targets = [], []
    per_frame = config.output_shape[0] * config.output_shape[1]
    for k, sample in enumerate(samples):
        cloud, boxes = sample.points, sample.boxes
        if rng is not None:
            cloud, boxes = augment(cloud, boxes, rng)
        clouds.append(crop_points(cloud, config))
        target = build_targets(boxes, sample.labels, sample.weights, config, sample.partial)
        target.cells += k * per_frame
        targets.append(target)

    def joined(name: str) -> paddle.Tensor:
        return paddle.to_tensor(np.concatenate([getattr(t, name) for t in targets]))

    return {
        "inputs": grouped(clouds, config),
        "heatmap": paddle.to_tensor(np.stack([t.heatmap for t in targets])),
        "weight_map": paddle.to_tensor(np.stack([t.weight_map for t in targets])),
        "cells": joined("cells"),
        "boxes": joined("boxes"),
        "direction": joined("direction").astype("float32"),
        "weights": joined("weights"),
    }


def losses(output: paddle.Tensor, batch: dict, classes: int) -> dict[str, paddle.Tensor]:
    """Focal heatmap loss, box L1 and direction cross-entropy, and their weighted total (``"loss"``)."""
    logits, target = output[:, :classes], batch["heatmap"]
    positive = (target >= 1.0).astype("float32")
    p = F.sigmoid(logits)
    heat = -F.log_sigmoid(logits) * (1.0 - p) ** 2 * positive
    heat = heat - F.log_sigmoid(-logits) * p**2 * (1.0 - target) ** 4 * (1.0 - positive)
    weights = batch["weight_map"].unsqueeze(1)
    heat = (heat * weights).sum() / paddle.clip((positive * weights).sum(), min=1.0)
    flat = output[:, classes:].transpose([0, 2, 3, 1]).reshape([-1, REGRESSION_CHANNELS + 1])
    flat = paddle.gather(flat, batch["cells"])
    norm = paddle.clip(batch["weights"].sum(), min=1.0)
    box = ((flat[:, :REGRESSION_CHANNELS] - batch["boxes"]).abs().sum(axis=1) * batch["weights"]).sum() / norm
    direction = F.binary_cross_entropy_with_logits(
        flat[:, REGRESSION_CHANNELS], batch["direction"], reduction="none"
    )
    direction = (direction * batch["weights"]).sum() / norm
    total = heat + BOX_WEIGHT * box + DIRECTION_WEIGHT * direction
    return {"loss": total, "heatmap": heat, "box": box, "direction": direction}


@contextlib.contextmanager
def quiet_batch_norm() -> Iterator[None]:
    """Silence Paddle's notice, on every training-mode call, that batch norm tracks statistics."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="When training, we now always track")
        yield


def train_network(
    net: PaddlePillarsNet, samples: Sequence[Sample], values: dict[str, Any], cancelled
) -> Iterator[tuple[int, int, dict[str, float]]]:
    """Train ``net`` in place as the plugin's parameter ``values`` say (epochs, learning_rate, batch_size,
    train_dropout, augment, seed), yielding (step, total, metrics) after every step; stops before the next
    step once ``cancelled()`` is true (then the batch-norm statistics are left as they were)."""
    rng = np.random.default_rng(values["seed"])
    size = values["batch_size"]
    total = values["epochs"] * math.ceil(len(samples) / size)
    cycle = paddle.optimizer.lr.OneCycleLR(values["learning_rate"], total, divide_factor=10.0, phase_pct=0.3)
    optimiser = paddle.optimizer.AdamW(
        cycle,
        parameters=net.parameters(),
        weight_decay=0.01,
        grad_clip=paddle.nn.ClipGradByGlobalNorm(GRADIENT_CLIP),
    )
    classes = len(net.config.classes)
    net.train()
    step = 0
    try:
        for _ in range(values["epochs"]):
            order = rng.permutation(len(samples))
            for start in range(0, len(order), size):
                if cancelled():
                    return
                chunk = [samples[i] for i in order[start : start + size]]
                batch = _batch(chunk, net.config, rng if values["augment"] else None)
                with quiet_batch_norm():
                    output = net(batch["inputs"], len(chunk), values["train_dropout"])
                terms = losses(output, batch, classes)
                terms["loss"].backward()
                optimiser.step()
                optimiser.clear_grad()
                metrics = {name: float(value) for name, value in terms.items()}
                metrics["learning_rate"] = float(cycle.get_lr())
                cycle.step()
                step += 1
                yield step, total, metrics
        recalibrate_batch_norm(net, samples, size, rng)
    finally:
        net.eval()


def recalibrate_batch_norm(
    net: PaddlePillarsNet, samples: Sequence[Sample], batch_size: int, rng: np.random.Generator
) -> None:
    """Every batch norm's running statistics as the plain average over (up to `BATCH_NORM_FRAMES`)
    unaugmented training frames: training updates them slowly from augmented batches, so they lag the
    weights (the PyTorch plugin measured boxes up to 12 % short without this)."""
    norms = [m for m in net.sublayers() if isinstance(m, (paddle.nn.BatchNorm1D, paddle.nn.BatchNorm2D))]
    chosen = [samples[i] for i in sorted(rng.permutation(len(samples))[:BATCH_NORM_FRAMES])]
    momenta = [m._momentum for m in norms]
    net.train()
    try:
        with paddle.no_grad(), quiet_batch_norm():
            for batch_index, start in enumerate(range(0, len(chosen), batch_size)):
                for norm in norms:  # running = m * running + (1 - m) * batch: a cumulative average
                    norm._momentum = batch_index / (batch_index + 1)
                chunk = chosen[start : start + batch_size]
                net(grouped([crop_points(s.points, net.config) for s in chunk], net.config), len(chunk))
    finally:
        for norm, momentum in zip(norms, momenta):
            norm._momentum = momentum
        net.eval()
