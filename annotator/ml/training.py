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

from annotator.core.project import Project
from annotator.core.records import Annotation, Frame, Review
from annotator.ml.preannotate import frame_input
from annotator.ml.protocol import CancelToken, Detections, FitProgress, LabelledFrame
from annotator.ml.registry import PluginError, PluginRegistry
from annotator.ml.weights import load_weights, mark_latest, models_folder

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
    """What a training run produced."""

    weights: Path | None
    model_version: str
    frames: int
    seconds: float
    history: list[FitProgress] = field(default_factory=list)
    cancelled: bool = False


def train(
    project: Project,
    registry: PluginRegistry,
    plugin_id: str,
    frames: Sequence[Frame],
    params: dict[str, Any] | None = None,
    cancel: CancelToken | None = None,
    on_progress: Callable[[FitProgress], None] | None = None,
    suffix: str = ".weights",
) -> TrainingResult:
    """Train a plugin on the frames' labels and save the weights in the project's models folder."""
    manifest = registry.manifest(plugin_id)
    if not manifest.supports("fit"):
        raise PluginError(f"plugin {plugin_id} cannot be trained (no 'fit' capability)")
    values = manifest.parameter_values(params)
    model = registry.load(plugin_id)
    load_weights(model, manifest, project)
    data = labelled_frames(project, frames, manifest.classes, manifest.task)
    if not data:
        raise PluginError("no frame in the selection has confirmed labels to train on")
    cancel = cancel or CancelToken()
    start = time.perf_counter()
    history: list[FitProgress] = []
    for progress in model.fit(data, values, cancel):
        history.append(progress)
        if on_progress is not None:
            on_progress(progress)
    seconds = time.perf_counter() - start
    weights = None
    if not cancel.is_set() and manifest.supports("save"):
        folder = models_folder(project, plugin_id)
        if folder is None:
            raise PluginError("a project without a directory cannot keep trained weights")
        folder.mkdir(parents=True, exist_ok=True)
        weights = folder / f"{_safe(model.version)}{suffix}"
        model.save(str(weights))
        (folder / f"{weights.stem}.json").write_text(
            json.dumps({"version": model.version, "frames": len(data), "seconds": seconds,
                        "final": history[-1].metrics if history else {}, "params": values}, indent=2),
            encoding="utf-8",
        )  # fmt: skip
        mark_latest(weights)
        model._annotator_weights = str(weights)
    return TrainingResult(weights, model.version, len(data), seconds, history, cancel.is_set())


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)
