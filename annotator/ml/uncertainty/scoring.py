"""Scoring frames: K passes, aggregated, stored as proposals that carry their uncertainty; the review queue.

A scored frame's proposals of the plugin are replaced (one undoable step per frame, like pre-annotation)
by the aggregated objects; each proposal's ``attributes["uncertainty"]`` holds the measures of
`annotator.ml.uncertainty.aggregate`, the sampling mode, the number of passes and the model version, so
that a score made by an older model can be shown as stale. Reviewed annotations are never touched.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from annotator.core.box2d import Box2D
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Provenance, Review, Source
from annotator.io.workspace import Workspace
from annotator.ml.frame_runs import FrameRunSummary, run_frames
from annotator.ml.manifest import PluginManifest
from annotator.ml.plugin_process import PluginProcess, checked_detections
from annotator.ml.preannotate import ReplaceProposals, frame_input
from annotator.ml.protocol import CancelToken, Detections, FrameInput
from annotator.ml.ray_batch import RaySettings, frame_job, run_frames_on_ray
from annotator.ml.registry import PluginRegistry
from annotator.ml.uncertainty.aggregate import (
    DEFAULT_IOU_THRESHOLD,
    MEASURES,
    AggregatedBox,
    aggregate,
    frame_reductions,
)
from annotator.ml.uncertainty.carried_check import (
    checked_carried,
    rejected_nearby,
    still_frames_of,
    without_rejected,
)
from annotator.ml.uncertainty.carried_points import CarriedPoints, carried_points, cloud_reader
from annotator.ml.uncertainty.escalation import OOD_KEY
from annotator.ml.uncertainty.ood import OodIndex
from annotator.ml.uncertainty.project_escalation import SLID_KEY, SPARSE_KEY, missed_for_frame
from annotator.ml.uncertainty.sampling import sample_frame
from annotator.ml.uncertainty.verified_ood import (
    FRAME_EMBEDDING_KEY,
    known_embeddings,
    reference_ood,
    verified_by_frame,
    with_embedding,
)
from annotator.ml.variants import with_variant_precision
from annotator.ml.weights import load_weights, verified_weights

logger = logging.getLogger(__name__)

UNCERTAINTY_KEY = "uncertainty"
DEFAULT_FLAG_THRESHOLD = 0.5


class ScoreProposals(ReplaceProposals):
    """Put a plugin's scored proposals on a frame, replacing its earlier unreviewed ones; on a sequence,
    in the same step, proposals on an object a person rejected within the last frames are left out and the
    boxes carried in from the frame before are checked against the proposals
    (`annotator.ml.uncertainty.carried_check`): ``rejected_again``, ``confirmed`` and ``to_review`` count
    them afterwards. The frame's embedding, carried in by the proposals' records (`FRAME_EMBEDDING_KEY`), is
    moved into the frame's meta (`annotator.ml.uncertainty.verified_ood`)."""

    def __init__(
        self,
        frame_id: int,
        plugin_id: str,
        proposals: Sequence[Annotation],
        frame_name: str,
        mode: str,
        check_carried: bool = True,
        evidence: CarriedPoints | None = None,
    ) -> None:
        self.embedding, proposals = _frame_embedding(proposals)
        super().__init__(frame_id, plugin_id, proposals, frame_name)
        self.label = f"Score {frame_name or frame_id} ({plugin_id}, {mode})"
        self.scored = list(proposals)
        #: Whether the proposals are a 3D detector's, which can confirm or question carried cuboids.
        self.check_carried = check_carried
        #: What the frame's points say of its carried boxes (`carried_points`, measured where they were read).
        self.evidence = evidence
        self.rejected_again = self.confirmed = self.to_review = 0
        #: Of those to review: carried boxes that slid off their object, and standing ones too sparse to count.
        self.slid_off = self.sparse = 0

    def do(self, project: Project) -> None:
        frame = project.frames.get(self.frame_id)
        if frame is not None and self.embedding is not None:
            version, vector = self.embedding
            meta = with_embedding(frame, self.plugin_id, version, vector)
            project.put("frame", frame.id, dataclasses.replace(frame, meta=meta))
            frame = project.frames[frame.id]
        rejected = rejected_nearby(project, frame) if frame is not None else []
        self.proposals, self.rejected_again = without_rejected(self.scored, rejected)
        super().do(project)
        if not self.check_carried:
            return
        version = next((p.provenance.model_version or "" for p in self.scored), "")
        checked = checked_carried(
            project, self.frame_id, self.scored, version, still_frames=still_frames_of(project),
            evidence=self.evidence,
        )  # fmt: skip
        for annotation in checked:
            project.put("annotation", annotation.id, annotation)
        self.to_review = sum(1 for a in checked if a.review is Review.UNREVIEWED)
        self.confirmed = len(checked) - self.to_review
        records = [a.attributes[UNCERTAINTY_KEY] for a in checked]
        self.slid_off = sum(1 for r in records if SLID_KEY in r)
        self.sparse = sum(1 for r in records if SPARSE_KEY in r)


