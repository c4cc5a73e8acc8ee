"""Training the base detector on generated frames: resumable, on CUDA when present, else on the CPU.

`train_base` builds (or reuses) the frame cache, then trains one `PointPillarsNet` (ground-levelled input,
no intensity) with the sensor-agnostic augmentations of `plugins.pointpillars.base_augment`. After every
epoch it writes a resumable checkpoint (``checkpoints/epoch_NNN.pt`` and ``checkpoints/last.pt``: weights,
optimiser, epoch, time so far) and the plugin weights of that epoch (``weights/epoch_NNN.pt``, loadable by
the pointpillars plugin). The learning rate follows one warm-up-then-cosine cycle over all epochs, a pure
function of the step, so a resumed run continues it exactly.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from annotator.ml.protocol import PluginError
from plugins.pointpillars.base_augment import ObjectBank
from plugins.pointpillars.base_batches import EpochBatches, epoch_batches
from plugins.pointpillars.base_data import BASE_GROUND_Z, CachedFrame, build_cache, load_frame
from plugins.pointpillars.config import PillarConfig
from plugins.pointpillars.model import PointPillarsDetector, torch_threads
from plugins.pointpillars.network import PointPillarsNet
from plugins.pointpillars.sensors import GENERATOR, SENSORS
from plugins.pointpillars.training import (
    GRADIENT_CLIP,
    Batch,
    TrainSample,
    direction_accuracy,
    losses,
    recalibrate_batch_norm,
)

logger = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "annotator-pointpillars-base/1"
#: Progress lines per epoch.
LINES_PER_EPOCH = 5
WARMUP_SHARE = 0.1
#: Weight of the heading-direction (front/back) loss in base training: five times the fine-tuning one,
#: since a quarter of the first base model's cars pointed backwards (the fine-tuning weight starts from a
#: model that already knows front from back).
DIRECTION_WEIGHT = 1.0


@dataclass
class BaseOptions:
    """What a base training run does (the checkpoint keeps them; a resume reuses data options)."""

    frames: int = 400
    epochs: int = 12
    sensors: tuple[str, ...] = SENSORS
    seed: int = 0
    batch_size: int = 4
    learning_rate: float = 0.003
    paste: bool = True
    device: str = "auto"
    threads: int = 0
    cache: str = ""
    init: str = ""
    workers: int = 0
    minutes: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain values."""
        values = asdict(self)
        values["sensors"] = list(self.sensors)
        return values


@dataclass
class BaseRun:
    """Where a run stands: epochs done, optimiser steps, seconds spent training, loss per epoch."""

    epoch: int = 0
    step: int = 0
    seconds: float = 0.0
    history: list[dict[str, float]] = field(default_factory=list)


def base_config() -> PillarConfig:
    """The base detector's grid and network: the plugin's default shape, ground-levelled, no intensity."""
    return PillarConfig(ground_z=BASE_GROUND_Z, intensity=False)


def initial_network(path: Path) -> PointPillarsNet:
    """The network of plugin weights at ``path`` (its first member), to start a new run from (``--init``);
    `ValueError` when the file is not pointpillars weights."""
    detector = PointPillarsDetector()
    try:
        detector.load(str(path))
    except PluginError as error:
        raise ValueError(str(error)) from error
    return detector.members[0]


