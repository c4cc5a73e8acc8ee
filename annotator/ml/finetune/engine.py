"""The work of a fine-tuning job (runs in the child process; plain Python, callable in-process by tests).

1. Load the plugin (from the process's host, which caps the framework's CPU threads) and the parent's weights.
2. Measure the parent on the held-apart old and new frames (for the forgetting gate; while none is held
   apart, on some of the frames it trained on).
3. With self-training, pseudo-label unverified frames (sampled K times for the uncertainty).
4. Train on new frames mixed with a replay sample of old ones (and the pseudo frames, and generated frames
   for a 3D plugin that ships base weights while the project has few verified ones); with uncertainty
   selection, in rounds of a few epochs, the most uncertain new frames under the current weights (chosen
   again before each round) are trained twice as often.
5. Measure the candidate on the same frames and save its weights.

Messages go through ``emit(kind, payload)``: ``progress`` (step, total, metrics, message), ``log`` (a
line), ``scores`` (a dict) — the job forwards them to the parent.
"""

from __future__ import annotations

import hashlib
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from annotator.core.model.project import Project
from annotator.ml.finetune.data import (
    HELD_NEW,
    HELD_OLD,
    PSEUDO,
    REPLAY,
    TRAIN,
    FrameLabels,
    mix_replay,
    most_uncertain,
    select_pseudo_labels,
    uncertain_diverse_frames,
)
from annotator.ml.finetune.gate import report_score
from annotator.ml.finetune.spec import FineTuneOptions, FineTuneResult, FineTuneSpec
from annotator.ml.host import PluginHost
from annotator.ml.manifest import PluginManifest
from annotator.ml.preannotate import frame_input
from annotator.ml.protocol import CancelToken, Detections, FitProgress, FrameInput, LabelledFrame
from annotator.ml.quality import HeldApartFrame, measure_quality
from annotator.ml.registry import PluginError, PluginRegistry
from annotator.ml.shipped import replay_source
from annotator.ml.uncertainty.aggregate import aggregate
from annotator.ml.uncertainty.sampling import sample_frame, supported_modes
from annotator.ml.weights import record_digest

logger = logging.getLogger(__name__)

Emit = Callable[[str, Any], None]
T = TypeVar("T")

#: While no frame is held apart, the gate measures "old" on at most this many frames the parent trained on.
TRAINED_GATE_FRAMES = 8


def spread(items: Sequence[T], count: int) -> list[T]:
    """At most ``count`` of ``items``, evenly spaced from the first to the last (all when fewer)."""
    if len(items) <= count:
        return list(items)
    return [items[round(k * (len(items) - 1) / (count - 1))] for k in range(count)]


