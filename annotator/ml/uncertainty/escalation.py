"""Escalation: which proposals are accepted without review and which go to a person.

One rule (`EscalationRule`), shared by ``annotator simulate --strategy escalate`` and the window's *Accept
all confident*: a proposal whose uncertainty is below ``threshold`` is accepted unreviewed, the rest go to
the review queue; a frame whose out-of-distribution score (`annotator.ml.uncertainty.ood`, stored on its
scored proposals as ``frame_ood``) is at least ``ood_threshold`` is reviewed whole (nothing accepted, and
the reviewer also adds what the model missed).

A frame's unexplained point clusters (`annotator.ml.uncertainty.missed`) whose objectness reaches
``cluster_threshold`` are review items too ("possible missed object"): a person looks at each, accepts
its fitted box when it is an object (an adjust-like check, not an add from scratch) or dismisses it.

With online adaptation (`annotator.ml.uncertainty.adaptation`) a frame also carries the miss rate
learned from the verified frames (objects neither proposed nor flagged as possible missed objects).
While that is above ``max_miss_rate`` the frame is **searched for missed objects**: its confident items
are accepted as on any frame and the uncertain ones reviewed, and a person looks over the frame for objects
without a box and draws them (``search_misses``; False: reviewed whole instead, the earlier rule).
The model's misses say nothing about its boxes, so a frame is reviewed whole only when the model is out of
its depth there (OOD), or when nothing is known at all (an infinite miss rate: a sequence's keyframe).

`escalate_frame` measures one frame against its ground truth: boxes reviewed, wrong boxes accepted
unreviewed (no ground-truth box of the class at BEV IoU >= 0.5, as `annotator.ml.uncertainty.evaluation`),
objects missed in frames neither reviewed whole nor searched (no proposal near them and no flagged cluster
on them), and the reviewer's edits and time under the effort model of `annotator.ml.finetune.edits` (a
flagged cluster on a missed object costs an adjustment, one on anything else a deletion's few seconds to
dismiss it; a frame reviewed whole or searched costs a search's seconds besides the boxes drawn there).
`sweep` does it for several thresholds.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.ml.finetune.edits import EditCounts, EffortModel, Tolerance, count_edits, matched_pairs
from annotator.ml.uncertainty.missed import DEFAULT_CLUSTER_THRESHOLD, MissedCluster

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.5
#: Frames at least this far from the training data (OOD score, 1 = the index's 95th percentile) are
#: reviewed whole: 20 % beyond the training frames' own spread (generated frames of unseen seeds scored
#: 0.43-1.13 under the shipped base model, Argoverse sweeps 0-29 1.24-1.42).
DEFAULT_OOD_THRESHOLD = 1.2
#: With online adaptation, frames are searched for missed objects while the model misses more than this share
#: of the objects on the verified frames (accepting its boxes would leave those misses in the labels).
DEFAULT_MAX_MISS_RATE = 0.03
#: Along a sequence, the growth of the share missed is taken at this quantile of its posterior
#: (`annotator.ml.uncertainty.adaptation.miss_growth`): the share missed is bounded with 90 % credibility, not
#: only expected under the bound, as the growth is learned from a few frames looked over whole.
DEFAULT_MISS_CREDIBILITY = 0.9
SWEEP = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.01)
OOD_KEY = "frame_ood"


@dataclass(frozen=True)
class EscalationRule:
    """Accept below ``threshold`` (uncertainty); review frames with OOD >= ``ood_threshold`` whole; search
    frames where the model is known to miss more than ``max_miss_rate`` of the objects for missed objects
    (``search_misses``; False: review them whole), the misses' growth along a sequence taken at its
    posterior's ``miss_credibility`` quantile; flag unexplained clusters with objectness >= ``cluster_threshold``
    as possible missed objects."""

    threshold: float = DEFAULT_THRESHOLD
    ood_threshold: float = DEFAULT_OOD_THRESHOLD
    max_miss_rate: float = DEFAULT_MAX_MISS_RATE
    cluster_threshold: float = DEFAULT_CLUSTER_THRESHOLD
    search_misses: bool = True
    #: The quantile of the posterior of the misses' growth along a sequence (None: its mean).
    miss_credibility: float | None = DEFAULT_MISS_CREDIBILITY

    def flagged(self, objectness: Sequence[float]) -> np.ndarray:
        """Which unexplained clusters are review items (possible missed objects)."""
        return np.asarray(objectness, dtype=float) >= self.cluster_threshold

    def misses_too_many(self, miss_rate: float | None) -> bool:
        """Whether a frame with this learned miss rate (None: unknown) needs a person to find what is missing."""
        return miss_rate is not None and miss_rate > self.max_miss_rate

    def reviews_whole(self, ood: float | None, miss_rate: float | None = None) -> bool:
        """Whether a frame with this OOD score and learned miss rate (None: unknown) goes to review whole: out
        of distribution, nothing known (an infinite miss rate), or (without ``search_misses``) too many misses."""
        if self.misses_too_many(miss_rate) and (not self.search_misses or miss_rate == math.inf):
            return True
        return ood is not None and math.isfinite(ood) and ood >= self.ood_threshold

    def searches(self, ood: float | None, miss_rate: float | None = None) -> bool:
        """Whether a frame not reviewed whole is searched for missed objects (its confident items accepted)."""
        return (
            self.search_misses and self.misses_too_many(miss_rate) and not self.reviews_whole(ood, miss_rate)
        )

    def accepted(
        self, uncertainty: Sequence[float], ood: float | None = None, miss_rate: float | None = None
    ) -> np.ndarray:
        """Which proposals of one frame are accepted without review."""
        u = np.asarray(uncertainty, dtype=float)
        if self.reviews_whole(ood, miss_rate):
            return np.zeros(len(u), dtype=bool)
        return u < self.threshold


def frame_ood(records: Sequence[Mapping[str, Any]]) -> float | None:
    """A frame's OOD score from its proposals' uncertainty records (None when none carries one)."""
    values = [float(r[OOD_KEY]) for r in records if isinstance(r.get(OOD_KEY), (int, float))]
    return max(values) if values else None


def claimed_truths(
    proposals: Sequence[tuple[str, Cuboid]],
    truths: Sequence[tuple[str, Cuboid]],
    linked: Sequence[tuple[int, int]] = (),
) -> set[int]:
    """Truth indices a set of proposals covers (matched as the edit count matches, ``linked`` pairs first)."""
    return {j for _, j in matched_pairs(proposals, truths, linked=linked)}


@dataclass
class EscalationFrame:
    """One frame's scored proposals (class, cuboid), their uncertainty and wrongness, the ground truth
    (class, cuboid), "don't care" boxes and the frame's OOD score (None: unknown)."""

    name: str
    proposals: list[tuple[str, Cuboid]]
    uncertainty: np.ndarray
    wrong: np.ndarray
    truths: list[tuple[str, Cuboid]]
    ignore: list[Cuboid] = field(default_factory=list)
    ood: float | None = None
    #: The detector's own score of each proposal (one plain pass), when known: the baseline.
    score: np.ndarray | None = None
    #: Each proposal's uncertainty measures (`annotator.ml.uncertainty.aggregate`), when known.
    measures: list[dict[str, float]] = field(default_factory=list)
    #: The frame's embedding in the detector's latent space (OOD reference), when known.
    embedding: np.ndarray | None = None
    #: Share of the objects missed (not proposed, not flagged) on the verified frames before this one
    #: (online adaptation).
    miss_rate: float | None = None
    #: The frame's point clusters no proposal explains, with their objectness (`annotator.ml.uncertainty.missed`).
    clusters: list[MissedCluster] = field(default_factory=list)
    #: Proposal index -> truth index of the same object known by identity, whatever their overlap: a box
    #: carried along a track and that track's truth (a person corrects it, not deletes it and draws anew).
    links: dict[int, int] = field(default_factory=dict)

    def linked_among(
        self, chosen: Sequence[int], truths: Sequence[int] | None = None
    ) -> list[tuple[int, int]]:
        """`links` between the proposals ``chosen`` and the ``truths`` (all by default), as positions in
        those two lists (what `matched_pairs` takes for a subset)."""
        truth_at = {j: n for n, j in enumerate(range(len(self.truths)) if truths is None else truths)}
        return [
            (n, truth_at[self.links[k]])
            for n, k in enumerate(chosen)
            if k in self.links and self.links[k] in truth_at
        ]

    def claimed(self) -> set[int]:
        """Truth indices the frame's proposals cover (links first)."""
        return claimed_truths(self.proposals, self.truths, self.linked_among(range(len(self.proposals))))

    def missed(self) -> int:
        """Ground-truth objects no proposal of the frame covers."""
        return len(self.truths) - len(self.claimed())

    def unflagged_missed(self, cluster_threshold: float) -> tuple[int, int]:
        """Objects no proposal covers and no cluster at or above ``cluster_threshold`` lies on, and the
        number of objects such clusters find."""
        unclaimed = set(range(len(self.truths))) - self.claimed()
        found = {c.truth for c in self.clusters if c.objectness >= cluster_threshold} & unclaimed
        return len(unclaimed) - len(found), len(found)

    def missed_beside(self, reviewed: Sequence[Cuboid], cluster_threshold: float, margin: float) -> int:
        """Of the objects neither proposed nor flagged, how many come within ``margin`` (m) of one of the
        ``reviewed`` items' boxes in bird's-eye view (the object's box grown by ``margin`` overlaps it): a
        person checking that item sees them beside it (a pedestrian next to the one they check)."""
        unclaimed = set(range(len(self.truths))) - self.claimed()
        unclaimed -= {c.truth for c in self.clusters if c.objectness >= cluster_threshold}
        count = 0
        for j in unclaimed:
            box = self.truths[j][1]
            grown = box.replace(size=(box.size[0] + 2 * margin, box.size[1] + 2 * margin, box.size[2]))
            count += any(bev_iou(grown, item) > 0.0 for item in reviewed)
        return count


