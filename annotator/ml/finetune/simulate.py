"""Replaying the annotation of a project whose ground truth is known, to measure what a model saves.

A scripted annotator goes through the frames in order. On each it sees the current model's proposals
(none with the ``manual`` strategy), counts the edits that turn them into the ground truth
(`annotator.ml.finetune.edits`), puts the ground truth in as verified labels and moves on. Strategies:
``manual`` (no model), ``propagate`` (no model: the boxes of the frame annotated before carried in by the
window's propagation, `annotator.ml.finetune.carry`; ``carry`` joins them to the model strategies' proposals),
``fixed`` (the initial model, never retrained: ``initial_weights``, else the
weights the plugin ships, else fresh ones; ``from_scratch`` skips the shipped ones), ``online`` (fine-tuned every K
frames in a child process with replay, forgetting gate, promotion), ``online-uncertainty`` (the same with
uncertainty-driven selection of the new frames and self-training on pseudo-labels), ``escalate`` (the
initial model scored K times per frame; proposals below the uncertainty threshold are accepted unreviewed,
the rest reviewed, frames with a high OOD score reviewed whole: `annotator.ml.uncertainty.escalation`,
with a sweep of thresholds in the report; with ``adapt_every`` K the error model and the OOD reference
learn from the verified frames every K frames: `annotator.ml.uncertainty.adaptation`; ``adapt_model``
also fine-tunes the model then, as ``online`` does). Forgetting: after
every promotion the current model is run on the first frames annotated ("probe" frames) and their edit
count is recorded; forgetting is the final count minus the best one seen.

The project itself is never written: the simulation works on an in-memory copy of its frames, and the
fine-tuned weights go to a temporary folder (removed afterwards). The oracle is the demo generator's
ground truth (objects with fewer than ``min_points`` LiDAR points are "don't care") or, for another
project, its human-confirmed annotations.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, SetFrameStatus
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, FrameStatus
from annotator.io.reference_labels import project_reference_labels
from annotator.io.store import ProjectStore
from annotator.ml.finetune.carry import LOST_FRAMES, Carrier, with_carried
from annotator.ml.finetune.edits import EditCounts, EffortModel, Tolerance, count_edits
from annotator.ml.finetune.job import FineTuneJob
from annotator.ml.finetune.pipeline import plan_finetune, record_result
from annotator.ml.finetune.spec import FineTuneOptions
from annotator.ml.preannotate import frame_input
from annotator.ml.protocol import Detections, FrameInput
from annotator.ml.registry import PluginError, PluginRegistry
from annotator.ml.shipped import base_weights
from annotator.ml.training import is_label
from annotator.ml.uncertainty.adaptation import OnlineAdapter
from annotator.ml.uncertainty.escalation import (
    SWEEP,
    EscalationFrame,
    EscalationOutcome,
    EscalationRule,
    escalate_frame,
    sweep,
)
from annotator.ml.uncertainty.escalation_frames import escalation_frame
from annotator.ml.uncertainty.ranking import ranking_after_adaptation
from annotator.ml.uncertainty.sequence_escalation import CarrySettings, SequenceEscalation, carried_sweep

logger = logging.getLogger(__name__)

STRATEGIES = ("manual", "propagate", "fixed", "online", "online-uncertainty", "escalate")
#: Strategies whose model proposals ``carry`` can join with the previous frame's carried boxes.
CARRYING = ("fixed", "online", "online-uncertainty", "escalate")


@dataclass
class Oracle:
    """A frame's ground truth: boxes to label (class, cuboid) and "don't care" boxes."""

    truths: list[tuple[str, Cuboid]]
    ignore: list[Cuboid] = field(default_factory=list)
    #: The track of each truth where the labels have tracks (what ``carry`` moves them by), else empty.
    tracks: list[int | None] = field(default_factory=list)