class _Runner:
    """One run's state: the model, the loaded frame inputs, the emitter and the cancel token."""

    def __init__(self, spec: FineTuneSpec, emit: Emit, cancel: CancelToken, plugins: PluginRegistry) -> None:
        self.spec, self.emit, self.cancel = spec, emit, cancel
        self.manifest = plugins.manifest(spec.plugin)
        self.model = plugins.load(spec.plugin)
        self.values = self.manifest.parameter_values(fine_tuning_params(self.manifest, spec.options))
        if spec.parent_weights and self.manifest.supports("load"):
            self.model.load(spec.parent_weights)
        self.project = Project(spec.root)
        self.inputs: dict[int, FrameInput] = {}

    def frame(self, labels: FrameLabels) -> FrameInput:
        if labels.frame.id not in self.inputs:
            self.inputs[labels.frame.id] = frame_input(self.project, labels.frame, self.spec.task)
        return self.inputs[labels.frame.id]

    def labelled(self, frames: list[FrameLabels]) -> list[LabelledFrame]:
        result = []
        for labels in frames:
            weights = labels.weights or [None] * len(labels.targets)
            for targets, weight in zip(labels.targets, weights):
                partial = labels.role == PSEUDO  # only its confident boxes are known
                result.append(LabelledFrame(self.frame(labels), targets, weight, partial))
        return result

    def gate_sets(self) -> list[tuple[str, list[FrameLabels]]]:
        """The frames each set of the forgetting gate is measured on: the held-apart old and new frames, or,
        while none is held apart (`held_share_now`), up to `TRAINED_GATE_FRAMES` of the frames the current
        version trained on as the "old" set, spread over them (does the candidate keep what it learned?)."""
        held_old, held_new = self.spec.of_role(HELD_OLD), self.spec.of_role(HELD_NEW)
        if held_old or held_new:
            return [("old", held_old), ("new", held_new)]
        return [("old", spread(self.spec.of_role(REPLAY), TRAINED_GATE_FRAMES))]

    def scores(self) -> dict[str, float]:
        """Score per gate set (old, new: `gate_sets`) under the current weights."""
        result = {}
        for name, frames in self.gate_sets():
            held = [HeldApartFrame(f) for f in self.labelled(frames)]
            if not held or self.cancel.is_set():
                continue
            measure = measure_quality(
                self.model, self.spec.task, self.spec.classes, held, self.values, self.cancel
            )
            if measure is not None:
                result[name] = report_score(measure)
        return result

    def uncertainty(self, labels: FrameLabels) -> list[tuple[Detections, np.ndarray]]:
        """The model's aggregated boxes on a frame with their uncertainty (one pair per camera)."""
        modes = supported_modes(self.manifest)
        mode = "mc" if "mc" in modes else "ensemble" if "ensemble" in modes else "tta"
        groups = sample_frame(
            self.model, self.manifest, self.frame(labels), self.values, mode, self.spec.options.passes
        )
        result = []
        for camera, samples in groups.items():
            found = aggregate(samples)
            width = samples[0].boxes.shape[1] if samples else 7
            boxes = np.array([b.box for b in found]).reshape(-1, width)
            detections = Detections(
                boxes, [b.label for b in found], [b.score for b in found], self.spec.classes,
                self.model.version, camera=camera,
            )  # fmt: skip
            result.append((detections, np.array([b.uncertainty for b in found])))
        return result

    def pseudo_frames(self) -> list[FrameLabels]:
        """Unverified frames with the parent's confident, certain boxes (human labels kept, weight 1)."""
        options = self.spec.options
        result = []
        for human in self.spec.unverified[: options.pseudo_frames]:
            if self.cancel.is_set():
                break
            labels = FrameLabels(human.frame, PSEUDO, [], [], human.annotation_ids)
            targets, weights = [], []
            for found, uncertainty in self.uncertainty(human):
                mine = [t for t in human.targets if t.camera == found.camera]
                given = (
                    mine[0] if mine else Detections.empty(self.spec.classes, "labels", found.boxes.shape[1])
                )
                chosen, weight = select_pseudo_labels(
                    found, uncertainty, given, options.pseudo_min_score, options.pseudo_max_uncertainty,
                    options.pseudo_weight,
                )  # fmt: skip
                if len(chosen):
                    targets.append(chosen)
                    weights.append(weight)
            if any((w < 1).any() for w in weights):  # frames with pseudo-labels only
                labels.targets, labels.weights = targets, weights
                labels.digest = labels_digest_of(targets)
                result.append(labels)
        count = sum(int((w < 1).sum()) for f in result for w in f.weights)
        self.emit("log", f"pseudo-labels: {count} boxes on {len(result)} unverified frames")
        return result

    def fit(
        self,
        frames: list[FrameLabels],
        epochs: int | None,
        offset: int,
        total: int | None,
        rate_factor: float = 1.0,
        extra: Sequence[LabelledFrame] = (),
    ) -> list[float]:
        params = dict(self.values)
        if epochs is not None:
            params["epochs"] = epochs
        if rate_factor != 1.0 and params.get("learning_rate"):
            params["learning_rate"] = float(params["learning_rate"]) * rate_factor
        losses = []
        data = self.labelled(frames) + list(extra)
        for progress in self.model.fit(data, params, self.cancel):
            if "loss" in progress.metrics:
                losses.append(float(progress.metrics["loss"]))
            step_total = total if total is not None else progress.total
            self.emit(
                "progress",
                FitProgress(offset + progress.step, step_total, progress.metrics, progress.message),
            )
        return losses


