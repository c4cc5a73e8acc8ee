"""Training the network: focal heatmap loss, GIoU box loss, AdamW with warm-up and cosine decay."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import paddle
import paddle.nn.functional as F

from annotator.ml.protocol import CancelToken, FitProgress
from plugins.paddle_det2d.config import STRIDE
from plugins.paddle_det2d.images import to_network
from plugins.paddle_det2d.network import CenterDetector
from plugins.paddle_det2d.samples import TrainSample, augmented
from plugins.paddle_det2d.targets import build_targets, stack_targets

logger = logging.getLogger(__name__)

#: Weight of the GIoU box loss against the heatmap loss (TTFNet uses 5).
BOX_LOSS_WEIGHT = 5.0
WEIGHT_DECAY = 1e-4
GRADIENT_CLIP = 10.0
#: The learning rate decays to this share of its peak.
FINAL_LR_SHARE = 0.02


@dataclass(frozen=True)
class Schedule:
    """How long and how fast to train."""

    epochs: int
    learning_rate: float
    batch_size: int
    crop_width: int
    dropout: float
    augment: bool

    def learning_rate_at(self, step: int, total: int) -> float:
        """Linear warm-up over the first 5% of steps (at most 100), then cosine decay."""
        warmup = max(1, min(100, total // 20))
        if step < warmup:
            return self.learning_rate * (step + 1) / warmup
        progress = (step - warmup) / max(1, total - warmup)
        share = FINAL_LR_SHARE + (1 - FINAL_LR_SHARE) * 0.5 * (1 + math.cos(math.pi * progress))
        return self.learning_rate * share


def focal_loss(
    logits: paddle.Tensor, heatmap: paddle.Tensor, centers: paddle.Tensor, negatives: paddle.Tensor
) -> paddle.Tensor:
    """CenterNet's penalty-reduced focal loss (alpha 2, beta 4), summed and divided by the object count."""
    probability = F.sigmoid(logits).clip(1e-4, 1 - 1e-4)
    positive = (centers > 0).astype("float32")
    positive_loss = -paddle.log(probability) * (1 - probability) ** 2 * centers
    negative_loss = (
        -paddle.log(1 - probability)
        * probability**2
        * (1 - heatmap) ** 4
        * (1 - positive)
        * negatives.unsqueeze(1)
    )
    return (positive_loss.sum() + negative_loss.sum()) / paddle.clip(positive.sum(), min=1.0)


def _area(low: paddle.Tensor, high: paddle.Tensor) -> paddle.Tensor:
    # width * height written out: the gradient of prod() divides by its factors, NaN at empty overlaps
    size = (high - low).clip(min=0)
    return size[:, 0] * size[:, 1]


def giou_loss(distances: paddle.Tensor, boxes: paddle.Tensor, weights: paddle.Tensor) -> paddle.Tensor:
    """Weighted mean of 1 - GIoU between the boxes predicted at each cell and the cells' target boxes."""
    _, _, height, width = distances.shape
    ys, xs = paddle.meshgrid(
        paddle.arange(height, dtype="float32") + 0.5, paddle.arange(width, dtype="float32") + 0.5
    )
    predicted = paddle.stack(
        [xs - distances[:, 0], ys - distances[:, 1], xs + distances[:, 2], ys + distances[:, 3]], 1
    )
    overlap = _area(
        paddle.maximum(predicted[:, :2], boxes[:, :2]), paddle.minimum(predicted[:, 2:], boxes[:, 2:])
    )
    union = _area(predicted[:, :2], predicted[:, 2:]) + _area(boxes[:, :2], boxes[:, 2:]) - overlap + 1e-6
    enclosing = _area(
        paddle.minimum(predicted[:, :2], boxes[:, :2]), paddle.maximum(predicted[:, 2:], boxes[:, 2:])
    )
    giou = overlap / union - (enclosing - union) / (enclosing + 1e-6)
    return ((1 - giou) * weights).sum() / paddle.clip(weights.sum(), min=1e-6)


def make_batch(
    samples: Sequence[TrainSample], classes: int, schedule: Schedule, rng: np.random.Generator
) -> tuple[paddle.Tensor, dict[str, paddle.Tensor]]:
    """Network inputs and targets of augmented crops of ``samples``."""
    crops = [augmented(sample, schedule.crop_width, rng, schedule.augment) for sample in samples]
    inputs = to_network([crop.image for crop in crops])
    grid = (inputs.shape[2] // STRIDE, inputs.shape[3] // STRIDE)
    targets = stack_targets(
        [build_targets(c.boxes, c.labels, c.weights, classes, grid, c.partial) for c in crops]
    )
    return paddle.to_tensor(inputs), {name: paddle.to_tensor(value) for name, value in targets.items()}


def train_network(
    network: CenterDetector,
    samples: Sequence[TrainSample],
    schedule: Schedule,
    cancel: CancelToken,
    rng: np.random.Generator,
) -> Iterator[FitProgress]:
    """Train in place, yielding progress after every step; returns early (network in eval mode) on cancel."""
    steps_per_epoch = math.ceil(len(samples) / schedule.batch_size)
    total = schedule.epochs * steps_per_epoch
    clip = paddle.nn.ClipGradByGlobalNorm(GRADIENT_CLIP)
    optimizer = paddle.optimizer.AdamW(
        learning_rate=schedule.learning_rate,
        parameters=network.parameters(),
        weight_decay=WEIGHT_DECAY,
        grad_clip=clip,
    )
    classes = len(network.config.classes)
    network.train()
    step = 0
    try:
        for epoch in range(schedule.epochs):
            order = rng.permutation(len(samples))
            for first in range(0, len(order), schedule.batch_size):
                if cancel.is_set():
                    logger.info("training cancelled at step %d/%d", step, total)
                    return
                batch = [samples[i] for i in order[first : first + schedule.batch_size]]
                inputs, targets = make_batch(batch, classes, schedule, rng)
                logits, distances = network(inputs, schedule.dropout)
                heat = focal_loss(logits, targets["heatmap"], targets["centers"], targets["negatives"])
                box = giou_loss(distances, targets["boxes"], targets["box_weights"])
                loss = heat + BOX_LOSS_WEIGHT * box
                optimizer.set_lr(schedule.learning_rate_at(step, total))
                loss.backward()
                optimizer.step()
                optimizer.clear_grad()
                step += 1
                metrics = {"loss": float(loss), "heatmap_loss": float(heat), "box_loss": float(box),
                           "learning_rate": optimizer.get_lr()}  # fmt: skip
                yield FitProgress(step, total, metrics, f"epoch {epoch + 1}/{schedule.epochs}")
    finally:
        network.eval()
