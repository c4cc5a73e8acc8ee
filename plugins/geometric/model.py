"""The geometric detector: candidates from `segment`, an oriented box per cluster, a class from its size."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.fitting import fit_oriented_box
from annotator.core.cuboids.overlap import bev_intersection_area
from annotator.ml.protocol import Detections, FrameInput
from plugins.geometric import MANIFEST
from plugins.geometric.calibration import calibrated_score
from plugins.geometric.features import candidate_features
from plugins.geometric.segment import Candidate, RaisedPoints, segment
from plugins.geometric.shapes import (
    CLASS_NAMES,
    PRIORS,
    class_likelihoods,
    complete_box,
    observe,
    surface_fraction,
)

logger = logging.getLogger(__name__)

#: A box overlapping a better one by more than this share of its own footprint is dropped.
MAX_OVERLAP = 0.5
#: Points at which the support factor of the score reaches about 63 %.
SUPPORT_POINTS = 25.0
#: A merged hypothesis replaces its pieces when its evidence is at least this share of the best piece's.
MERGE_RATIO = 0.8


def default_parameters() -> dict[str, Any]:
    """The manifest's parameter defaults."""
    return {p["name"]: p["default"] for p in MANIFEST["parameters"]}


@dataclass
class Hypothesis:
    """A scored box for a candidate (completed, and as fitted to the points), class probabilities, the best
    class's evidence (see `ClassScores`), and the fine clusters used."""

    box: Cuboid
    fitted: Cuboid
    probabilities: np.ndarray
    score: float
    evidence: float
    parts: tuple[int, ...]
    merged: bool
    features: np.ndarray | None = None
    split: bool = False


class GeometricDetector:
    """Model object of the ``geometric`` plugin (capability ``predict``)."""

    version = "geometric-1.0"

    def predict(self, frame: FrameInput, params: dict[str, Any]) -> Detections:
        """Cuboids of the objects standing on the ground in ``frame.points``."""
        p = {**default_parameters(), **(params or {})}
        if frame.points is None or len(frame.points) == 0:
            return Detections.empty(CLASS_NAMES, self.version)
        found = _suppress_overlaps(sorted(self.hypotheses(frame.points, p), key=lambda h: -h.score))
        found = [h for h in found if h.score >= float(p["min_score"])]
        if not found:
            return Detections.empty(CLASS_NAMES, self.version)
        probabilities = np.array([h.probabilities for h in found])
        return Detections(
            np.array([h.box.to_array() for h in found]),
            np.argmax(probabilities, axis=1),
            np.array([h.score for h in found]),
            CLASS_NAMES,
            self.version,
            probabilities,
        )

    def hypotheses(self, points: np.ndarray, params: dict[str, Any]) -> list[Hypothesis]:
        """Every scored hypothesis of a cloud (merged or single clusters resolved, not yet suppressed nor
        thresholded); ``params`` as the manifest's parameters (defaults for those left out)."""
        p = {**default_parameters(), **(params or {})}
        seg = segment(
            points,
            float(p["max_range"]),
            float(p["ground_cell"]),
            float(p["ground_tolerance"]),
            float(p["max_height"]),
            float(p["cluster_eps"]),
            int(p["min_points"]),
        )
        max_elevation = _scanner_top(points)
        hypotheses = [
            _describe(c, seg.raised, p["fit_method"], bool(p["complete_boxes"]), max_elevation)
            for c in seg.candidates
        ]
        return _resolve_merges(hypotheses)