def pick_device(name: str) -> torch.device:
    """``auto``: CUDA when a GPU is present, else the CPU; or exactly the device named."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {name}: no CUDA GPU is available")
    return torch.device(name)


def learning_rate(progress: float, peak: float) -> float:
    """The rate at ``progress`` (0..1, share of all epochs done): linear warm-up from peak / 10 over the
    first tenth, then a cosine down to peak / 100. A function of the progress, not of the step count, so
    a run resumed with other frames or epochs continues the curve where it stands."""
    if progress < WARMUP_SHARE:
        return peak * (0.1 + 0.9 * progress / WARMUP_SHARE)
    done = min(1.0, (progress - WARMUP_SHARE) / (1.0 - WARMUP_SHARE))
    return peak * (0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * done)))


def epochs_within(minutes: float, run: BaseRun) -> int:
    """How many epochs fit in a training budget of ``minutes`` at the pace of the epochs done so far (no
    fewer than those done; 0 minutes: no budget, a very large number)."""
    if minutes <= 0 or run.epoch == 0:
        return 2**31
    return max(run.epoch, int(minutes * 60 / (run.seconds / run.epoch)))


def base_step(
    net: PointPillarsNet, optimiser: torch.optim.Optimizer, batch: Batch, classes: int
) -> tuple[Any, dict[str, torch.Tensor]]:
    """One optimiser step of base training on ``batch`` (already on the network's device): the network's
    output and the loss terms."""
    output = net(batch.points, batch.frame, batch.size, 0.1)
    terms = losses(output, batch, classes, DIRECTION_WEIGHT)
    optimiser.zero_grad(set_to_none=True)
    terms["loss"].backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), GRADIENT_CLIP)
    optimiser.step()
    return output, terms


def _plain(frame: CachedFrame) -> TrainSample:
    return TrainSample(frame.points, frame.boxes, frame.labels, np.ones(len(frame.boxes), np.float32))


def export_weights(net: PointPillarsNet, frames: list[CachedFrame], path: Path, seed: int) -> None:
    """Write ``net`` (on the CPU, batch-norm statistics recomputed on unaugmented frames) as plugin
    weights."""
    exported = copy.deepcopy(net).cpu()
    recalibrate_batch_norm(exported, [_plain(f) for f in frames], 2, np.random.default_rng(seed))
    PointPillarsDetector.from_network(exported).save(str(path))


def save_checkpoint(path: Path, net: PointPillarsNet, optimiser, options: BaseOptions, run: BaseRun) -> None:
    """A resumable checkpoint (tensors and plain values only)."""
    temporary = path.with_suffix(".tmp")
    torch.save(
        {
            "format": CHECKPOINT_FORMAT,
            "config": net.config.to_dict(),
            "model": net.state_dict(),
            "optimiser": optimiser.state_dict(),
            "options": options.to_dict(),
            "run": asdict(run),
        },
        temporary,
    )
    temporary.replace(path)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """A checkpoint written by `save_checkpoint`; `ValueError` for anything else."""
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # weights_only refuses anything but tensors and plain values
        raise ValueError(
            f"{path}: not a readable base-training checkpoint ({type(error).__name__})"
        ) from error
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: not a base-training checkpoint ({CHECKPOINT_FORMAT})")
    return data


def resumed_options(data: dict[str, Any], overrides: dict[str, Any]) -> BaseOptions:
    """The checkpoint's options with ``overrides`` (options given again on the command line) applied."""
    values = {**data["options"], **{k: v for k, v in overrides.items() if v is not None}}
    values["sensors"] = tuple(values["sensors"])
    return BaseOptions(**values)


def train_base(
    out: Path,
    options: BaseOptions,
    log: Callable[[str], None],
    resume: dict[str, Any] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> BaseRun:
    """Train (or continue, from a `load_checkpoint` result) the base detector into ``out``."""
    device = pick_device(options.device)
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("checkpoints", "weights"):
        (out / sub).mkdir(exist_ok=True)
    cache = Path(options.cache) if options.cache else out / "cache"
    log(f"device {device}; {options.frames} generated frames ({', '.join(options.sensors)}; generator "
        f"{GENERATOR}) in {cache}")  # fmt: skip
    started = time.monotonic()

    def generated(done: int, total: int, new: int) -> None:
        if done == total or done % max(2, total // 10) < 2:
            log(f"  frames {done}/{total} ({new} generated, {time.monotonic() - started:.0f} s)")

    paths = build_cache(cache, options.frames, options.sensors, options.seed, generated, options.workers)
    frames = [load_frame(p) for p in paths]
    config = base_config() if resume is None else PillarConfig.from_dict(resume["config"])
    start = initial_network(Path(options.init)) if options.init and resume is None else None
    if start is not None:
        config = start.config
    bank = ObjectBank(frames, len(config.classes)) if options.paste else None
    log(f"data ready in {time.monotonic() - started:.0f} s: {sum(len(f.boxes) for f in frames)} objects, "
        f"{len(bank) if bank else 0} in the sampling bank")  # fmt: skip
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(options.seed)
        net = PointPillarsNet(config)
    if start is not None:
        net.load_state_dict(start.state_dict())
        log(f"starting from the weights {options.init} (new optimiser and learning-rate cycle)")
    run = BaseRun()
    optimiser = torch.optim.AdamW(net.parameters(), lr=options.learning_rate, weight_decay=0.01)
    if resume is not None:
        net.load_state_dict(resume["model"])
        net.to(device)
        optimiser.load_state_dict(resume["optimiser"])
        run = BaseRun(**resume["run"])
        log(f"resuming after epoch {run.epoch} ({run.step} steps, {run.seconds:.0f} s of training so far)")
    net.to(device)
    per_epoch = math.ceil(len(frames) / options.batch_size)
    with torch_threads(options.threads):
        for epoch in range(run.epoch, options.epochs):
            if cancelled():
                break
            epoch_start, losses_seen, directions = time.monotonic(), [], []
            net.train()
            batches = EpochBatches(frames, bank, config, options.batch_size, options.seed, epoch)
            for b, batch in enumerate(epoch_batches(batches, options.workers)):
                if cancelled():
                    break
                for name in (
                    "points",
                    "frame",
                    "heatmap",
                    "weight_map",
                    "cells",
                    "boxes",
                    "direction",
                    "weights",
                ):
                    setattr(batch, name, getattr(batch, name).to(device))
                for group in optimiser.param_groups:
                    group["lr"] = learning_rate(
                        (epoch + b / per_epoch) / options.epochs, options.learning_rate
                    )
                output, terms = base_step(net, optimiser, batch, len(config.classes))
                run.step += 1
                losses_seen.append(float(terms["loss"].detach()))
                directions.append(direction_accuracy(output, batch, len(config.classes)))
                if (b + 1) % max(1, per_epoch // LINES_PER_EPOCH) == 0:
                    spent = time.monotonic() - epoch_start
                    left = spent / (b + 1) * (per_epoch - b - 1 + per_epoch * (options.epochs - epoch - 1))
                    log(f"  epoch {epoch + 1}/{options.epochs} step {b + 1}/{per_epoch}  loss "
                        f"{np.mean(losses_seen[-per_epoch // LINES_PER_EPOCH:]):.3f}  "
                        f"{spent / (b + 1):.2f} s/step  ~{left / 60:.0f} min left")  # fmt: skip
            else:
                run.epoch = epoch + 1
                run.seconds += time.monotonic() - epoch_start
                run.history.append({"epoch": epoch + 1, "loss": float(np.mean(losses_seen)),
                                    "direction_accuracy": float(np.mean(directions)),
                                    "seconds": time.monotonic() - epoch_start})  # fmt: skip
                fitting = epochs_within(options.minutes, run)
                if fitting < options.epochs:  # before the checkpoints, so that a resume keeps the cut
                    options = replace(options, epochs=fitting)
                    log(f"time budget {options.minutes:g} min: the run ends after epoch {fitting} "
                        f"({run.seconds / run.epoch / 60:.1f} min an epoch), where the learning-rate cycle now ends")  # fmt: skip
                name = f"epoch_{epoch + 1:03d}.pt"
                save_checkpoint(out / "checkpoints" / name, net, optimiser, options, run)
                save_checkpoint(out / "checkpoints" / "last.pt", net, optimiser, options, run)
                export_weights(net, frames[:32], out / "weights" / name, options.seed)
                log(f"epoch {epoch + 1}/{options.epochs}: mean loss {run.history[-1]['loss']:.3f}, heading "
                    f"direction right {run.history[-1]['direction_accuracy']:.0%}, "
                    f"{run.history[-1]['seconds']:.0f} s; training time so far {run.seconds / 60:.1f} min; "
                    f"saved checkpoints/{name} and weights/{name}")  # fmt: skip
                if run.epoch >= options.epochs:
                    break
                continue
            break
    (out / "run.json").write_text(json.dumps({"options": options.to_dict(), "run": asdict(run),
                                              "device": str(device), "generator": GENERATOR},
                                             indent=1), encoding="utf-8")  # fmt: skip
    return run