def _frame_embedding(
    proposals: Sequence[Annotation],
) -> tuple[tuple[str, list[float]] | None, list[Annotation]]:
    """(model version, frame embedding) carried by the proposals' records, if any, and the proposals without it."""
    found: tuple[str, list[float]] | None = None
    cleaned = []
    for proposal in proposals:
        record = proposal.attributes.get(UNCERTAINTY_KEY)
        if isinstance(record, dict) and FRAME_EMBEDDING_KEY in record:
            vector = record[FRAME_EMBEDDING_KEY]
            if found is None and isinstance(vector, list):
                found = (str(record.get("model_version", proposal.provenance.model_version or "")), vector)
            record = {k: v for k, v in record.items() if k != FRAME_EMBEDDING_KEY}
            proposal = dataclasses.replace(
                proposal, attributes=proposal.attributes | {UNCERTAINTY_KEY: record}
            )
        cleaned.append(proposal)
    return found, cleaned


def scored_proposals(
    found: Iterable[AggregatedBox],
    frame_id: int,
    plugin_id: str,
    model_version: str,
    mode: str,
    passes: int,
    min_score: float = 0.0,
) -> list[Annotation]:
    """Unreviewed proposals (id 0) for the aggregated objects whose mean score is at least ``min_score``."""
    proposals = []
    for box in found:
        if box.score < min_score:
            continue
        record = {key: round(value, 6) for key, value in box.measures.items()}
        record |= {
            "score": round(box.score, 6),
            "mode": mode,
            "passes": passes,
            "model_version": model_version,
        }
        record["probabilities"] = [round(float(p), 6) for p in box.probabilities]
        if box.embedding is not None:
            record["embedding"] = box.embedding
        if box.frame_embedding is not None:
            record[FRAME_EMBEDDING_KEY] = box.frame_embedding
        provenance = Provenance(Source.MODEL, plugin_id, model_version, round(box.score, 6))
        if len(box.box) == 4:
            shape: dict[str, Any] = {"box2d": Box2D(*box.box), "camera": box.camera}
        else:
            shape = {"cuboid": Cuboid.from_array(box.box)}
        proposals.append(
            Annotation(
                0,
                frame_id,
                box.class_name,
                provenance=provenance,
                review=Review.UNREVIEWED,
                attributes={UNCERTAINTY_KEY: record},
                **shape,
            )
        )
    return proposals