def _describe(
    candidate: Candidate, raised: RaisedPoints, method: str, complete: bool, max_elevation: float | None
) -> Hypothesis:
    """Box, class probabilities and score of one candidate.

    The score multiplies the best class likelihood, the support (more points, more trust), how much of
    the cluster lies on the box's faces, and how free the box's surroundings are of other raised points
    (fragments of walls and hedges have neighbours, objects on the road have free space).
    """
    pts = candidate.points
    box = fitted = fit_oriented_box(pts, ground_z=candidate.ground_z, method=method)
    scores = class_likelihoods(observe(box, pts, max_elevation))
    best = scores.best
    likelihood = float(scores.likelihood[best])
    support = 1.0 - math.exp(-len(pts) / SUPPORT_POINTS)
    isolation = len(pts) / (len(pts) + raised.clutter(box, candidate.parts))
    surface = surface_fraction(box, pts)
    score = likelihood * support * isolation * (0.5 + 0.5 * surface)
    obs, end_view = scores.readings[best]
    features = candidate_features(box, pts, candidate.ground_z, surface, isolation, likelihood, obs.top_cut)
    calibrated = calibrated_score(features, CLASS_NAMES[best])
    if calibrated is not None:
        score = calibrated
    if complete:
        box = complete_box(box, PRIORS[best], end_view, obs)
    evidence = float(scores.evidence[best])
    return Hypothesis(
        box, fitted, scores.probabilities, score, evidence, candidate.parts, candidate.merged, features,
        candidate.split,
    )  # fmt: skip


def _resolve_merges(hypotheses: list[Hypothesis]) -> list[Hypothesis]:
    """Resolve the three scales of clusters. A fine cluster is replaced by the pieces the finer clustering
    split it into when the best piece's evidence beats the cluster's (two people are no one object), and
    a cluster that is no candidate itself (a person touching a hedge makes one long cluster) leaves its
    pieces; a
    merged hypothesis replaces its fine clusters (and their pieces) when its evidence is nearly as strong
    as the best of them (the pieces were one object seen in parts)."""
    pieces: dict[int, list[Hypothesis]] = {}
    for h in hypotheses:
        if h.split:
            pieces.setdefault(h.parts[0], []).append(h)
    chosen: dict[int, list[Hypothesis]] = {}
    for h in hypotheses:
        if h.merged or h.split:
            continue
        split = pieces.get(h.parts[0], [])
        better = len(split) > 1 and h.evidence < MERGE_RATIO * max(p.evidence for p in split)
        chosen[h.parts[0]] = split if better else [h]
    for label, split in pieces.items():  # pieces of a cluster too large or too high to be an object
        chosen.setdefault(label, split)
    dropped: set[int] = set()
    kept = []
    for h in hypotheses:
        if not h.merged:
            continue
        best = max((max(x.evidence for x in chosen[p]) for p in h.parts if p in chosen), default=0.0)
        if h.evidence >= MERGE_RATIO * best:
            kept.append(h)
            dropped.update(h.parts)
    return kept + [x for label, group in chosen.items() if label not in dropped for x in group]


def _scanner_top(points: np.ndarray) -> float | None:
    """Upper field-of-view limit of the scanner (radians above the horizon), from the points' elevations."""
    xyz = np.asarray(points)[:, :3]
    if len(xyz) < 1000:
        return None
    elevation = np.arctan2(xyz[:, 2], np.hypot(xyz[:, 0], xyz[:, 1]))
    return float(np.percentile(elevation, 99.9))


def _suppress_overlaps(found: list[Hypothesis]) -> list[Hypothesis]:
    """Greedy suppression, best first: drop a hypothesis whose fitted box (what was seen) is mostly covered
    by a kept one's, or whose proposed box is (two pieces of one object, each completed to a whole one)."""
    kept: list[Hypothesis] = []
    for h in found:
        if not any(_covered(h.fitted, k.fitted) or _covered(h.box, k.box) for k in kept):
            kept.append(h)
    return kept


def _covered(box: Cuboid, other: Cuboid) -> bool:
    """True when more than `MAX_OVERLAP` of ``box``'s footprint lies inside ``other``'s."""
    return _near(box, other) and bev_intersection_area(box, other) > MAX_OVERLAP * box.size[0] * box.size[1]


def _near(a: Cuboid, b: Cuboid) -> bool:
    """True when the circles around two footprints overlap."""
    reach = (math.hypot(a.size[0], a.size[1]) + math.hypot(b.size[0], b.size[1])) / 2.0
    return math.hypot(a.center[0] - b.center[0], a.center[1] - b.center[1]) < reach
