"""Knowledge distillation: a compact student learns the ensemble's averaged outputs (soft targets).

The teacher is a pointpillars model with ensemble heads (``annotator train-ensemble``; the shipped
``base.pt`` has four): its backbone runs once per batch and every head (its own and the extra ones) maps the
features to class logits, box values and a heading-direction logit. The soft targets are the members'
mean class probabilities, mean box values and mean direction probability. The student is the teacher's
network pruned to the share ``keep`` of every layer's channels (`plugins.pointpillars.pruning`), or given
weights (``init``, e.g. ``pruned.pt``). It trains on the same (augmented) batch as the teacher sees with

- the quality-focal loss between its class logits and the teacher's probabilities on every cell
  (binary cross-entropy scaled by the squared gap, so the many cells both call empty weigh little),
- L1 on box values and cross-entropy on the direction where the teacher sees an object (weighted by its
  best class probability),
- weighted ``feature_weight``, the squared gap between the student's backbone features (mapped to the
  teacher's width by a 1x1 convolution trained alongside and then dropped) and the teacher's, weighted by
  the teacher's best class probability per cell (feature imitation),
- and, weighted ``hard_weight``, the ordinary loss on the frames' labels (`plugins.pointpillars.training`).

Frames: generated ones (cached like base training's, plain and with pasted objects, thinned beams and
flips) plus any labelled frames the caller gives (a project's verified frames). After every epoch the
student, the optimiser and the schedule go to a partial file, so a stopped run resumes where it stopped.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from plugins.pointpillars.config import REGRESSION_CHANNELS
from plugins.pointpillars.distill_views import partial_views
from plugins.pointpillars.network import PointPillarsNet
from plugins.pointpillars.training import (
    BOX_WEIGHT,
    DIRECTION_WEIGHT,
    GRADIENT_CLIP,
    TrainSample,
    losses,
    make_batch,
    recalibrate_batch_norm,
)

logger = logging.getLogger(__name__)

PARTIAL_FORMAT = "annotator-pointpillars-distill/1"
#: Cells where the teacher's best class probability reaches this carry box and direction targets.
OBJECT_PROBABILITY = 0.3


@dataclass
class DistillOptions:
    """What a distillation run does."""

    keep: float = 0.5
    #: Share of the head's shared convolution kept (0: as ``keep``).
    head_keep: float = 0.0
    #: Share kept of each backbone stage's channels (empty: ``keep`` for every stage).
    stage_keep: tuple[float, ...] = ()
    init: str = ""
    frames: int = 24
    epochs: int = 8
    seed: int = 11
    learning_rate: float = 0.002
    batch_size: int = 2
    hard_weight: float = 0.5
    feature_weight: float = 1.0
    #: Weight of the soft box term against the teacher's box values (1: the hard loss's box weight).
    box_weight: float = 1.0
    #: Share of the objects seen as partial views (near half, thinned; `distill_views`), 0: none.
    partial_views: float = 0.0
    pasted_copies: int = 1
    sensors: tuple[str, ...] = ("hdl64e", "vlp32c", "pandar128", "vlp16")
    cache: str = ""
    threads: int = 1
    #: Held-apart generated frames the card's quality is measured on.
    quality_frames: int = 4

    def to_dict(self) -> dict[str, Any]:
        """Plain values."""
        return asdict(self) | {"sensors": list(self.sensors), "stage_keep": list(self.stage_keep)}


@dataclass
class SoftTargets:
    """The ensemble's mean outputs of a batch: class probabilities (B, C, H, W), box values (B, 8, H, W),
    direction probability (B, H, W); and the teacher's backbone features (B, F, H, W)."""

    probabilities: torch.Tensor
    boxes: torch.Tensor
    direction: torch.Tensor
    features: torch.Tensor | None = None


def soft_targets(net: PointPillarsNet, heads: Sequence[torch.nn.Module], batch) -> SoftTargets:
    """The teacher's averaged outputs on a batch (its backbone once, every head on it)."""
    classes = len(net.config.classes)
    with torch.inference_mode():
        features = net.forward_features(batch.points, batch.frame, batch.size)
        outputs = torch.stack([head.eval()(features, 0.0) for head in [net.head, *heads]])
    probabilities = torch.sigmoid(outputs[:, :, :classes]).mean(0)
    boxes = outputs[:, :, classes : classes + REGRESSION_CHANNELS].mean(0)
    direction = torch.sigmoid(outputs[:, :, classes + REGRESSION_CHANNELS]).mean(0)
    return SoftTargets(probabilities.clone(), boxes.clone(), direction.clone(), features.clone())


#: Weight of a cell where the teacher sees nothing, in feature imitation (objects weigh their probability).
BACKGROUND_FEATURE_WEIGHT = 0.02


def feature_loss(mapped: torch.Tensor, soft: SoftTargets) -> torch.Tensor:
    """Mean squared gap between the student's mapped features and the teacher's, per cell weighted by
    the teacher's best class probability (at least `BACKGROUND_FEATURE_WEIGHT`)."""
    weight = soft.probabilities.max(dim=1).values.clamp(min=BACKGROUND_FEATURE_WEIGHT)
    gap = (mapped - soft.features).pow(2).mean(dim=1)
    return (gap * weight).sum() / weight.sum()