@dataclass
class CarriedCounts:
    """The carried boxes a run's scoring steps checked (`ScoreProposals`): confirmed, to review, and of those to
    review the ones that slid off their object and the standing ones holding too few points."""

    confirmed: int = 0
    to_review: int = 0
    slid_off: int = 0
    sparse: int = 0

    def add(self, command: ScoreProposals) -> None:
        """Count what one frame's scoring step did to its carried boxes."""
        self.confirmed += command.confirmed
        self.to_review += command.to_review
        self.slid_off += command.slid_off
        self.sparse += command.sparse

    def words(self) -> str:
        """ "; carried boxes: 3 confirmed, 2 to review (1 slid off its object)", or nothing when none was checked."""
        if not (self.confirmed or self.to_review):
            return ""
        why = [
            f"{self.slid_off} slid off {'its' if self.slid_off == 1 else 'their'} object"
            if self.slid_off
            else "",
            f"{self.sparse} standing with too few points" if self.sparse else "",
        ]
        reasons = ", ".join(w for w in why if w)
        return f"; carried boxes: {self.confirmed} confirmed, {self.to_review} to review" + (
            f" ({reasons})" if reasons else ""
        )


@dataclass
class ScoringSummary(FrameRunSummary):
    """What a scoring run did."""

    proposals: int = 0
    flagged: int = 0
    #: Possible missed objects added (``missed``: `annotator.ml.uncertainty.project_escalation`).
    missed: int = 0
    #: Boxes carried in from the frame before that the proposals confirm or send to review, and proposals
    #: left out on objects rejected nearby (`ScoreProposals`).
    carried: CarriedCounts = field(default_factory=CarriedCounts)
    rejected_again: int = 0
    frame_uncertainty: dict[str, dict[str, float]] = field(default_factory=dict)


def score_frame(
    project: Project,
    model: Any,
    manifest: PluginManifest,
    frame: Frame,
    values: dict[str, Any],
    mode: str,
    passes: int,
    iou_threshold: float = DEFAULT_IOU_THRESHOLD,
    known: Mapping[str, np.ndarray] | None = None,
) -> list[AggregatedBox]:
    """Sample one frame ``passes`` times in ``mode`` and aggregate the passes (per camera for 2D); ``known``:
    the verified frames' embeddings by model version (`scored_ood`).

    Raises when the frame's files cannot be read or the plugin fails (`PluginError`).
    """
    inputs = frame_input(project, frame, manifest.task)
    return score_inputs(model, manifest, inputs, values, mode, passes, iou_threshold, known)


def score_inputs(
    model: Any,
    manifest: PluginManifest,
    inputs: FrameInput,
    values: dict[str, Any],
    mode: str,
    passes: int,
    iou_threshold: float = DEFAULT_IOU_THRESHOLD,
    known: Mapping[str, np.ndarray] | None = None,
) -> list[AggregatedBox]:
    """`score_frame` on a frame's inputs already read."""
    groups = sample_frame(model, manifest, inputs, values, mode, passes)
    groups = {camera: checked_detections(samples, manifest) for camera, samples in groups.items()}
    found = [box for samples in groups.values() for box in aggregate(samples, iou_threshold)]
    add_model_measures(model, inputs, values, found, manifest.classes, known)
    return found


def scored_ood(
    model: Any, inputs: FrameInput, values: dict[str, Any], known: Mapping[str, np.ndarray] | None = None
) -> tuple[float | None, list[float] | None]:
    """A frame's OOD score and embedding. A plugin with an ``ood_index`` (an `OodIndex`) and a
    ``frame_embedding(frame, params)`` method: the embedding scored against the index extended by ``known``
    (the verified frames' embeddings by model version: `annotator.ml.uncertainty.verified_ood`); otherwise
    the plugin's optional ``frame_ood(frame, params)`` and no embedding."""
    embed, index = getattr(model, "frame_embedding", None), getattr(model, "ood_index", None)
    if embed is None or not isinstance(index, OodIndex):
        return (model.frame_ood(inputs, values) if hasattr(model, "frame_ood") else None), None
    embedding = embed(inputs, values)
    if embedding is None:
        return None, None
    rows = (known or {}).get(str(getattr(model, "version", "")))
    vector = np.asarray(embedding, dtype=float).reshape(-1)
    return reference_ood(index, vector, rows), [float(v) for v in vector]