@dataclass
class EscalationOutcome:
    """What one rule did on some frames."""

    threshold: float
    boxes: int = 0
    reviewed: int = 0
    frames: int = 0
    frames_whole: int = 0
    #: Frames searched for missed objects (not reviewed whole: their confident items accepted).
    frames_searched: int = 0
    truths: int = 0
    wrong_accepted: int = 0
    missed: int = 0
    #: Unexplained clusters flagged as possible missed objects, and the missed objects they found.
    clusters_flagged: int = 0
    clusters_found: int = 0
    #: Missed objects a person adds because they lie beside an item they review (``beside`` of `escalate_frame`).
    found_beside: int = 0
    edits: EditCounts = field(default_factory=EditCounts)
    effort_s: float = 0.0
    manual_s: float = 0.0

    @property
    def reviewed_share(self) -> float:
        """Share of the review items (proposals and flagged clusters) a person looked at."""
        items = self.boxes + self.clusters_flagged
        return (self.reviewed + self.clusters_flagged) / items if items else 0.0

    @property
    def reviewed_per_object(self) -> float:
        """Review items a person looked at per ground-truth object."""
        return (self.reviewed + self.clusters_flagged) / self.truths if self.truths else 0.0

    @property
    def residual_errors(self) -> int:
        """Errors left in the finished labels: wrong boxes accepted unreviewed plus missed objects."""
        return self.wrong_accepted + self.missed

    @property
    def residual_rate(self) -> float:
        """Residual errors over the finished labels' size (ground-truth objects plus the wrong boxes
        accepted): the share of the result that is wrong or missing, 0..1."""
        size = self.truths + self.wrong_accepted
        return self.residual_errors / size if size else 0.0

    def __add__(self, other: EscalationOutcome) -> EscalationOutcome:
        summed = {k: getattr(self, k) + getattr(other, k) for k in asdict(self) if k != "threshold"}
        summed["edits"] = self.edits + other.edits
        return EscalationOutcome(self.threshold, **summed)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the shares."""
        values = {k: v for k, v in asdict(self).items() if k != "edits"}
        return values | {
            "edits": self.edits.to_dict(),
            "reviewed_share": round(self.reviewed_share, 4),
            "reviewed_per_object": round(self.reviewed_per_object, 4),
            "residual_rate": round(self.residual_rate, 4),
            "effort_s": round(self.effort_s, 1),
        }


def escalate_frame(
    frame: EscalationFrame,
    rule: EscalationRule,
    costs: EffortModel | None = None,
    tolerance: Tolerance | None = None,
    beside: float = 0.0,
) -> EscalationOutcome:
    """Apply ``rule`` to one frame and measure it (module docstring). ``beside`` > 0: the simulated person
    also adds (an add's time each) the missed objects within that many metres of an item they review, a
    proposal or a flagged cluster (`EscalationFrame.missed_beside`); 0: only what the items themselves show."""
    costs = costs or EffortModel()
    accepted = rule.accepted(frame.uncertainty, frame.ood, frame.miss_rate)
    outcome = EscalationOutcome(
        rule.threshold, boxes=len(frame.proposals), frames=1, truths=len(frame.truths)
    )
    outcome.manual_s = costs.manual_seconds(len(frame.truths))
    if rule.reviews_whole(frame.ood, frame.miss_rate):
        outcome.frames_whole = 1
        outcome.reviewed = len(frame.proposals)
        everything = range(len(frame.proposals))
        outcome.edits = count_edits(frame.proposals, frame.truths, frame.ignore, tolerance,
                                    frame.linked_among(everything))  # fmt: skip
    else:
        kept_at, asked_at = np.flatnonzero(accepted), np.flatnonzero(~accepted)
        kept = [frame.proposals[k] for k in kept_at]
        asked = [frame.proposals[k] for k in asked_at]
        claimed = claimed_truths(kept, frame.truths, frame.linked_among(kept_at))
        open_at = [j for j in range(len(frame.truths)) if j not in claimed]
        open_truths = [frame.truths[j] for j in open_at]
        edits = count_edits(
            asked, open_truths, frame.ignore, tolerance, frame.linked_among(asked_at, open_at)
        )
        edits.added = 0  # nobody searches an unreviewed frame for what the model missed ...
        flagged = int(rule.flagged([c.objectness for c in frame.clusters]).sum())
        missed, found = frame.unflagged_missed(rule.cluster_threshold)
        edits.adjusted += found  # ... except where a flagged cluster shows it: its fitted box, adjusted
        edits.deleted += flagged - found  # the other flags are dismissed
        outcome.reviewed = len(asked)
        outcome.clusters_flagged, outcome.clusters_found = flagged, found
        outcome.edits = edits
        outcome.wrong_accepted = int((accepted & np.asarray(frame.wrong, dtype=bool)).sum())
        if beside > 0.0:
            items = [box for _, box in asked] + [
                c.box for c in frame.clusters if c.objectness >= rule.cluster_threshold
            ]
            outcome.found_beside = frame.missed_beside(items, rule.cluster_threshold, beside)
            edits.added += outcome.found_beside
            missed -= outcome.found_beside
        if rule.searches(frame.ood, frame.miss_rate):  # ... unless the rule asks for it: they are drawn
            outcome.frames_searched = 1
            edits.added += missed
            missed = 0
        outcome.missed = missed
    outcome.effort_s = costs.seconds(outcome.edits) + costs.search * (
        outcome.frames_whole + outcome.frames_searched
    )
    return outcome


def sweep(
    frames: Sequence[EscalationFrame],
    thresholds: Sequence[float] = SWEEP,
    ood_threshold: float = DEFAULT_OOD_THRESHOLD,
    costs: EffortModel | None = None,
    tolerance: Tolerance | None = None,
    max_miss_rate: float = DEFAULT_MAX_MISS_RATE,
    cluster_threshold: float = DEFAULT_CLUSTER_THRESHOLD,
    beside: float = 0.0,
) -> list[EscalationOutcome]:
    """One summed outcome per threshold over ``frames`` (``beside``: see `escalate_frame`)."""
    results = []
    for threshold in thresholds:
        rule = EscalationRule(threshold, ood_threshold, max_miss_rate, cluster_threshold)
        total = EscalationOutcome(threshold)
        for frame in frames:
            total = total + escalate_frame(frame, rule, costs, tolerance, beside)
        results.append(total)
    return results


def sweep_table(outcomes: Sequence[EscalationOutcome], default: float | None = None) -> list[str]:
    """The sweep as text lines (a header, one row per threshold; ``default`` marked with *)."""
    lines = [
        f"{'threshold':>9}  {'reviewed':>8}  {'flags':>5}  {'share':>6}  {'/object':>7}  {'whole frames':>12}  "
        f"{'searched':>8}  "
        f"{'wrong accepted':>14}  {'missed':>6}  {'residual':>8}  {'edits':>5}  {'effort':>9}"
    ]
    for o in outcomes:
        mark = "*" if default is not None and abs(o.threshold - default) < 1e-9 else " "
        share = o.effort_s / o.manual_s if o.manual_s else 0.0
        lines.append(
            f"{o.threshold:>8.2f}{mark}  {o.reviewed:>8}  {o.clusters_flagged:>5}  {o.reviewed_share:>6.1%}  "
            f"{o.reviewed_per_object:>7.2f}  {o.frames_whole:>12}  {o.frames_searched:>8}  "
            f"{o.wrong_accepted:>14}  {o.missed:>6}  {o.residual_rate:>8.1%}  {o.edits.total:>5}  "
            f"{share:>8.2f}x"
        )
    return lines
