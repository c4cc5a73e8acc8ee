"""Escalation in a project: what the window's *Accept all confident* does, learned from verified frames.

The same rule as ``annotator simulate --strategy escalate --adapt-every K``
(`annotator.ml.uncertainty.escalation.EscalationRule`, `annotator.ml.uncertainty.adaptation.judged_uncertainty`),
learned from the project's frames marked verified instead of a simulated annotator:

- **P(wrong)**: an `ErrorModel` fitted on the verified frames' scored proposals: accepted or corrected ones
  count right, rejected ones wrong (`RejectProposals` remembers them on their frame); needs both kinds;
- **objectness** of possible missed objects: an `ObjectnessModel` fitted on the verified frames' flagged
  clusters: accepted ones lay on an object, dismissed (rejected) ones did not;
- **miss rate**: of the verified, scored frames' labels, the share a person drew by hand (neither proposed
  nor shown as a possible missed object); frames are searched for missed objects (``EscalationPlan.searched``:
  their confident items accepted all the same) while it is above ``max_miss_rate``.
  Learned apart for frames holding boxes propagated into them and for the others, and applied to a frame of
  the same kind: once the finished labels are carried along a sequence, a frame misses only what entered
  since, not what a keyframe (nothing carried in) misses. On frames with propagated boxes it is learned as
  ``simulate --carry`` learns it, as a growth with the frames since the last frame reviewed whole, from what
  the person drew on the verified frames with propagated boxes they reviewed whole
  (`annotator.ml.uncertainty.whole_reviews`; a searched frame counts too): such a frame is searched when the
  share missed on average since then would pass ``max_miss_rate``, and while none was looked over whole yet.

Possible missed objects (`annotator.ml.uncertainty.missed`) are stored as unreviewed proposals of the
scoring plugin whose uncertainty record has ``kind = "missed_object"`` and ``uncertainty = 1`` (always
flagged, never accepted unreviewed): accepting one keeps its fitted box, rejecting it dismisses it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, FrameStatus, Provenance, Review, Source
from annotator.core.review import REJECTED_KEY
from annotator.ml.uncertainty.adaptation import expected_miss_share, judged_uncertainty, miss_growth
from annotator.ml.uncertainty.error_model import ErrorModel, feature_row
from annotator.ml.uncertainty.escalation import EscalationRule, frame_ood
from annotator.ml.uncertainty.missed import (
    DEFAULT_CLUSTER_THRESHOLD,
    ClusterSettings,
    MissedCluster,
    ObjectnessModel,
    guess_class,
    scored,
    unexplained_clusters,
)
from annotator.ml.uncertainty.whole_reviews import (
    ACCEPTED_BY_RULE,
    UNCERTAINTY_KEY,
    project_ages,
    reviewed_whole,
)

logger = logging.getLogger(__name__)

MISSED_KIND = "missed_object"
#: The ``kind`` of the record of a carried box checked against the model (its uncertainty is 0 or 1).
CARRIED_KIND = "carried"
#: The key of a carried record saying the box was confirmed by standing still, not by the model's box.
STILL_KEY = "still"
#: The key of a carried record saying the box slid off its object: the share of the object's points outside
#: it now, grown by more than the check allows since the track's box was last placed
#: (`annotator.core.cuboids.point_spill`).
SLID_KEY = "slid_off"
#: The key of a carried record saying the box stands still but holds too few points for that to confirm it
#: (the count).
SPARSE_KEY = "sparse"


def is_missed_item(record: Mapping[str, Any] | None) -> bool:
    """Whether an uncertainty record is that of a possible missed object."""
    return isinstance(record, Mapping) and record.get("kind") == MISSED_KIND


def carried_text(record: Mapping[str, Any]) -> str:
    """The reason shown for a carried box: whether the model confirms it, it stands still, or it slid off."""
    agreement = float(record.get("agreement", 0.0))
    slid = record.get(SLID_KEY)
    if isinstance(slid, Mapping):
        return (
            "carried in from the frame before; it slid off its object: "
            f"{100 * float(slid.get('spill', 0.0)):.0f} % of the object's points lie outside it "
            f"({100 * float(slid.get('placed', 0.0)):.0f} % where its box was placed; the model's best IoU "
            f"{agreement:.2f})"
        )
    if isinstance(record.get(SPARSE_KEY), int):
        return (
            "carried in from the frame before; it stands where the box confirmed there stood but holds only "
            f"{record[SPARSE_KEY]} points, too few to show its object (the model's best IoU {agreement:.2f})"
        )
    if float(record.get("uncertainty", 1.0)) < 0.5 and record.get(STILL_KEY):
        return (
            "carried in from the frame before; it stands where the box confirmed there stood "
            f"(the model's best IoU {agreement:.2f}; to be confirmed afresh on the next frame)"
        )
    if float(record.get("uncertainty", 1.0)) < 0.5:
        return f"carried in from the frame before; the model's box agrees (IoU {agreement:.2f})"
    return f"carried in from the frame before; the model does not confirm it (best IoU {agreement:.2f})"


def is_carried_item(record: Mapping[str, Any] | None) -> bool:
    """Whether an uncertainty record is that of a box carried in from the frame before and checked against
    the model's proposals (`annotator.ml.uncertainty.carried_check`): not a proposal of the model."""
    return isinstance(record, Mapping) and record.get("kind") == CARRIED_KIND