def fine_tuning_params(manifest: PluginManifest, options: FineTuneOptions) -> dict[str, Any]:
    """The plugin parameters of a fine-tuning run: the plugin's ``finetune_defaults`` (e.g. no flip
    augmentation when adapting to one sequence), overridden by the options' own, and the thread count."""
    params = manifest.finetune_defaults | dict(options.params)
    if any(p.name == "threads" for p in manifest.parameters):
        params.setdefault("threads", options.threads)
    return params


def labels_digest_of(targets: list[Detections]) -> str:
    """A content hash of pseudo targets (they have no annotation ids)."""
    digest = hashlib.sha1()
    for t in targets:
        digest.update(np.round(t.boxes, 4).tobytes())
        digest.update(t.labels.tobytes())
    return digest.hexdigest()[:16]


def job_host(spec: FineTuneSpec) -> PluginHost:
    """The plugin host of a job's process: the spec's plugin folders (and entry points), its thread cap."""
    folders = None if spec.plugin_folders is None else [Path(p) for p in spec.plugin_folders]
    return PluginHost(
        dropin_folders=folders, entry_points_too=spec.entry_points, threads=spec.options.threads
    )


def run_finetune(
    spec: FineTuneSpec, emit: Emit, cancel: CancelToken, plugins: PluginRegistry
) -> FineTuneResult:
    """Run a job (see the module docstring) with the plugin from ``plugins`` (the process's host, see
    `job_host`); the candidate's weights go to ``spec.output``."""
    start = time.perf_counter()
    runner = _Runner(spec, emit, cancel, plugins)
    options = spec.options
    rng = random.Random(options.seed)
    emit("log", f"{spec.plugin}: {len(spec.of_role(TRAIN))} new, {len(spec.of_role(REPLAY))} old, "
         f"{len(spec.of_role(HELD_OLD, HELD_NEW))} held-apart frames")  # fmt: skip
    parent = runner.scores()
    emit("scores", {"parent": parent})
    new, old = spec.of_role(TRAIN), spec.of_role(REPLAY)
    if not new and not old:
        raise PluginError("no verified training frame: nothing to fine-tune on")
    pseudo = runner.pseudo_frames() if options.self_training and not cancel.is_set() else []
    losses, selected = _train(runner, new, old, pseudo, rng)
    weights = None
    candidate: dict[str, float] = {}
    if not cancel.is_set():
        candidate = runner.scores()
        emit("scores", {"parent": parent, "candidate": candidate})
    if not cancel.is_set() and runner.manifest.supports("save"):
        partial = Path(spec.output + ".partial")
        runner.model.save(str(partial))
        partial.replace(spec.output)
        record_digest(Path(spec.output))
        weights = spec.output
    data = [f.entry() for f in (*spec.frames, *pseudo)]
    card = getattr(runner.model, "adaptation_card", None)
    return FineTuneResult(
        runner.model.version, weights, {"parent": parent, "candidate": candidate}, losses, data,
        time.perf_counter() - start, cancel.is_set(), selected, pseudo,
        card() if card is not None and not cancel.is_set() else {},
    )  # fmt: skip