@dataclass
class SimulationSettings:
    """How to simulate. ``every``: fine-tune after this many frames (online strategies). ``probe``: frames
    re-checked for forgetting. ``params``: plugin parameters for prediction (e.g. score_threshold), also
    given to fine-tuning (under ``options.params``, which win) so that it measures and trains alike."""

    strategy: str
    every: int = 5
    options: FineTuneOptions = field(default_factory=FineTuneOptions)
    params: dict[str, Any] = field(default_factory=dict)
    initial_weights: Path | None = None
    from_scratch: bool = False
    plugin_folders: list[Path] | None = None
    entry_points: bool = True
    probe: int = 5
    min_points: int = 10
    tolerance: Tolerance = field(default_factory=Tolerance)
    costs: EffortModel = field(default_factory=EffortModel)
    job_timeout: float = 1800.0
    escalation: EscalationRule = field(default_factory=EscalationRule)
    mode: str = "ensemble"
    passes: int = 5
    min_score: float = 0.3
    #: escalate: refit the error model and the OOD reference on the verified frames every K frames (0: off).
    adapt_every: int = 0
    #: escalate with ``adapt_every``: also fine-tune the model (its heads and OOD index follow) then.
    adapt_model: bool = False
    #: fixed / online: the previous frame's verified boxes are carried in (`annotator.ml.finetune.carry`)
    #: and the model's proposals are added where none stands (``propagate``: carried boxes alone).
    carry: bool = False
    #: escalate with ``carry``: when a carried box is confirmed and how long rejections keep proposals away
    #: (None: the defaults, with ``min_points``).
    carry_rule: CarrySettings | None = None


@dataclass
class FrameResult:
    """One simulated frame: its edits, their time under the effort model (and drawing every box instead),
    and the model version that proposed."""

    frame: str
    edits: EditCounts
    proposals: int
    truths: int
    model_version: str | None
    effort_s: float = 0.0
    manual_effort_s: float = 0.0


@dataclass
class SimulationReport:
    """A whole simulated run."""

    strategy: str
    plugin: str
    frames: list[FrameResult] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    probe: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    costs: EffortModel = field(default_factory=EffortModel)
    escalation: list[EscalationOutcome] = field(default_factory=list)
    #: escalate with adaptation: how P(wrong) ranks the wrong proposals after the first adaptation, against the
    #: score alone (`annotator.ml.uncertainty.ranking.ranking_after_adaptation`).
    ranking: dict[str, float | int] | None = None
    #: The previous frame's boxes were carried in (``propagate``, or a model strategy with ``carry``).
    carry: bool = False

    @property
    def totals(self) -> EditCounts:
        """Edits summed over the frames."""
        total = EditCounts()
        for result in self.frames:
            total = total + result.edits
        return total

    @property
    def effort_s(self) -> float:
        """The annotator's time over the frames under the effort model (s)."""
        return sum(f.effort_s for f in self.frames)

    @property
    def manual_effort_s(self) -> float:
        """The time drawing every box of the same frames from scratch takes (s)."""
        return sum(f.manual_effort_s for f in self.frames)

    @property
    def forgetting(self) -> int | None:
        """Probe-frame edits of the final model minus the fewest seen (None without probes)."""
        if not self.probe:
            return None
        counts = [p["edits"] for p in self.probe]
        return counts[-1] - min(counts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "strategy": self.strategy,
            "plugin": self.plugin,
            "carry": self.carry,
            "totals": {**self.totals.to_dict(), "effort_s": round(self.effort_s, 1)},
            "manual_effort_s": round(self.manual_effort_s, 1),
            "costs": self.costs.to_dict(),
            "truths": sum(f.truths for f in self.frames),
            "forgetting": self.forgetting,
            "seconds": round(self.seconds, 1),
            "frames": [{**dataclasses.asdict(f), "edits": f.edits.to_dict()} for f in self.frames],
            "versions": self.versions,
            "probe": self.probe,
            "escalation": [o.to_dict() for o in self.escalation],
            "ranking": self.ranking,
        }


