"""How well an uncertainty measure finds wrong proposals, when the ground truth is known.

A proposal is *wrong* when no ground-truth object of its class matches it at bird's-eye-view IoU >= 0.5
(one-to-one, greedily by score). Shared by `benchmarks/uncertainty_eval.py` and the app's uncertainty
plot (errors caught against the share of boxes flagged, next to the detector-score baseline).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.model.project import Project
from annotator.ml.finetune.edits import DONT_CARE_IOU
from annotator.ml.uncertainty.aggregate import box_iou
from annotator.ml.uncertainty.scoring import uncertainty_of

logger = logging.getLogger(__name__)

MATCH_IOU = 0.5


@dataclass(frozen=True)
class ScoredBox:
    """What matching needs of a proposal: its class, its (7+,) box and the detector's score."""

    class_name: str
    box: np.ndarray
    score: float


def wrong_proposals(
    proposals: Sequence[ScoredBox],
    truth: Sequence[tuple[str, np.ndarray]],
    iou_threshold: float = MATCH_IOU,
) -> list[bool]:
    """For each proposal: True when no unmatched ground-truth object (class, box) of its class overlaps
    it by ``iou_threshold`` (rotated BEV IoU), matching greedily from the best score down."""
    order = sorted(range(len(proposals)), key=lambda i: -proposals[i].score)
    taken: set[int] = set()
    wrong = [True] * len(proposals)
    for i in order:
        best, best_iou = -1, iou_threshold
        for j, (name, box) in enumerate(truth):
            if j in taken or name != proposals[i].class_name:
                continue
            overlap = box_iou(np.asarray(proposals[i].box)[:7], np.asarray(box)[:7])
            if overlap >= best_iou:
                best, best_iou = j, overlap
        if best >= 0:
            taken.add(best)
            wrong[i] = False
    return wrong


def wrong_unless_dont_care(
    boxes: Sequence[tuple[str, Cuboid]],
    truths: Sequence[tuple[str, Cuboid]],
    ignore: Sequence[Cuboid] = (),
    scores: Sequence[float] | None = None,
) -> np.ndarray:
    """Which ``boxes`` (class, cuboid) are wrong (`wrong_proposals`, matched in the order of ``scores``, else
    as given), except those on a "don't care" object (BEV IoU >= `DONT_CARE_IOU` with one of ``ignore``):
    neither right nor wrong."""
    order = [1.0] * len(boxes) if scores is None else list(scores)
    wrong = wrong_proposals(
        [
            ScoredBox(name, box.to_array(), float(score))
            for (name, box), score in zip(boxes, order, strict=True)
        ],
        [(name, box.to_array()) for name, box in truths],
    )
    return np.array(
        [
            w and not any(bev_iou(box, g) >= DONT_CARE_IOU for g in ignore)
            for w, (_, box) in zip(wrong, boxes)
        ],
        dtype=bool,
    )


def auroc(values: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve (ties count half): the chance a positive ranks above a negative."""
    pos, neg = values[positive], values[~positive]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    ranks_sorted = np.arange(1, len(values) + 1, dtype=float)
    for value in np.unique(sorted_values):  # average ranks over ties
        tie = sorted_values == value
        ranks_sorted[tie] = ranks_sorted[tie].mean()
    ranks[order] = ranks_sorted
    return float((ranks[positive].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def aupr(values: np.ndarray, positive: np.ndarray) -> float:
    """Average precision of finding the positives when ranking by ``values`` (descending)."""
    if positive.sum() == 0:
        return float("nan")
    order = np.argsort(-values, kind="mergesort")
    hits = positive[order]
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / hits.sum())


def caught(values: np.ndarray, positive: np.ndarray, share: float) -> float:
    """The share of positives among the ``share`` highest values."""
    if positive.sum() == 0:
        return float("nan")
    count = round(share * len(values))
    top = np.argsort(-values, kind="mergesort")[:count]
    return float(positive[top].sum() / positive.sum())


def caught_curve(values: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Errors caught against the share flagged when flagging the highest ``values`` first: two arrays
    from (0, 0) to (1, 1), one point per box (empty when there is no positive)."""
    values, positive = np.asarray(values, dtype=float), np.asarray(positive, dtype=bool)
    if len(values) == 0 or positive.sum() == 0:
        return np.zeros(0), np.zeros(0)
    hits = positive[np.argsort(-values, kind="mergesort")]
    flagged = np.arange(len(hits) + 1) / len(hits)
    found = np.concatenate([[0.0], np.cumsum(hits) / hits.sum()])
    return flagged, found


@dataclass(frozen=True)
class ScoredProposal(ScoredBox):
    """A scored cuboid of the project: its annotation id and combined uncertainty besides."""

    annotation_id: int = 0
    uncertainty: float = 0.0
    frame_ood: float | None = None


def scored_cuboids(project: Project, frame_names: Collection[str]) -> dict[str, list[ScoredProposal]]:
    """The scored cuboids (reviewed or not) of the frames named, by frame name: a cheap snapshot taken
    where the project lives, to match elsewhere (possible missed objects are not proposals: left out)."""
    out: dict[str, list[ScoredProposal]] = {}
    for frame in project.frames_in_order():
        if frame.name not in frame_names:
            continue
        out[frame.name] = [
            ScoredProposal(
                a.class_name,
                a.cuboid.to_array(),
                float(a.provenance.score or 0.0),
                a.id,
                float(record["uncertainty"]),
                record.get("frame_ood"),
            )
            for a in project.annotations_of(frame.id, "cuboid")
            if a.cuboid is not None
            and (record := uncertainty_of(a)) is not None
            and record.get("kind") != "missed_object"
        ]
    return out


@dataclass(frozen=True)
class ProjectErrors:
    """Scored cuboids matched against the ground truth: ids, wrong or right, uncertainty and the
    detector's score (aligned arrays)."""

    annotation_ids: tuple[int, ...]
    wrong: np.ndarray
    uncertainty: np.ndarray
    score: np.ndarray


def project_errors(
    scored: Mapping[str, Sequence[ScoredProposal]], truth_by_frame: Mapping[str, Sequence[tuple[str, Cuboid]]]
) -> ProjectErrors:
    """Match each frame's scored cuboids (`scored_cuboids`) against its ground truth (class, cuboid)."""
    found: list[ScoredProposal] = []
    wrong: list[bool] = []
    for name, proposals in scored.items():
        truth = [(label, cuboid.to_array()) for label, cuboid in truth_by_frame.get(name, ())]
        found += proposals
        wrong += wrong_proposals(proposals, truth)
    return ProjectErrors(
        tuple(p.annotation_id for p in found),
        np.array(wrong, dtype=bool),
        np.array([p.uncertainty for p in found], dtype=float),
        np.array([p.score for p in found], dtype=float),
    )