def missed_text(record: Mapping[str, Any]) -> str:
    """The reason shown for a possible missed object."""
    return (
        f"possible missed object (objectness {float(record.get('objectness', 0.0)):.2f}: "
        f"{int(record.get('points', 0))} points no proposal explains, {float(record.get('top', 0.0)):.1f} m high)"
    )


def missed_object_proposals(
    points: np.ndarray | None,
    frame_id: int,
    plugin_id: str,
    model_version: str,
    others: Sequence[Cuboid],
    default_sizes: Mapping[str, Sequence[float]],
    objectness: ObjectnessModel | None,
    threshold: float,
    settings: ClusterSettings | None = None,
) -> list[Annotation]:
    """Unreviewed proposals (id 0) for the frame's clusters that no box in ``others`` explains and whose
    objectness reaches ``threshold``; each box is the cluster's fit, its class the nearest default size."""
    if points is None or not len(points) or not default_sizes:
        return []
    found = scored(unexplained_clusters(points, others, settings), objectness)
    proposals = []
    for cluster in found:
        if cluster.objectness < threshold:
            continue
        record = {
            "uncertainty": 1.0, "kind": MISSED_KIND, "objectness": round(cluster.objectness, 6),
            "points": cluster.points, "top": round(cluster.top, 4), "floor": round(cluster.floor, 4),
            "distance": round(cluster.distance, 4), "model_version": model_version,
        }  # fmt: skip
        provenance = Provenance(Source.MODEL, plugin_id, model_version, round(cluster.objectness, 6))
        name = guess_class(cluster.box, default_sizes) or next(iter(default_sizes))
        proposals.append(
            Annotation(
                0,
                frame_id,
                name,
                cuboid=cluster.box,
                provenance=provenance,
                review=Review.UNREVIEWED,
                attributes={UNCERTAINTY_KEY: record},
            )
        )
    return proposals


@dataclass
class VerifiedExamples:
    """What the verified frames teach: judged proposals (class, measures, wrong), reviewed flagged
    clusters (object or not) and the labels drawn by hand among all labels of scored frames."""

    names: list[str] = field(default_factory=list)
    measures: list[dict[str, Any]] = field(default_factory=list)
    wrong: list[bool] = field(default_factory=list)
    #: Whether each judged proposal lay on a frame holding propagated labels.
    on_carried: list[bool] = field(default_factory=list)
    clusters: list[MissedCluster] = field(default_factory=list)
    #: Labels of the scored frames and those drawn by hand: frames without propagated labels, and with.
    labels: int = 0
    drawn: int = 0
    #: Frames with propagated labels: (frames since the last frame reviewed whole, labels, drawn by hand).
    carried: list[tuple[int, int, int]] = field(default_factory=list)

    def error_model(self, carried: bool | None = None) -> ErrorModel | None:
        """P(wrong) of the judged proposals: all of them, or only those on frames with (``carried``) or
        without propagated labels (None unless some were wrong and some right)."""
        kept = [k for k, on in enumerate(self.on_carried) if carried is None or on == carried]
        wrong = [self.wrong[k] for k in kept]
        if not (any(wrong) and not all(wrong)):
            return None
        rows = [feature_row(self.measures[k]) for k in kept]
        return ErrorModel.fit([self.names[k] for k in kept], rows, wrong)

    def miss_rate(self) -> float | None:
        """Share of the labels drawn by hand on the frames without propagated labels (None without labels)."""
        return self.drawn / self.labels if self.labels else None

    def miss_growth(self, credibility: float | None = None) -> float | None:
        """The growth of the share drawn by hand with the frames since the last one looked over whole, on the
        frames with propagated labels, at its posterior's ``credibility`` quantile or its mean
        (`annotator.ml.uncertainty.adaptation.miss_growth`; None without labels)."""
        return miss_growth(self.carried, credibility)


def _cluster(box: Cuboid, record: Mapping[str, Any], is_object: bool) -> MissedCluster:
    """A reviewed or stored possible missed object as a cluster (its objectness, features from its record)."""
    return MissedCluster(box, int(record.get("points", 0)), float(record.get("top", 0.0)),
                         float(record.get("floor", 0.0)), float(record.get("distance", 0.0)),
                         float(record.get("objectness", 0.0)), truth=0 if is_object else None)  # fmt: skip