def _train(
    runner: _Runner,
    new: list[FrameLabels],
    old: list[FrameLabels],
    pseudo: list[FrameLabels],
    rng: random.Random,
) -> tuple[list[float], list[int]]:
    """Fit on new + replay (+ pseudo) frames. With uncertainty selection the run goes in rounds of
    ``reselect_every`` epochs; before each, the ``select_share`` most uncertain new frames under the current
    weights are chosen and trained twice as often in that round. Returns the losses and the chosen frames."""
    options = runner.spec.options
    select = options.uncertainty_selection and len(new) > 1
    epochs = runner.values.get("epochs") if select else None
    every = max(1, options.reselect_every)
    rounds = math.ceil(epochs / every) if epochs else 1
    losses: list[float] = []
    selected: set[int] = set()
    done = 0
    generated = _generated_replay(runner, len(new) + len(old))
    for number in range(rounds):
        if runner.cancel.is_set():
            break
        chunk = new
        round_epochs = None if epochs is None else min(every, epochs - number * every)
        if select:
            scores = {f.frame.id: _frame_uncertainty(runner, f) for f in new}
            features = _frame_features(runner, new) if options.diversity > 0 else None
            if features is None:
                keep = set(most_uncertain(scores, options.select_share))
                how = "most uncertain"
            else:
                keep = set(
                    uncertain_diverse_frames(scores, features, options.select_share, options.diversity)
                )
                how = f"most uncertain and diverse (weight {options.diversity:g})"
            chunk = new + [f for f in new if f.frame.id in keep]
            selected |= keep
            runner.emit("log", f"round {number + 1}/{rounds}: the {len(keep)} {how} of {len(new)} "
                        "new frames trained twice")  # fmt: skip
        mix = mix_replay(chunk, old, options.replay_ratio, rng) + pseudo
        total = None if rounds == 1 else _estimate_total(len(mix) + len(generated), epochs, runner.values)
        losses += runner.fit(mix, round_epochs, done, total, round_rate(number, rounds), generated)
        done += _estimate_total(len(mix) + len(generated), round_epochs, runner.values)
    return losses, sorted(selected)


def _generated_replay(runner: _Runner, verified: int) -> list[LabelledFrame]:
    """Generated frames to mix in: for a 3D plugin that ships base weights with a replay source, while the run has fewer than
    ``generated_below`` verified training frames."""
    options = runner.spec.options
    if options.generated_frames <= 0 or verified >= options.generated_below or runner.spec.task != "detect3d":
        return []
    source = replay_source(runner.manifest)
    if source is None:
        return []
    frames = source(runner.spec.classes, options.generated_frames, options.seed)
    runner.emit("log", f"{len(frames)} generated frames replayed beside {verified} verified ones "
                f"(fewer than {options.generated_below})")  # fmt: skip
    return frames


def round_rate(number: int, rounds: int) -> float:
    """Learning-rate factor of round ``number`` (from 0) of ``rounds``: one cosine decay over the run,
    sampled at each round's middle, so that rounds (each a fit call with its own schedule) end converged
    instead of restarting at the full rate (1, 0.81, 0.51, 0.21, 0.03 for five rounds)."""
    if rounds <= 1:
        return 1.0

    def cosine(k: int) -> float:
        return 0.5 * (1.0 + math.cos(math.pi * (k + 0.5) / rounds))

    return cosine(number) / cosine(0)


def _frame_features(runner: _Runner, frames: list[FrameLabels]) -> dict[int, np.ndarray] | None:
    """Each frame's latent embedding from the plugin (optional ``frame_embedding(frame, params)``), or
    None when it gives none."""
    embed = getattr(runner.model, "frame_embedding", None)
    if embed is None:
        return None
    features = {f.frame.id: embed(runner.frame(f), runner.values) for f in frames}
    return None if any(v is None for v in features.values()) else features


def _frame_uncertainty(runner: _Runner, labels: FrameLabels) -> float:
    """A frame's uncertainty for selection: the largest of its objects' (0 without objects)."""
    found = [float(u) for _, uncertainty in runner.uncertainty(labels) for u in uncertainty]
    return max(found, default=0.0)


def _estimate_total(frames: int, epochs: int | None, values: dict[str, Any]) -> int:
    batch = int(values.get("batch_size", 1) or 1)
    return math.ceil(frames / batch) * int(epochs or 1)