def oracle_of(
    root: Path, base: Project, frames: Sequence[Frame], classes: Sequence[str], min_points: int
) -> dict[int, Oracle]:
    """Ground truth per frame id: the project's reference labels, else its confirmed labels."""
    result = {}
    reference = project_reference_labels(root)
    if reference is not None:
        for frame in frames:
            objects = reference.of(frame.name)
            if objects is None:
                raise PluginError(f"{reference.path}: no reference labels for frame {frame.name}")
            wanted = [o for o in objects if o.label in classes and o.num_points >= min_points]
            result[frame.id] = Oracle(
                [(o.label, o.cuboid) for o in wanted],
                [o.cuboid for o in objects if o not in wanted],
                [o.track_id for o in wanted],
            )
        return result
    for frame in frames:
        labels = [a for a in base.annotations_of(frame.id, "cuboid") if is_label(a)]
        wanted = [a for a in labels if a.class_name in classes]
        result[frame.id] = Oracle(
            [(a.class_name, a.cuboid) for a in wanted],
            [a.cuboid for a in labels if a.class_name not in classes],
            [a.track_id for a in wanted],
        )
    if not any(o.truths for o in result.values()):
        raise PluginError(f"{root}: neither reference labels nor confirmed labels to simulate with")
    return result


class _Simulation:
    """State of one run: the in-memory project and its stack, the model, the report."""

    def __init__(
        self, root: Path, registry: PluginRegistry, plugin: str, settings: SimulationSettings
    ) -> None:
        if settings.strategy not in STRATEGIES:
            raise PluginError(f"unknown strategy {settings.strategy!r} (choose from {', '.join(STRATEGIES)})")
        if settings.carry and settings.strategy not in CARRYING:
            raise PluginError(
                f"carry joins a model's proposals ({', '.join(CARRYING)}), not {settings.strategy}"
            )
        self.root, self.registry, self.settings = root, registry, settings
        self.manifest = registry.manifest(plugin)
        if self.manifest.task != "detect3d":
            raise PluginError(f"simulate replays cuboid annotation; plugin {plugin} is {self.manifest.task}")
        store = ProjectStore.open(root, read_only=True)
        try:
            self.base = store.load()
        finally:
            store.close()
        self.project = self.blank_project()
        self.stack = UndoStack(self.project)
        self.values = self.manifest.parameter_values(settings.params)
        self.model = None if settings.strategy in ("manual", "propagate") else registry.load(plugin)
        self.carry = settings.carry or settings.strategy == "propagate"
        #: The frame annotated last (whose verified boxes ``carry`` carries into the next frame).
        self.previous: Frame | None = None
        lost = settings.carry_rule.lost_frames if settings.carry_rule is not None else LOST_FRAMES
        self.carrier = Carrier(settings.min_points, lost)
        self.initial = settings.initial_weights
        if self.model is not None and self.initial is None and not settings.from_scratch:
            self.initial = base_weights(self.manifest)
        if self.model is not None and self.initial is not None:
            self.model.load(str(self.initial))
        self.report = SimulationReport(settings.strategy, plugin, costs=settings.costs, carry=self.carry)

    def blank_project(self) -> Project:
        """An in-memory project with the base project's frames (all new) and no labels."""
        project = Project(self.root, self.base.schema)
        frames = [dataclasses.replace(f, status=FrameStatus.NEW) for f in self.base.frames_in_order()]
        project.load_records(("frame", f.id, f) for f in frames)
        return project

    def points(self, frame: Frame) -> np.ndarray | None:
        """The frame's LiDAR points (None without)."""
        return frame_input(self.project, frame, "detect3d").points

    def proposals(self, frame: Frame) -> list[tuple[str, Cuboid]]:
        """What the annotator sees on ``frame``: the model's proposals, with ``carry`` beside (or, for
        ``propagate``, instead of them) the previous frame's verified boxes carried in."""
        if self.model is None and not self.carry:
            return []
        inputs = frame_input(self.project, frame, "detect3d")
        found = self.model_proposals(inputs)
        if not self.carry or self.previous is None:
            return found
        moved = self.carrier.carry(self.project, self.previous, frame, inputs.points)
        carried = [(a.class_name, a.cuboid) for a in moved]
        return with_carried(carried, found)

    def model_proposals(self, inputs: FrameInput) -> list[tuple[str, Cuboid]]:
        """The current model's boxes on a frame (none without a model)."""
        if self.model is None:
            return []
        found = self.model.predict(inputs, self.values)
        found = found[0] if isinstance(found, (list, tuple)) else found
        assert isinstance(found, Detections)
        return [(found.class_names[int(k)], Cuboid.from_array(b)) for b, k in zip(found.boxes, found.labels)]

    def escalate(self, frame: Frame, oracle: Oracle, inputs: FrameInput) -> EscalationFrame:
        """The frame (``inputs``) scored K times and judged against its ground truth (escalate strategy)."""
        s = self.settings
        return escalation_frame(self.model, self.manifest, inputs, self.values, s.mode, s.passes,
                                oracle.truths, oracle.ignore, s.min_score)  # fmt: skip

    def annotate(self, frame: Frame, oracle: Oracle) -> None:
        """The annotator's corrected labels go in; the frame is marked verified (one step)."""
        tracks = _truth_tracks(oracle)
        labels = [
            Annotation(0, frame.id, name, cuboid=box, track_id=track)
            for (name, box), track in zip(oracle.truths, tracks, strict=True)
        ]
        with self.stack.group(f"Annotate {frame.name}"):
            if labels:
                self.stack.push(AddAnnotations(labels))
            self.stack.push(SetFrameStatus(frame.id, FrameStatus.VERIFIED))
        self.previous = self.project.frames[frame.id]

    def finetune(self, models_dir: Path, on_log: Callable[[str], None] | None) -> None:
        settings = self.settings
        options = dataclasses.replace(
            settings.options,
            params=settings.params | settings.options.params,  # same grid, thresholds as the proposals
            uncertainty_selection=settings.strategy == "online-uncertainty",
            self_training=settings.strategy == "online-uncertainty",
        )
        spec = plan_finetune(
            self.project, self.manifest, options, models_dir=models_dir, initial_weights=self.initial,
            plugin_folders=settings.plugin_folders, entry_points=settings.entry_points,
        )  # fmt: skip
        result = FineTuneJob(spec, on_log=on_log).start().wait(settings.job_timeout)
        version, decision = record_result(self.stack.push, self.project, spec, result)
        self.report.versions.append(
            {
                "id": version.id,
                "after_frames": len(self.report.frames),
                "promoted": decision.passed,
                "gate": decision.reasons,
                "scores": result.scores,
                "seconds": round(result.seconds, 1),
                "model_version": version.model_version,
                "card": result.card,
            }
        )
        if decision.passed and self.model is not None:
            self.model.load(result.weights)

    def check_probe(self, frames: Sequence[Frame], oracles: dict[int, Oracle]) -> None:
        probe = frames[: self.settings.probe]
        total = EditCounts()
        for frame in probe:
            oracle = oracles[frame.id]
            proposals = self.model_proposals(frame_input(self.project, frame, "detect3d"))
            total = total + count_edits(proposals, oracle.truths, oracle.ignore, self.settings.tolerance)
        self.report.probe.append({"after_frames": len(self.report.frames), "edits": total.total})