def model_extras(
    model: Any,
    inputs: FrameInput,
    values: dict[str, Any],
    boxes: np.ndarray,
    aggregated: Detections | None = None,
    known: Mapping[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """What a plugin offers beyond its samples, for the aggregated ``boxes`` of a frame: the frame's OOD
    score and embedding (`scored_ood`, against the ``known`` verified frames), calibration maps by name (attribute
    ``calibration``), each box's latent embedding (optional ``box_embeddings(frame, boxes, params)``),
    further per-box measures by name (optional ``box_measures(frame, boxes, params)``, e.g. a hybrid
    detector's sources: `plugins.pointpillars.complement.source_measures`) and, given the ``aggregated``
    boxes as detections, the plugin's own finishing of them (optional ``finish_aggregated(frame, detections,
    params)``: the same boxes in the same order, with the corrections its `predict` makes after decoding,
    so that a scored box is the box pre-annotation would propose; the uncertainty stays that of the raw
    samples)."""
    embed = getattr(model, "box_embeddings", None)
    measure = getattr(model, "box_measures", None)
    finish = getattr(model, "finish_aggregated", None)
    ood, frame_embedding = scored_ood(model, inputs, values, known)
    return {
        "ood": ood,
        "frame_embedding": frame_embedding,
        "maps": dict(getattr(model, "calibration", None) or {}),
        "embeddings": embed(inputs, boxes, values) if embed is not None and len(boxes) else None,
        "measures": measure(inputs, boxes, values) if measure is not None and len(boxes) else None,
        "finished": finish(inputs, aggregated, values)
        if finish is not None and aggregated is not None
        else None,
    }


def as_detections(found: Sequence[AggregatedBox], class_names: Sequence[str]) -> Detections | None:
    """The aggregated 3D boxes as one `Detections` over ``class_names`` (None without boxes, for 2D boxes, or
    when their classes are not those names)."""
    names = tuple(class_names)
    if not found or any(
        len(b.box) < 7 or b.class_name not in names or len(b.probabilities) != len(names) for b in found
    ):
        return None
    return Detections(
        np.array([b.box for b in found], dtype=float),
        np.array([names.index(b.class_name) for b in found]),
        np.array([b.score for b in found]),
        names,
        "aggregated",
        np.array([b.probabilities for b in found], dtype=float),
    )


def _finish(found: list[AggregatedBox], finished: Any) -> None:
    """Take the plugin's finished boxes, classes and class shares (`model_extras`), when they are one per box."""
    if not isinstance(finished, Detections) or len(finished) != len(found):
        if finished is not None:
            logger.warning("finish_aggregated ignored: not one detection per aggregated box")
        return
    if not np.all(np.isfinite(finished.boxes)) or np.any(finished.labels >= len(finished.class_names)):
        logger.warning("finish_aggregated ignored: non-finite boxes or unknown classes")
        return
    for k, box in enumerate(found):
        box.box = np.asarray(finished.boxes[k], dtype=float)[: len(box.box)]
        box.label = int(finished.labels[k])
        box.class_name = finished.class_names[box.label]
        if finished.probabilities is not None:
            box.probabilities = np.asarray(finished.probabilities[k], dtype=float)


def apply_extras(found: list[AggregatedBox], extras: dict[str, Any]) -> None:
    """Add `model_extras` to each box's measures: ``frame_ood``, ``p_wrong`` (calibrated from the
    uncertainty), ``p_right`` (from the score), the plugin's own per-box measures (finite numbers only)
    and the ``embedding``."""
    _finish(found, extras.get("finished"))
    ood, maps, embeddings = extras.get("ood"), extras.get("maps") or {}, extras.get("embeddings")
    for name, values in (extras.get("measures") or {}).items():
        column = np.asarray(values, dtype=float).reshape(-1)
        if name in MEASURES or len(column) != len(found):
            logger.warning("plugin measure %r ignored (a host measure, or not one value per box)", name)
            continue
        for box, value in zip(found, column, strict=True):
            if np.isfinite(value):
                box.measures[str(name)] = float(value)
    for k, box in enumerate(found):
        if ood is not None:
            box.measures[OOD_KEY] = float(ood)
        if "uncertainty" in maps:
            box.measures["p_wrong"] = float(maps["uncertainty"](box.uncertainty))
        if "score" in maps:
            box.measures["p_right"] = float(maps["score"](box.score))
        if embeddings is not None and k < len(embeddings):
            box.embedding = [round(float(v), 4) for v in embeddings[k]]
        box.frame_embedding = extras.get("frame_embedding")


def add_model_measures(
    model: Any,
    inputs: FrameInput,
    values: dict[str, Any],
    found: list[AggregatedBox],
    class_names: Sequence[str] = (),
    known: Mapping[str, np.ndarray] | None = None,
) -> None:
    """`model_extras` of an in-process model applied to ``found`` (nothing to do without boxes; the plugin's
    classes ``class_names`` let it finish the boxes; ``known``: see `scored_ood`)."""
    if found:
        boxes, aggregated = np.array([b.box for b in found]), as_detections(found, class_names)
        apply_extras(found, model_extras(model, inputs, values, boxes, aggregated, known))


def score_frames(
    workspace: Workspace,
    registry: PluginRegistry,
    plugin_id: str,
    frames: Sequence[Frame],
    mode: str,
    passes: int,
    min_score: float = 0.1,
    flag_threshold: float = DEFAULT_FLAG_THRESHOLD,
    iou_threshold: float = DEFAULT_IOU_THRESHOLD,
    params: dict[str, Any] | None = None,
    cancel: CancelToken | None = None,
    on_frame: Callable[[int, Frame], None] | None = None,
    weights: Path | None = None,
    frame_timeout: float | None = None,
    ray: RaySettings | None = None,
    missed: bool = False,
) -> ScoringSummary:
    """Sample, aggregate and store each frame's proposals with their uncertainty, one step per frame.

    A frame whose files or plugin run fail is recorded in the summary and skipped; the rest go on.
    With ``frame_timeout`` the plugin runs in a child process (see `annotator.ml.plugin_process`); with
    ``ray`` on model actors of a Ray cluster (`annotator.ml.ray_batch`), the results stored here. With
    ``missed`` (3D plugins) each frame also gets its possible missed objects, in the same step (its cloud
    is read again where the results are stored).
    """
    manifest = registry.manifest(plugin_id)
    values = with_variant_precision(manifest.parameter_values(params), workspace.project, manifest, params)
    summary = ScoringSummary()

    def store_version(frame: Frame, version: str, found: list[AggregatedBox]) -> None:
        proposals = scored_proposals(found, frame.id, plugin_id, version, mode, passes, min_score)
        extra: list[Annotation] = []
        evidence = None
        if manifest.task == "detect3d":
            points = frame_input(workspace.project, frame, manifest.task).points
            evidence = carried_points(workspace.project, frame.id, points, cloud_reader(workspace.project))
            if missed:
                extra = missed_for_frame(
                    workspace.project, frame.id, points, proposals, manifest.classes, plugin_id, version
                )
        summary.missed += len(extra)
        proposals += extra
        command = workspace.push(
            ScoreProposals(
                frame.id, plugin_id, proposals, frame.name, mode, manifest.task == "detect3d", evidence
            )
        )
        summary.proposals += len(command.added) - len(extra)
        summary.carried.add(command)
        summary.rejected_again += command.rejected_again
        summary.flagged += sum(
            1
            for p in command.added
            if p.attributes[UNCERTAINTY_KEY]["uncertainty"] >= flag_threshold
            and p.attributes[UNCERTAINTY_KEY].get("kind") is None
        )
        summary.frame_uncertainty[frame.name] = frame_reductions([b for b in found if b.score >= min_score])

    # the verified frames' embeddings, read once: scoring does not verify frames
    verified = verified_by_frame(workspace.project, plugin_id)
    if ray is not None:
        job = frame_job(
            registry, plugin_id, workspace.project, verified_weights(manifest, workspace.project, weights), values,
            operation="score", mode=mode, passes=passes, iou_threshold=iou_threshold,
            verified=verified,
        )  # fmt: skip
        run_frames_on_ray(ray, job, frames, store_version, summary, "scoring", cancel, on_frame)
        return summary
    child: PluginProcess | None = None
    if frame_timeout is not None:
        child = PluginProcess(
            registry, plugin_id, verified_weights(manifest, workspace.project, weights), frame_timeout
        )
        model: Any = child
    else:
        model = registry.load(plugin_id)
        load_weights(model, manifest, workspace.project, weights)

    def compute(frame: Frame) -> list[AggregatedBox]:
        known = known_embeddings(verified, exclude=frame.id)
        if child is None:
            project = workspace.project
            return score_frame(project, model, manifest, frame, values, mode, passes, iou_threshold, known)
        inputs = frame_input(workspace.project, frame, manifest.task)
        groups = child.sample(inputs, values, mode, passes)
        found = [box for samples in groups.values() for box in aggregate(samples, iou_threshold)]
        if found:
            boxes, aggregated = np.array([b.box for b in found]), as_detections(found, manifest.classes)
            apply_extras(found, child.extras(inputs, values, boxes, aggregated, known))
        return found

    def store(frame: Frame, found: list[AggregatedBox]) -> None:
        store_version(frame, model.version, found)

    try:
        run_frames(frames, compute, store, summary, "scoring", cancel, on_frame)
    finally:
        if child is not None:
            child.close()
    return summary


def uncertainty_of(annotation: Annotation) -> dict[str, Any] | None:
    """The stored uncertainty record of an annotation, if it was scored."""
    record = annotation.attributes.get(UNCERTAINTY_KEY)
    return record if isinstance(record, dict) and "uncertainty" in record else None


def is_stale(annotation: Annotation, current_versions: dict[str, str]) -> bool:
    """Whether the annotation's score was made by another version than its plugin's current one."""
    record = uncertainty_of(annotation)
    model_id = annotation.provenance.model_id
    if record is None or model_id is None or model_id not in current_versions:
        return False
    return record.get("model_version") != current_versions[model_id]


def scored_boxes(
    project: Project, include_reviewed: bool = False
) -> Iterator[tuple[Annotation, Frame, dict[str, Any]]]:
    """Each scored annotation with its frame and uncertainty record (unreviewed ones unless asked)."""
    for annotation in project.annotations.values():
        if annotation.review is not Review.UNREVIEWED and not include_reviewed:
            continue
        record = uncertainty_of(annotation)
        frame = project.frames.get(annotation.frame_id)
        if record is not None and frame is not None:
            yield annotation, frame, record


def queue_key(item: dict[str, Any]) -> tuple[float, int, int]:
    """The queue's order: most uncertain first, then frame order, then annotation id."""
    return -item["uncertainty"], item["frame_index"], item["annotation_id"]


def review_queue(project: Project, include_reviewed: bool = False) -> list[dict[str, Any]]:
    """Every scored box, most uncertain first: frame, annotation id, class, box, score and the measures.

    Unreviewed proposals only, unless ``include_reviewed``.
    """
    items = []
    for annotation, frame, record in scored_boxes(project, include_reviewed):
        item: dict[str, Any] = {
            "frame": frame.name,
            "frame_index": frame.index,
            "annotation_id": annotation.id,
            "class": annotation.class_name,
            "review": annotation.review.value,
            "plugin": annotation.provenance.model_id,
            "model_version": record.get("model_version"),
            "score": annotation.provenance.score,
            "uncertainty": record["uncertainty"],
            "embedding": record.get("embedding"),
            "measures": {
                k: v for k, v in record.items() if k not in ("model_version", "probabilities", "embedding")
            },
        }
        if annotation.cuboid is not None:
            c = annotation.cuboid
            item["cuboid"] = [round(float(v), 4) for v in (*c.center, *c.size, c.yaw)]
        if annotation.box2d is not None:
            item["box2d"] = [round(float(v), 2) for v in annotation.box2d.to_array()]
            item["camera"] = annotation.camera
        items.append(item)
    return sorted(items, key=queue_key)