def _learn(
    examples: VerifiedExamples,
    name: str,
    box: Cuboid,
    record: Mapping[str, Any],
    wrong: bool,
    on_carried: bool,
) -> None:
    if is_missed_item(record):
        examples.clusters.append(_cluster(box, record, not wrong))
    elif "uncertainty" in record and not is_carried_item(record):  # a carried box is not the model's
        examples.names.append(name)
        examples.measures.append(dict(record))
        examples.wrong.append(wrong)
        examples.on_carried.append(on_carried)


def holds_carried(annotations: Iterable[Annotation]) -> bool:
    """Whether a frame's annotations include boxes propagated into it."""
    return any(a.provenance.source is Source.PROPAGATED for a in annotations)


def verified_examples(project: Project) -> VerifiedExamples:
    """`VerifiedExamples` of the project's frames marked verified."""
    examples = VerifiedExamples()
    age = project_ages(project)
    for frame in project.frames.values():
        if frame.status != FrameStatus.VERIFIED:
            continue
        labels = [a for a in project.annotations_of(frame.id) if a.cuboid is not None and not a.is_proposal]
        carried = holds_carried(labels)
        rejected = frame.meta.get(REJECTED_KEY, [])
        for entry in rejected if isinstance(rejected, list) else []:
            try:
                box = Cuboid.from_array(entry["box"])
                _learn(examples, str(entry["class"]), box, entry["record"], wrong=True, on_carried=carried)
            except (KeyError, TypeError, ValueError):
                continue
        scored_here = bool(rejected)
        for a in labels:
            record = a.attributes.get(UNCERTAINTY_KEY)
            if isinstance(record, Mapping):
                scored_here = True
                if record.get(ACCEPTED_BY_RULE) and a.review is Review.ACCEPTED:
                    continue  # accepted by the rule and left so: nobody looked at it
                _learn(examples, a.class_name, a.cuboid, record, wrong=False, on_carried=carried)
        if scored_here:  # objects the person found with the model, carried in, or had to draw
            counted = [
                a for a in labels if a.provenance.source in (Source.MODEL, Source.MANUAL, Source.PROPAGATED)
            ]
            drawn = sum(1 for a in counted if a.provenance.source is Source.MANUAL)
            if carried:
                if reviewed_whole(frame):  # what a person looking at everything had to draw
                    examples.carried.append((age[frame.id], len(counted), drawn))
            else:
                examples.labels += len(counted)
                examples.drawn += drawn
    return examples


@dataclass
class EscalationPlan:
    """What the rule does with a project's unreviewed scored proposals."""

    accepted: list[int] = field(default_factory=list)
    #: Frames reviewed whole, with the reason ("out of distribution 1.35", ...).
    whole: dict[int, str] = field(default_factory=dict)
    #: Frames judged box by box that a person also searches for missed objects, with the reason ("about 4 %
    #: of the objects missed on average ...").
    searched: dict[int, str] = field(default_factory=dict)
    #: Unreviewed possible missed objects (review items) in the frames considered.
    missed_items: list[int] = field(default_factory=list)
    #: Frames judged box by box (scored items waiting, not to review whole).
    judged: list[int] = field(default_factory=list)
    error_model: ErrorModel | None = None
    miss_rate: float | None = None
    #: P(wrong) and the growth of the share missed of frames holding propagated labels (applied to such
    #: frames; P(wrong) falls back on ``error_model`` until frames with propagated labels have taught one).
    carried_error_model: ErrorModel | None = None
    miss_growth: float | None = None


