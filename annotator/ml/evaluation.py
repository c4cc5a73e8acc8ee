"""Quality of detections against ground truth, framework-free (used by training, benchmarks and tests).

3D: recall and precision per class at a bird's-eye-view IoU threshold, detections matched greedily in
descending score, the class must agree (the ``"any"`` row ignores classes).

2D: average precision per class. Matching (per image and class, detections in descending score): a
detection is a true positive when its best-overlapping *unmatched* labelled box has IoU >= the threshold
(that box is then matched); otherwise, when it overlaps an ignored box ("don't care", too small, too
occluded) by the threshold, it is left out entirely; otherwise it is a false positive. AP is the area under
the precision-recall curve with all-point interpolation (PASCAL VOC 2010+): precision made monotone from
the right, summed over every recall step. A class without labelled boxes has no AP (NaN) and does not
enter the mean.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from annotator.core.box2d import box2d_iou_matrix
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou

logger = logging.getLogger(__name__)


@dataclass
class ClassCounts:
    """Per-class tallies: ground-truth objects, detections, and true positives of each side."""

    truths: int = 0
    detections: int = 0
    found: int = 0
    correct: int = 0

    def add(self, other: ClassCounts) -> None:
        """Accumulate another frame's tallies."""
        self.truths += other.truths
        self.detections += other.detections
        self.found += other.found
        self.correct += other.correct

    @property
    def recall(self) -> float:
        """Share of ground-truth objects matched (nan without any)."""
        return self.found / self.truths if self.truths else float("nan")

    @property
    def precision(self) -> float:
        """Share of detections matched (nan without any)."""
        return self.correct / self.detections if self.detections else float("nan")


def match_class(
    truths: Sequence[Cuboid], detections: Sequence[Cuboid], scores: Sequence[float], threshold: float = 0.5
) -> ClassCounts:
    """Greedy matching, best score first, each detection to the unmatched truth it overlaps most."""
    counts = ClassCounts(len(truths), len(detections))
    free = np.ones(len(truths), dtype=bool)
    for i in np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable"):
        ious = np.array([bev_iou(detections[i], t) if free[j] else 0.0 for j, t in enumerate(truths)])
        if len(ious) and ious.max() >= threshold:
            free[int(np.argmax(ious))] = False
            counts.correct += 1
    counts.found = int((~free).sum())
    return counts


def evaluate_frame(
    truths: Sequence[tuple[str, Cuboid]],
    detections: Sequence[tuple[str, Cuboid, float]],
    classes: Sequence[str],
    threshold: float = 0.5,
) -> dict[str, ClassCounts]:
    """Per-class counts (classes must agree), plus ``"any"``: localisation with classes ignored."""
    result = {}
    for name in classes:
        result[name] = match_class(
            [b for c, b in truths if c == name],
            [b for c, b, _ in detections if c == name],
            [s for c, _, s in detections if c == name],
            threshold,
        )
    result["any"] = match_class(
        [b for _, b in truths], [b for _, b, _ in detections], [s for *_, s in detections], threshold
    )
    return result


# -- 2D: average precision ---------------------------------------------------------------------------
@dataclass
class ImageBoxes:
    """Boxes of one image: (N, 4) x1, y1, x2, y2, class indices, scores (detections) or ignore flags."""

    boxes: np.ndarray
    labels: np.ndarray
    scores: np.ndarray | None = None
    ignore: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, dtype=np.float64).reshape(-1, 4)
        self.labels = np.asarray(self.labels, dtype=np.int64).reshape(-1)
        if self.scores is not None:
            self.scores = np.asarray(self.scores, dtype=np.float64).reshape(-1)
        if self.ignore is not None:
            self.ignore = np.asarray(self.ignore, dtype=bool).reshape(-1)


@dataclass
class APResult:
    """Per-class AP (NaN where a class has no labelled boxes), their mean, and the counts behind them."""

    per_class: dict[str, float]
    mean: float
    ground_truth: dict[str, int] = field(default_factory=dict)
    detections: dict[str, int] = field(default_factory=dict)


def match_image(
    boxes: np.ndarray, scores: np.ndarray, truth: np.ndarray, ignore: np.ndarray, iou_threshold: float
) -> np.ndarray:
    """Outcome per detection of one image and class: 1 true positive, 0 false positive, -1 left out."""
    outcome = np.zeros(len(boxes), dtype=np.int64)
    if len(boxes) == 0 or len(truth) == 0:
        return outcome
    iou = box2d_iou_matrix(boxes, truth)
    matched = np.zeros(len(truth), dtype=bool)
    for index in np.argsort(-scores, kind="stable"):
        candidates = np.where(~ignore & ~matched, iou[index], -1.0)
        best = int(np.argmax(candidates))
        if candidates[best] >= iou_threshold:
            matched[best] = True
            outcome[index] = 1
        elif np.any(ignore & (iou[index] >= iou_threshold)):
            outcome[index] = -1
    return outcome


def average_precision(scores: np.ndarray, true_positive: np.ndarray, positives: int) -> float:
    """All-point interpolated AP of scored detections (flags: true/false positive) against ``positives``."""
    if positives <= 0:
        return float("nan")
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    hits = np.asarray(true_positive, dtype=np.float64)[order]
    cumulative_tp = np.cumsum(hits)
    cumulative_fp = np.cumsum(1.0 - hits)
    recall = np.concatenate([[0.0], cumulative_tp / positives, [1.0]])
    precision = np.concatenate(
        [[0.0], cumulative_tp / np.maximum(cumulative_tp + cumulative_fp, 1e-12), [0.0]]
    )
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.nonzero(recall[1:] != recall[:-1])[0]
    return float(np.sum((recall[steps + 1] - recall[steps]) * precision[steps + 1]))


def evaluate(
    detections: Sequence[ImageBoxes],
    ground_truth: Sequence[ImageBoxes],
    class_names: Sequence[str],
    iou_threshold: float = 0.5,
) -> APResult:
    """AP per class and their mean over images (``detections[i]`` belongs with ``ground_truth[i]``)."""
    if len(detections) != len(ground_truth):
        raise ValueError(f"{len(detections)} detection lists for {len(ground_truth)} images")
    per_class, counts, detected = {}, {}, {}
    for label, name in enumerate(class_names):
        all_scores, all_hits, positives = [], [], 0
        for found, truth in zip(detections, ground_truth):
            mine = found.labels == label
            theirs = truth.labels == label
            ignore = truth.ignore[theirs] if truth.ignore is not None else np.zeros(theirs.sum(), dtype=bool)
            scores = found.scores[mine] if found.scores is not None else np.ones(mine.sum())
            outcome = match_image(found.boxes[mine], scores, truth.boxes[theirs], ignore, iou_threshold)
            all_scores.append(scores[outcome >= 0])
            all_hits.append(outcome[outcome >= 0])
            positives += int((~ignore).sum())
        scores, hits = np.concatenate(all_scores), np.concatenate(all_hits)
        per_class[name] = average_precision(scores, hits, positives)
        counts[name], detected[name] = positives, len(scores)
    valid = [ap for ap in per_class.values() if not np.isnan(ap)]
    return APResult(per_class, float(np.mean(valid)) if valid else float("nan"), counts, detected)
