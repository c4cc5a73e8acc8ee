"""Training a plugin on a project's human-confirmed labels, and where trained weights are kept.

Targets are the annotations a human confirmed (review accepted or corrected, or manual/imported ones);
unreviewed proposals are never used as labels. Trained weights are written to
``<project>/models/<plugin id>/<model version>.<suffix>`` with a ``latest`` pointer file next to them, so
pre-annotation picks them up.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Review
from annotator.ml.preannotate import frame_input
from annotator.ml.protocol import CancelToken, Detections, FitProgress, LabelledFrame
from annotator.ml.quality import HeldApartFrame, QualityReport, measure_quality
from annotator.ml.registry import PluginError, PluginRegistry
from annotator.ml.weights import load_weights, mark_latest, models_folder, record_digest

logger = logging.getLogger(__name__)


def is_label(annotation: Annotation) -> bool:
    """True when a human stands behind the annotation (usable as a training target)."""
    return annotation.review in (Review.ACCEPTED, Review.CORRECTED)


def targets_of(
    annotations: Sequence[Annotation], class_names: Sequence[str], task: str, model_version: str = "labels"
) -> list[Detections]:
    """Training targets from annotations: one `Detections` (3D) or one per camera (2D)."""
    index = {name: i for i, name in enumerate(class_names)}
    usable = [a for a in annotations if is_label(a) and a.class_name in index]
    if task == "detect3d":
        boxes = [a.cuboid.to_array(nine_dof=False) for a in usable if a.cuboid is not None]
        labels = [index[a.class_name] for a in usable if a.cuboid is not None]
        return [
            Detections(
                np.array(boxes).reshape(-1, 7),
                labels,
                np.ones(len(labels)),
                tuple(class_names),
                model_version,
            )
        ]
    cameras: dict[str, list[Annotation]] = {}
    for annotation in usable:
        if annotation.box2d is not None:
            cameras.setdefault(annotation.camera or "", []).append(annotation)
    return [
        Detections(
            np.array([a.box2d.to_array() for a in group]).reshape(-1, 4),
            [index[a.class_name] for a in group],
            np.ones(len(group)),
            tuple(class_names),
            model_version,
            camera=camera,
        )
        for camera, group in cameras.items()
    ]


def labelled_frames(
    project: Project, frames: Sequence[Frame], class_names: Sequence[str], task: str
) -> list[LabelledFrame]:
    """Frames with their human-confirmed labels as model inputs and targets (frames without labels skipped)."""
    result = []
    for frame in frames:
        annotations = [a for a in project.annotations_of(frame.id) if is_label(a)]
        if not annotations:
            continue
        for targets in targets_of(annotations, class_names, task):
            result.append(LabelledFrame(frame_input(project, frame, task), targets))
    return result


@dataclass
class TrainingResult:
    """What a training run produced (``weights`` None when cancelled or the plugin cannot save)."""

    weights: Path | None
    model_version: str
    frames: int
    seconds: float
    history: list[FitProgress] = field(default_factory=list)
    cancelled: bool = False
    quality: QualityReport | None = None
    quality_file: Path | None = None


def train(
    project: Project,
    registry: PluginRegistry,
    plugin_id: str,
    frames: Sequence[Frame],
    params: dict[str, Any] | None = None,
    cancel: CancelToken | None = None,
    on_progress: Callable[[FitProgress], None] | None = None,
    suffix: str = ".weights",
    *,
    data: Sequence[LabelledFrame] | None = None,
    held_apart: Sequence[HeldApartFrame] = (),
    on_measure: Callable[[int, int], None] | None = None,
) -> TrainingResult:
    """Train a plugin and save the weights as a new file in the project's models folder, marked latest.

    Trains on ``data`` when given, else on the human-confirmed labels of ``frames``. With ``held_apart``
    frames the trained model is measured on them (`annotator.ml.quality`) before anything is saved, and
    the report is written next to the weights as ``<weights stem>.quality.json``. Nothing is saved when
    ``cancel`` is set at any point (the project folder is left as it was).
    """
    manifest = registry.manifest(plugin_id)
    if not manifest.supports("fit"):
        raise PluginError(f"plugin {plugin_id} cannot be trained (no 'fit' capability)")
    values = manifest.parameter_values(params)
    model = registry.load(plugin_id)
    load_weights(model, manifest, project, variant=False)
    if data is None:
        data = labelled_frames(project, frames, manifest.classes, manifest.task)
    if not data:
        raise PluginError("no frame in the selection has labels to train on")
    cancel = cancel or CancelToken()
    start = time.perf_counter()
    history: list[FitProgress] = []
    for progress in model.fit(data, values, cancel):
        history.append(progress)
        if on_progress is not None:
            on_progress(progress)
    seconds = time.perf_counter() - start
    result = TrainingResult(None, model.version, len(data), seconds, history, cancel.is_set())
    if held_apart and not cancel.is_set():
        result.quality = measure_quality(
            model, manifest.task, manifest.classes, held_apart, values, cancel, on_measure
        )
    if cancel.is_set():
        result.cancelled = True
        return result
    if manifest.supports("save"):
        record = {"version": model.version, "frames": len(data), "held_apart": len(held_apart),
                  "seconds": seconds, "final": history[-1].metrics if history else {}, "params": values}  # fmt: skip
        result.weights = save_weights(project, plugin_id, model, record, suffix)
        if result.quality is not None:
            result.quality_file = result.weights.with_suffix(".quality.json")
            _write_json(result.quality_file, {"weights": result.weights.name, **result.quality.to_dict()})
        mark_latest(result.weights)
        model._annotator_weights = str(result.weights)
    return result


def save_weights(project: Project, plugin_id: str, model: Any, record: dict[str, Any], suffix: str) -> Path:
    """Write the model's weights as a new file (never over an older one) plus ``<stem>.json``."""
    folder = models_folder(project, plugin_id)
    if folder is None:
        raise PluginError("a project without a directory cannot keep trained weights")
    folder.mkdir(parents=True, exist_ok=True)
    stem = _safe(model.version)
    weights, number = folder / f"{stem}{suffix}", 1
    while weights.exists():
        number += 1
        weights = folder / f"{stem}-{number}{suffix}"
    partial = weights.with_name(weights.name + ".partial")
    try:
        model.save(str(partial))
        partial.replace(weights)
    finally:
        partial.unlink(missing_ok=True)
    record_digest(weights)
    _write_json(weights.with_suffix(".json"), record)
    return weights


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)
