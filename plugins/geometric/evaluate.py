"""Recall and precision of detections against ground truth at a bird's-eye-view IoU threshold."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from annotator.core.geometry import Cuboid, bev_iou

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