def escalation_plan(
    project: Project, rule: EscalationRule, frame_ids: Iterable[int] | None = None
) -> EscalationPlan:
    """Which unreviewed scored proposals ``rule`` accepts (in the given frames, or all), with P(wrong) and
    the miss rate learned from the verified frames (module docstring)."""
    examples = verified_examples(project)
    plan = EscalationPlan(
        error_model=examples.error_model(carried=False) or examples.error_model(),
        carried_error_model=examples.error_model(carried=True),
        miss_rate=examples.miss_rate(),
        miss_growth=examples.miss_growth(rule.miss_credibility),
    )
    frames = set(frame_ids) if frame_ids is not None else None
    age = project_ages(project)
    by_frame: dict[int, list[tuple[Annotation, dict[str, Any]]]] = {}
    for a in project.annotations.values():
        if a.review is not Review.UNREVIEWED or (frames is not None and a.frame_id not in frames):
            continue
        record = a.attributes.get(UNCERTAINTY_KEY)
        if not isinstance(record, dict) or "uncertainty" not in record:
            continue
        if is_missed_item(record):
            plan.missed_items.append(a.id)
        else:
            by_frame.setdefault(a.frame_id, []).append((a, record))
    for frame_id, items in by_frame.items():
        records = [record for _, record in items]
        ood = frame_ood(records)
        carried = holds_carried(project.annotations_of(frame_id))
        rate = expected_miss_share(plan.miss_growth, age[frame_id]) if carried else plan.miss_rate
        whole = rule.reviews_whole(ood, rate)
        if whole or rule.searches(ood, rate):
            reason = _whole_reason(rule, ood, rate, age[frame_id] if carried else None, plan.miss_growth)
            (plan.whole if whole else plan.searched)[frame_id] = reason
        if whole:
            continue
        plan.judged.append(frame_id)
        names = [a.class_name for a, _ in items]
        fallback = [float(r["uncertainty"]) for r in records]
        # a frame with boxes carried in is judged on what such frames taught, else on the stored uncertainty
        # (as the simulation does): its new proposals are mostly what nobody labelled, unlike a keyframe's
        model = plan.carried_error_model if carried else plan.error_model
        judged = judged_uncertainty(model, names, records, fallback)
        # a carried box keeps its own uncertainty (confirmed by the model or not): P(wrong) is the proposals'
        doubt = [f if is_carried_item(r) else j for r, f, j in zip(records, fallback, judged, strict=True)]
        plan.accepted += [a.id for (a, _), ok in zip(items, rule.accepted(doubt), strict=True) if ok]
    plan.accepted.sort()
    plan.missed_items.sort()
    plan.judged.sort()
    return plan


def _whole_reason(
    rule: EscalationRule,
    ood: float | None,
    miss_rate: float | None,
    age: int | None = None,
    growth: float | None = None,
) -> str:
    """Why a frame goes to review whole or is searched for missed objects (``age``: frames since one was
    looked over whole, for a frame with carried boxes)."""
    if age is not None and growth is None and miss_rate is not None and miss_rate > rule.max_miss_rate:
        return "no frame with boxes carried in looked over whole yet: how fast misses add up is not known"
    if miss_rate is not None and miss_rate > rule.max_miss_rate and age is not None:
        return f"about {miss_rate:.0%} of the objects missed on average over the {age} frames since one was looked over whole"
    if miss_rate is not None and miss_rate > rule.max_miss_rate:
        return f"the model missed {miss_rate:.0%} of the verified frames' objects"
    return f"out of distribution {ood:.2f}"


def learned_objectness(project: Project) -> ObjectnessModel | None:
    """The objectness learned from the verified frames' reviewed possible missed objects (None: too few)."""
    return ObjectnessModel.fit(verified_examples(project).clusters)


def missed_for_frame(
    project: Project,
    frame_id: int,
    points: np.ndarray | None,
    proposals: Sequence[Annotation],
    classes: Sequence[str],
    plugin_id: str,
    model_version: str,
    threshold: float = DEFAULT_CLUSTER_THRESHOLD,
) -> list[Annotation]:
    """The possible missed objects of a frame being scored: clusters that neither the new ``proposals``
    nor the frame's reviewed boxes explain, at the objectness learned from the verified frames, classed
    among ``classes`` (the plugin's) by the project's default sizes (the first class when the schema has
    none of them)."""
    others = [p.cuboid for p in proposals if p.cuboid is not None]
    others += [
        a.cuboid for a in project.annotations_of(frame_id) if a.cuboid is not None and not a.is_proposal
    ]
    sizes = {c.name: c.default_size for c in project.schema.classes if c.name in set(classes)}
    if not sizes and classes:  # the schema knows none of the plugin's classes: its first one
        sizes = {classes[0]: (1.0, 1.0, 1.0)}
    objectness = learned_objectness(project)
    return missed_object_proposals(
        points, frame_id, plugin_id, model_version, others, sizes, objectness, threshold
    )


def missed_snapshot(project: Project, frame_names: Iterable[str]) -> dict[str, list[MissedCluster]]:
    """The possible missed objects of the frames named (unreviewed, accepted, or rejected and remembered),
    as clusters with their objectness, by frame name: a cheap snapshot for the dock's escalation sweep."""
    wanted = set(frame_names)
    out: dict[str, list[MissedCluster]] = {}
    for frame in project.frames_in_order():
        if frame.name not in wanted:
            continue
        found = []
        for a in project.annotations_of(frame.id):
            record = a.attributes.get(UNCERTAINTY_KEY)
            if a.cuboid is not None and is_missed_item(record):
                found.append(_cluster(a.cuboid, record, False))
        rejected = frame.meta.get(REJECTED_KEY, [])
        for entry in rejected if isinstance(rejected, list) else []:
            if isinstance(entry, Mapping) and is_missed_item(entry.get("record")):
                try:
                    found.append(_cluster(Cuboid.from_array(entry["box"]), entry["record"], False))
                except (KeyError, TypeError, ValueError):
                    continue
        out[frame.name] = found
    return out