def _truth_tracks(oracle: Oracle) -> list[int | None]:
    """The track of each of the oracle's truths (None where the labels have no tracks)."""
    return list(oracle.tracks) if oracle.tracks else [None] * len(oracle.truths)


def simulate(
    root: Path,
    registry: PluginRegistry,
    plugin: str,
    settings: SimulationSettings,
    frames: Callable[[Project], list[Frame]] | None = None,
    on_frame: Callable[[FrameResult], None] | None = None,
    on_log: Callable[[str], None] | None = None,
) -> SimulationReport:
    """Run one strategy over the project's frames (``frames`` picks them; all by default)."""
    start = time.perf_counter()
    run = _Simulation(root, registry, plugin, settings)
    chosen = frames(run.project) if frames is not None else run.project.frames_in_order()
    oracles = oracle_of(root, run.base, chosen, run.manifest.classes, settings.min_points)
    online = settings.strategy.startswith("online")
    models_dir = Path(tempfile.mkdtemp(prefix="annotator-simulate-"))
    escalated: list[EscalationFrame] = []
    #: escalate with carry: the default rule applied along the sequence as it goes, and its frames
    sequence = None
    carried: list[tuple[Frame, EscalationFrame, list[int | None]]] = []
    if settings.strategy == "escalate" and settings.carry:
        sequence = SequenceEscalation(
            run.blank_project(), settings.escalation, settings.carry_rule or CarrySettings(min_points=settings.min_points),
            settings.adapt_every, settings.costs, settings.tolerance,
        )  # fmt: skip
    adapter = None
    if settings.strategy == "escalate" and settings.adapt_every > 0:
        adapter = OnlineAdapter(
            settings.adapt_every, getattr(run.model, "ood_index", None), settings.escalation.cluster_threshold
        )
    try:
        for position, frame in enumerate(chosen):
            oracle = oracles[frame.id]
            version = None if run.model is None else run.model.version
            if settings.strategy == "escalate":
                inputs = frame_input(run.project, frame, "detect3d")
                judged = run.escalate(frame, oracle, inputs)
                escalated.append(judged if adapter is None else adapter.judge(judged))
                if sequence is None:
                    outcome = escalate_frame(
                        escalated[-1], settings.escalation, settings.costs, settings.tolerance
                    )
                else:
                    tracks = _truth_tracks(oracle)
                    carried.append((frame, escalated[-1], tracks))
                    outcome = sequence.step(frame, escalated[-1], tracks, inputs.points)
                result = FrameResult(frame.name, outcome.edits, outcome.boxes, outcome.truths, version,
                                     outcome.effort_s, outcome.manual_s)  # fmt: skip
            else:
                proposals = run.proposals(frame)
                edits = count_edits(proposals, oracle.truths, oracle.ignore, settings.tolerance)
                result = FrameResult(
                    frame.name, edits, len(proposals), len(oracle.truths), version,
                    settings.costs.seconds(edits), settings.costs.manual_seconds(len(oracle.truths)),
                )  # fmt: skip
            run.report.frames.append(result)
            if on_frame is not None:
                on_frame(result)
            run.annotate(frame, oracle)
            done = position + 1
            adapt_now = adapter is not None and done % settings.adapt_every == 0 and done < len(chosen)
            if adapt_now and settings.adapt_model:
                run.finetune(models_dir, on_log)
                if run.report.versions[-1]["promoted"]:
                    adapter.rebase(getattr(run.model, "ood_index", None))
            if online and done % settings.every == 0 and done < len(chosen):
                run.finetune(models_dir, on_log)
                if run.report.versions[-1]["promoted"]:
                    run.check_probe(chosen, oracles)
    finally:
        shutil.rmtree(models_dir, ignore_errors=True)
    if escalated and adapter is not None:
        run.report.ranking = ranking_after_adaptation(escalated, settings.adapt_every)
    if escalated:
        rule = settings.escalation
        thresholds = sorted({*SWEEP, rule.threshold})
        if sequence is None:
            run.report.escalation = sweep(
                escalated, thresholds, rule.ood_threshold, settings.costs, settings.tolerance, rule.max_miss_rate,
                rule.cluster_threshold,
            )  # fmt: skip
        else:
            others = [t for t in thresholds if t != rule.threshold]
            swept = carried_sweep(
                carried, run.blank_project, run.points, others, rule, sequence.settings, settings.adapt_every,
                settings.costs, settings.tolerance,
            )  # fmt: skip
            run.report.escalation = sorted([*swept, sequence.total], key=lambda o: o.threshold)
    run.report.seconds = time.perf_counter() - start
    return run.report