def soft_losses(
    output: torch.Tensor, soft: SoftTargets, positives: float, box_weight: float = 1.0
) -> dict[str, torch.Tensor]:
    """The distillation terms of a student's raw output against the teacher's soft targets (heatmap term
    divided by ``positives``, the batch's labelled objects; box and direction terms by the teacher's
    object weight; the box term weighs ``box_weight`` times the hard loss's `BOX_WEIGHT`)."""
    classes = soft.probabilities.shape[1]
    logits = output[:, :classes]
    gap = (torch.sigmoid(logits) - soft.probabilities).abs().pow(2)
    heat = (F.binary_cross_entropy_with_logits(logits, soft.probabilities, reduction="none") * gap).sum()
    heat = heat / max(positives, 1.0)
    best = soft.probabilities.max(dim=1).values
    weight = torch.where(best >= OBJECT_PROBABILITY, best, torch.zeros_like(best))
    norm = weight.sum().clamp(min=1.0)
    values = output[:, classes : classes + REGRESSION_CHANNELS]
    box = ((values - soft.boxes).abs().sum(dim=1) * weight).sum() / norm
    direction = F.binary_cross_entropy_with_logits(
        output[:, classes + REGRESSION_CHANNELS], soft.direction, weight=weight, reduction="sum"
    )
    direction = direction / norm
    return {"soft_heatmap": heat, "soft_box": box, "soft_direction": direction,
            "soft": heat + box_weight * BOX_WEIGHT * box + DIRECTION_WEIGHT * direction}  # fmt: skip


@dataclass
class Progress:
    """One optimiser step of a run."""

    step: int
    total: int
    metrics: dict[str, float]


def _epoch_rng(options: DistillOptions, epoch: int) -> np.random.Generator:
    return np.random.default_rng([options.seed, 24, epoch])


def distill_network(
    teacher: PointPillarsNet,
    heads: Sequence[torch.nn.Module],
    student: PointPillarsNet,
    samples: Sequence[TrainSample],
    options: DistillOptions,
    cancelled: Callable[[], bool] = lambda: False,
    partial: Path | None = None,
    on_step: Callable[[Progress], None] | None = None,
) -> bool:
    """Train ``student`` in place on the teacher's soft targets (and, weighted ``hard_weight``, the
    samples' labels); True when finished (then its batch norms are recomputed), False when cancelled
    (the last finished epoch stays in ``partial`` for a resume)."""
    steps_per_epoch = math.ceil(len(samples) / options.batch_size)
    total = options.epochs * steps_per_epoch
    with torch.random.fork_rng(devices=[]):  # the same options give the same student
        torch.manual_seed(options.seed)
        adapter = torch.nn.Conv2d(student.backbone.out_channels, teacher.backbone.out_channels, 1)
    trained = [*student.parameters(), *(adapter.parameters() if options.feature_weight > 0 else ())]
    optimiser = torch.optim.AdamW(trained, lr=options.learning_rate, weight_decay=0.01)
    cycle = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, options.learning_rate, total_steps=total, pct_start=0.3, div_factor=10.0
    )
    first_epoch = _resume(partial, options, torch.nn.ModuleList([student, adapter]), optimiser, cycle)
    classes = len(student.config.classes)
    for epoch in range(first_epoch, options.epochs):
        rng = _epoch_rng(options, epoch)
        order = rng.permutation(len(samples))
        student.train()
        for index, start in enumerate(range(0, len(order), options.batch_size)):
            if cancelled():
                student.eval()
                return False
            chunk = [samples[i] for i in order[start : start + options.batch_size]]
            if options.partial_views > 0:
                chunk = [partial_views(sample, options.partial_views, rng) for sample in chunk]
            batch = make_batch(chunk, student.config, rng)
            soft = soft_targets(teacher, heads, batch)
            features = student.forward_features(batch.points, batch.frame, batch.size)
            output = student.forward_head(features, 0.0)
            terms = soft_losses(output, soft, float(batch.weights.sum()), options.box_weight)
            if options.feature_weight > 0:
                terms["feature"] = feature_loss(adapter(features), soft)
                terms["soft"] = terms["soft"] + options.feature_weight * terms["feature"]
            if options.hard_weight > 0:
                hard = losses(output, batch, classes)
                terms["hard"] = hard["loss"]
                terms["loss"] = terms["soft"] + options.hard_weight * hard["loss"]
            else:
                terms["loss"] = terms["soft"]
            optimiser.zero_grad(set_to_none=True)
            terms["loss"].backward()
            torch.nn.utils.clip_grad_norm_(trained, GRADIENT_CLIP)
            optimiser.step()
            cycle.step()
            if on_step is not None:
                metrics = {name: float(value.detach()) for name, value in terms.items()}
                on_step(Progress(epoch * steps_per_epoch + index + 1, total, metrics))
        if partial is not None:
            torch.save({"format": PARTIAL_FORMAT, "options": options.to_dict(), "epoch": epoch + 1,
                        "student": student.state_dict(), "adapter": adapter.state_dict(),
                        "optimiser": optimiser.state_dict(),
                        "schedule": cycle.state_dict()}, partial)  # fmt: skip
    recalibrate_batch_norm(student, samples, options.batch_size, _epoch_rng(options, options.epochs))
    return True


def _resume(partial: Path | None, options: DistillOptions, modules, optimiser, cycle) -> int:
    """Load a partial run made with the same options; the epoch to continue from (0: a fresh start)."""
    if partial is None or not partial.is_file():
        return 0
    try:
        data = torch.load(partial, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, ValueError) as error:
        logger.warning("%s: unreadable partial distillation (%s); starting afresh", partial, error)
        return 0
    if not isinstance(data, dict) or data.get("format") != PARTIAL_FORMAT:
        return 0
    if data.get("options") != options.to_dict():
        logger.info("%s: made with other options; starting afresh", partial)
        return 0
    modules[0].load_state_dict(data["student"])
    modules[1].load_state_dict(data["adapter"])
    optimiser.load_state_dict(data["optimiser"])
    cycle.load_state_dict(data["schedule"])
    return int(data["epoch"])
