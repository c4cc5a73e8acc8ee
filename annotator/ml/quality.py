"""Measured quality of a model on held-apart labelled frames, as a report that prints and saves as JSON.

3D models: recall and precision per class at bird's-eye-view IoU 0.5 (the class must agree; the ``any``
row ignores classes), at the score threshold the model is run with. 2D models: AP50 per class over the
whole score range (the model is run with a low score threshold for the precision-recall curve).
Boxes marked "don't care" (too few points, too small, too occluded, classes the model does not know)
count neither way: a detection on one of them is dropped.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from annotator.core.box2d import box2d_iou_matrix
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.ml.evaluation import ClassCounts, ImageBoxes, evaluate, evaluate_frame
from annotator.ml.protocol import CancelToken, Detections, LabelledFrame

logger = logging.getLogger(__name__)

IOU_THRESHOLD = 0.5
#: A 3D detection overlapping a "don't care" box this much (BEV IoU) is dropped.
DONT_CARE_IOU = 0.3
#: Detections down to this score enter the 2D precision-recall curve.
AP_SCORE_THRESHOLD = 0.05


@dataclass
class HeldApartFrame:
    """A labelled frame kept out of training, with boxes that count neither way (``ignore``)."""

    labelled: LabelledFrame
    ignore: np.ndarray = field(default_factory=lambda: np.zeros((0, 7)))


@dataclass
class QualityReport:
    """Per-class figures (``classes``) and overall ones (``overall``) of one measurement."""

    task: str
    measure: str
    frames: int
    classes: dict[str, dict[str, float]]
    overall: dict[str, float]
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN, where a class has no ground truth or no detection, becomes null)."""
        return {
            "task": self.task,
            "measure": self.measure,
            "held_apart_frames": self.frames,
            "classes": {name: _clean(row) for name, row in self.classes.items()},
            "overall": _clean(self.overall),
            "params": self.params,
        }

    def lines(self) -> list[str]:
        """A small table for a terminal."""
        columns = list(next(iter(self.classes.values()), {}))
        head = f"  {'class':<11}" + "".join(f" {c:>10}" for c in columns)
        rows = [f"quality on {self.frames} held-apart frames ({self.measure})", head]
        for name, row in self.classes.items():
            rows.append(f"  {name:<11}" + "".join(f" {_cell(row[c]):>10}" for c in columns))
        rows.append("  " + ", ".join(f"{key} {_cell(value)}" for key, value in self.overall.items()))
        return rows


def measure_quality(
    model: Any,
    task: str,
    class_names: Sequence[str],
    frames: Sequence[HeldApartFrame],
    params: dict[str, Any],
    cancel: CancelToken | None = None,
    on_frame: Callable[[int, int], None] | None = None,
) -> QualityReport | None:
    """Run ``model`` on the held-apart frames and measure it; None when cancelled."""
    measure = _measure_3d if task == "detect3d" else _measure_2d
    return measure(model, tuple(class_names), frames, dict(params), cancel or CancelToken(), on_frame)


def _measure_3d(model, class_names, frames, params, cancel, on_frame) -> QualityReport | None:
    totals = {name: ClassCounts() for name in (*class_names, "any")}
    for position, held in enumerate(frames):
        if cancel.is_set():
            return None
        found = _single(model.predict(held.labelled.frame, params))
        truth = held.labelled.targets
        truths = [
            (truth.class_names[int(k)], Cuboid.from_array(b)) for b, k in zip(truth.boxes, truth.labels)
        ]
        ignored = [Cuboid.from_array(b) for b in held.ignore]
        detections = [
            (found.class_names[int(k)], Cuboid.from_array(b), float(s))
            for b, k, s in zip(found.boxes, found.labels, found.scores)
        ]
        detections = [d for d in detections if not any(bev_iou(d[1], c) >= DONT_CARE_IOU for c in ignored)]
        for name, counts in evaluate_frame(truths, detections, class_names, IOU_THRESHOLD).items():
            totals[name].add(counts)
        if on_frame is not None:
            on_frame(position + 1, len(frames))
    classes = {
        name: {"truths": c.truths, "detections": c.detections, "recall": c.recall, "precision": c.precision}
        for name, c in totals.items()
        if name != "any"
    }
    overall = {"recall": totals["any"].recall, "precision": totals["any"].precision}
    measure = f"recall/precision at BEV IoU {IOU_THRESHOLD:g}, score >= {params.get('score_threshold', 0):g}"
    return QualityReport("detect3d", measure, len(frames), classes, overall, params)


def _measure_2d(model, class_names, frames, params, cancel, on_frame) -> QualityReport | None:
    if "score_threshold" in params:
        params["score_threshold"] = min(float(params["score_threshold"]), AP_SCORE_THRESHOLD)
    found_boxes, truth_boxes = [], []
    last: tuple[int, list[Detections]] | None = None
    for position, held in enumerate(frames):
        if cancel.is_set():
            return None
        key = id(held.labelled.frame)  # the cameras of one frame share one prediction
        if last is None or last[0] != key:
            result = model.predict(held.labelled.frame, params)
            last = (key, list(result) if isinstance(result, (list, tuple)) else [result])
        truth = held.labelled.targets
        found = _of_camera(last[1], truth.camera, class_names)
        found_boxes.append(_not_on(found, truth.boxes, held.ignore))
        truth_boxes.append(ImageBoxes(truth.boxes, truth.labels))
        if on_frame is not None:
            on_frame(position + 1, len(frames))
    result = evaluate(found_boxes, truth_boxes, class_names, IOU_THRESHOLD)
    classes = {
        name: {"truths": result.ground_truth[name], "detections": result.detections[name], "ap50": ap}
        for name, ap in result.per_class.items()
    }
    measure = f"AP at IoU {IOU_THRESHOLD:g}, detections down to score {params.get('score_threshold', 0):g}"
    return QualityReport("detect2d", measure, len(frames), classes, {"map50": result.mean}, params)


def _not_on(found: Detections, truth: np.ndarray, ignore: np.ndarray) -> ImageBoxes:
    """The detections as `ImageBoxes`, less those on a "don't care" box (IoU >= the threshold) that
    match no labelled box as well."""
    keep = np.ones(len(found), dtype=bool)
    if len(ignore) and len(found):
        on_ignored = box2d_iou_matrix(found.boxes, ignore).max(axis=1) >= IOU_THRESHOLD
        on_truth = np.zeros(len(found), dtype=bool)
        if len(truth):
            on_truth = box2d_iou_matrix(found.boxes, truth).max(axis=1) >= IOU_THRESHOLD
        keep = ~on_ignored | on_truth
    return ImageBoxes(found.boxes[keep], found.labels[keep], found.scores[keep])


def _single(result: Detections | list[Detections]) -> Detections:
    return result[0] if isinstance(result, (list, tuple)) else result


def _of_camera(results: list[Detections], camera: str | None, class_names: Sequence[str]) -> Detections:
    for result in results:
        if result.camera == camera or len(results) == 1:
            if tuple(result.class_names) != tuple(class_names):
                return _reindexed(result, class_names)
            return result
    return Detections.empty(class_names, "none", box_width=4)


def _reindexed(result: Detections, class_names: Sequence[str]) -> Detections:
    index = {name: i for i, name in enumerate(class_names)}
    names = [result.class_names[int(k)] for k in result.labels]
    keep = np.array([n in index for n in names], dtype=bool)
    labels = [index[n] for n in names if n in index]
    return Detections(
        result.boxes[keep], labels, result.scores[keep], tuple(class_names), result.model_version
    )


def _clean(row: dict[str, float]) -> dict[str, float | None]:
    return {key: None if isinstance(v, float) and math.isnan(v) else v for key, v in row.items()}


def _cell(value: float) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.2f}"
    return str(value)
