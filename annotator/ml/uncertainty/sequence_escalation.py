"""Escalation along a sequence: each frame starts from the previous frame's finished labels, carried in.

On a sequence a person does not start a frame empty: the window propagates the labels of the frame just
finished into the next one (`annotator.core.propagation.plan_step`: ego motion, track velocity, re-fit),
and pre-annotation adds proposals only where no box stands. Escalation on a sequence follows that workflow
(``annotator simulate --strategy escalate --carry``):

- **Carried boxes** (the previous frame's finished labels, carried and still holding
  `annotator.ml.finetune.carry.MIN_POINTS` points, and those of the tracks whose box was dropped for too few
  points within `annotator.ml.finetune.carry.LOST_FRAMES` frames and holds them again) are review items like
  proposals. A carried box is confident when the model, run on the new frame on its own, boxes the same
  object at bird's-eye IoU >= ``agreement_iou``: two estimates of the box that agree. Its uncertainty is 0
  then and 1 otherwise, so it is accepted unreviewed only when they agree, or when it **stands still** where
  its track's finished box stood on the previous frame (`annotator.ml.uncertainty.carried_check.stands_still`)
  and that box was confirmed afresh (by a person, or by the model) within ``still_frames`` frames
  (``stale``): the confirmation of a standing object's box holds that many frames on, as in the window.
  Neither makes it confident when it **slid off its object**: the share of the object's points outside it
  grew by more than ``spill_growth`` since the track's box was last placed by a person or the model
  (`annotator.core.cuboids.point_spill`). The model's box can lag behind a slow walker as the carried box
  does, and a box carried standing because the walker seemed to stand drifts a little every frame; the
  points show it.
- **Proposals** on a carried box's object are left out (the window's rule, `annotator.ml.proposal_overlap`),
  and so are proposals on an object a person rejected within the last ``reject_frames`` frames, compared in
  world coordinates where the frames have poses: a person dismisses a hedge once, not on every frame.
- **Unexplained clusters** that a carried box explains are no longer possible missed objects.
- The **first frame** has nothing carried in and is reviewed whole: it is the sequence's keyframe (its miss
  rate is taken as infinite: everything it holds is still to find, whatever ``max_miss_rate``).
- A carried box is **linked to its track's object** (`EscalationFrame.links`): the person who reviews it
  moves it onto that object however far propagation put it, and an accepted one that lies off its object is
  one wrong box, not a wrong box plus a missed object.
- The **misses add up**: an object nobody found stays missing until a person looks a frame over whole, so the
  share missed grows with the frames since then. That growth is learned from what the frames with boxes
  carried in that were looked over whole showed missing (objects neither carried, proposed nor flagged;
  `annotator.ml.uncertainty.adaptation.miss_growth`, at the rule's ``miss_credibility`` quantile of its
  posterior), after each of them. A frame is **searched for missed objects** (its confident items accepted,
  the missing objects drawn) when the share missed on average since the last one looked over would pass
  ``max_miss_rate`` (`expected_miss_share`), and while nothing is known (the first frame with boxes carried
  in): searches come about periodically, as often as the model's misses need (reviewed whole instead without
  the rule's ``search_misses``).
- **P(wrong) of the new proposals** (those on no carried object; `annotator.ml.uncertainty.error_model`) is
  learned from the new proposals of the frames judged this way, every ``adapt_every`` frames: once the objects
  a person labelled are carried, what the model proposes beside them is mostly what nobody labelled, a
  population unlike all of a frame's proposals. The window learns it from the same population: the scored
  proposals of verified frames, where proposals on carried objects were never added.

A frame's finished labels depend on the rule. A frame reviewed whole ends with its ground truth; a searched one
as any other, plus every object missing. Otherwise:
- accepted boxes stay as they are (a wrong one included, and it is carried on);
- reviewed boxes become the ground-truth box they are corrected to, or are deleted; only a deleted proposal
  on no object is remembered as rejected (a person corrects a box on an object, or deletes a duplicate);
- flagged clusters on objects become those objects;
- missed objects stay missing.
So misses and wrong boxes travel on as they would for a person, and each threshold of a sweep is its own pass
over the sequence (`SequenceEscalation`).
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.cuboids.point_spill import DEFAULT_SPILL_GROWTH, point_spill, spill_grew
from annotator.core.edits import AddAnnotations
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Provenance, Source
from annotator.core.pose import Pose
from annotator.core.world import from_world, to_world
from annotator.ml.finetune.carry import LOST_FRAMES, MIN_POINTS, Carrier
from annotator.ml.finetune.edits import EffortModel, Tolerance, matched_pairs
from annotator.ml.proposal_overlap import on_any_object
from annotator.ml.uncertainty.adaptation import (
    expected_miss_share,
    fit_error_model,
    judged_uncertainty,
    miss_growth,
)
from annotator.ml.uncertainty.carried_check import (
    DEFAULT_AGREEMENT_IOU,
    DEFAULT_REJECT_FRAMES,
    DEFAULT_STILL_FRAMES,
    stands_still,
)
from annotator.ml.uncertainty.error_model import ErrorModel
from annotator.ml.uncertainty.escalation import (
    EscalationFrame,
    EscalationOutcome,
    EscalationRule,
    escalate_frame,
)
from annotator.ml.uncertainty.evaluation import wrong_unless_dont_care
from annotator.ml.uncertainty.project_escalation import SLID_KEY, STILL_KEY

logger = logging.getLogger(__name__)

#: (class, cuboid, track id or None): a finished label, or a box carried into the next frame.
TrackedBox = tuple[str, Cuboid, "int | None"]


@dataclass(frozen=True)
class CarrySettings:
    """How a sequence is carried: ``agreement_iou`` (a carried box is confident when a proposal boxes it
    this well), ``reject_frames`` (how long a rejection keeps proposals off an object), ``min_points`` (a
    carried box is kept when it holds that many points), ``lost_frames`` (how long a track whose box was
    dropped for too few points is brought back), ``still_frames`` (for how many frames a box confirmed afresh
    holds for a standing object; 0: never), ``spill_growth`` (a carried box whose object's points spill out
    of it by more than this share beyond what they did from the track's last placed box is not confident;
    None: not checked)."""

    agreement_iou: float = DEFAULT_AGREEMENT_IOU
    reject_frames: int = DEFAULT_REJECT_FRAMES
    min_points: int = MIN_POINTS
    lost_frames: int = LOST_FRAMES
    still_frames: int = DEFAULT_STILL_FRAMES
    #: A carried box slid off its object when its points' spill grew by more than this (None: not checked).
    spill_growth: float | None = DEFAULT_SPILL_GROWTH


@dataclass
class CarriedFrame:
    """A frame judged with carried boxes: the merged `EscalationFrame` (carried boxes first, then the
    proposals left), the tracks of its items (None for proposals) and how many items were carried."""

    frame: EscalationFrame
    tracks: list[int | None]
    carried: int
    #: Per carried box: confident by standing still alone (the model's box does not agree).
    still: list[bool] = field(default_factory=list)


def agreement(carried: Cuboid, proposals: Sequence[tuple[str, Cuboid]]) -> float:
    """The best bird's-eye IoU of any proposal with the ``carried`` box (0 without proposals)."""
    return max((bev_iou(carried, box) for _, box in proposals), default=0.0)


def with_carried(
    judged: EscalationFrame,
    carried: Sequence[TrackedBox],
    rejected: Sequence[Cuboid] = (),
    agreement_iou: float = DEFAULT_AGREEMENT_IOU,
    truth_tracks: Sequence[int | None] = (),
    still: Sequence[bool] = (),
    slid_off: Sequence[bool] = (),
) -> CarriedFrame:
    """``judged`` (the model's proposals on a frame, scored) with ``carried`` boxes put first (module
    docstring): proposals on a carried or ``rejected`` object and clusters a carried box explains left out.
    A carried box is linked to the truth of its track (``truth_tracks``: the track of each truth); one whose
    ``still`` is True (it stands where its track's box, confirmed afresh, stood) is confident too, unless it
    ``slid_off`` its object (its points' spill grew)."""
    boxes = [(name, box) for name, box, _ in carried]
    truth_of = {track: j for j, track in enumerate(truth_tracks) if track is not None}
    links = {k: truth_of[track] for k, (_, _, track) in enumerate(carried) if track in truth_of}
    agreements = [agreement(box, judged.proposals) for _, box in boxes]
    by_stillness = [a < agreement_iou and k < len(still) and bool(still[k]) for k, a in enumerate(agreements)]
    taken = on_any_object([box for _, box in judged.proposals], [*(c for _, c in boxes), *rejected])
    kept = np.flatnonzero(~taken)
    off = [k < len(slid_off) and bool(slid_off[k]) for k in range(len(boxes))]
    confident = np.array(
        [
            0.0 if (a >= agreement_iou or s) and not o else 1.0
            for a, s, o in zip(agreements, by_stillness, off)
        ]
    )
    frame = dataclasses.replace(
        judged,
        proposals=boxes + [judged.proposals[k] for k in kept],
        uncertainty=np.concatenate([confident, np.asarray(judged.uncertainty, dtype=float)[kept]]),
        wrong=np.concatenate(
            [wrong_unless_dont_care(boxes, judged.truths, judged.ignore), np.asarray(judged.wrong)[kept]]
        ),
        score=None if judged.score is None else np.concatenate([agreements, np.asarray(judged.score)[kept]]),
        measures=[
            {"carried": 1.0, "agreement": a, STILL_KEY: float(s), SLID_KEY: float(o)}
            for a, s, o in zip(agreements, by_stillness, off)
        ]
        + [judged.measures[k] for k in kept]
        if judged.measures
        else [],
        clusters=[
            c
            for c, explained in zip(
                judged.clusters,
                on_any_object([c.box for c in judged.clusters], [b for _, b in boxes]),
                strict=True,
            )
            if not explained
        ],
        links=links,
    )
    return CarriedFrame(
        frame, [track for _, _, track in carried] + [None] * len(kept), len(boxes), by_stillness
    )


@dataclass
class Finished:
    """A frame's finished labels (class, cuboid, track) and the proposals a person rejected on it. ``sources``:
    where each label's box comes from as the window records it (`Source.PROPAGATED` for a carried box accepted
    as it is, `Source.MODEL` for a proposal accepted as it is, `Source.MANUAL` for a box a person placed: the
    truth it was corrected to, drawn or found); the track's motion is taken from the boxes a person or the
    model placed (`annotator.core.tracks.placed_by_hand_or_model`), as in the window."""

    labels: list[TrackedBox]
    rejected: list[Cuboid] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)

    def annotations(self, frame_id: int) -> list[Annotation]:
        """The labels as annotations of frame ``frame_id`` (id 0), with their sources."""
        sources = self.sources or [Source.MANUAL] * len(self.labels)
        return [
            Annotation(0, frame_id, name, cuboid=box, track_id=track, provenance=Provenance(source))
            for (name, box, track), source in zip(self.labels, sources, strict=True)
        ]


def finished_labels(
    judged: CarriedFrame,
    rule: EscalationRule,
    truth_tracks: Sequence[int | None],
    new_track: Callable[[], int],
) -> Finished:
    """What ``rule`` leaves on a frame (module docstring). An accepted proposal keeps the track of the object
    it boxes (the window's tracker links it), else it starts one (``new_track``)."""
    frame = judged.frame
    truths = [(name, box, track) for (name, box), track in zip(frame.truths, truth_tracks, strict=True)]
    matched = dict(matched_pairs(frame.proposals, frame.truths, linked=list(frame.links.items())))
    whole = rule.reviews_whole(frame.ood, frame.miss_rate)
    accepted = rule.accepted(frame.uncertainty, frame.ood, frame.miss_rate)
    # a person corrects a reviewed box that lies on an object; a box on no object is rejected
    dismissed = [
        box
        for k, (_, box) in enumerate(frame.proposals)
        if k >= judged.carried and k not in matched and not accepted[k]
    ]
    on_object = on_any_object(dismissed, [box for _, box in frame.truths])
    rejected = [box for box, on in zip(dismissed, on_object, strict=True) if not on]
    if whole:
        return Finished(truths, rejected)
    labels: list[TrackedBox] = []
    sources: list[Source] = []
    for k, (name, box) in enumerate(frame.proposals):
        truth = matched.get(k)
        if accepted[k]:
            track = judged.tracks[k]
            if track is None and truth is not None:
                track = truth_tracks[truth]
            labels.append((name, box, new_track() if track is None else track))
            sources.append(Source.PROPAGATED if k < judged.carried else Source.MODEL)
        elif truth is not None:
            labels.append(truths[truth])
            sources.append(Source.MANUAL)
    unclaimed = set(range(len(frame.truths))) - set(matched.values())
    found = {c.truth for c in frame.clusters if c.objectness >= rule.cluster_threshold} & unclaimed
    if rule.searches(frame.ood, frame.miss_rate):  # the person looks the frame over and draws what is missing
        found = unclaimed
    labels += [truths[j] for j in sorted(found)]
    sources += [Source.MANUAL] * len(found)
    return Finished(labels, rejected, sources)


def confirmed_by_stillness(judged: CarriedFrame, rule: EscalationRule) -> list[int]:
    """The tracks of the carried boxes ``rule`` accepted unreviewed on the strength of standing still alone."""
    frame = judged.frame
    accepted = rule.accepted(frame.uncertainty, frame.ood, frame.miss_rate)
    return [
        track
        for k, track in enumerate(judged.tracks[: judged.carried])
        if track is not None and accepted[k] and judged.still[k]
    ]


def new_proposals(judged: CarriedFrame) -> EscalationFrame:
    """The frame's proposals on no carried object alone (with their measures and wrongness)."""
    frame, start = judged.frame, judged.carried
    return dataclasses.replace(
        frame,
        proposals=frame.proposals[start:],
        uncertainty=np.asarray(frame.uncertainty)[start:],
        wrong=np.asarray(frame.wrong)[start:],
        score=None if frame.score is None else np.asarray(frame.score)[start:],
        measures=frame.measures[start:],
        links={},
    )


def _world(box: Cuboid, pose: Pose | None) -> Cuboid:
    return box if pose is None else to_world(box, pose)


def _sensor(box: Cuboid, pose: Pose | None) -> Cuboid:
    return box if pose is None else from_world(box, pose)


class SequenceEscalation:
    """One rule applied along a sequence, frame by frame in order (module docstring). ``project``: an
    in-memory project holding the sequence's frames and no labels (it receives the finished labels)."""

    def __init__(
        self,
        project: Project,
        rule: EscalationRule,
        settings: CarrySettings | None = None,
        adapt_every: int = 0,
        costs: EffortModel | None = None,
        tolerance: Tolerance | None = None,
    ) -> None:
        self.project, self.rule = project, rule
        self.settings = settings or CarrySettings()
        self.adapt_every, self.costs, self.tolerance = adapt_every, costs, tolerance
        self.stack = UndoStack(project)
        self.previous: Frame | None = None
        self.carrier = Carrier(self.settings.min_points, self.settings.lost_frames)
        #: Frames judged so far, and the new proposals (those on no carried object) of the frames judged with
        #: boxes carried in: what P(wrong) is learned from.
        self.position = 0
        self.proposed: list[EscalationFrame] = []
        self.error_model: ErrorModel | None = None
        #: The growth of the share missed per frame since the last whole review, that age now, and what the
        #: frames with boxes carried in showed when reviewed whole: (age, objects, missed).
        self.growth: float | None = None
        self.since_whole = 0
        self.reviewed_whole: list[tuple[int, int, int]] = []
        #: (position in the sequence, rejected box in world coordinates).
        self.rejections: list[tuple[int, Cuboid]] = []
        #: Tracks whose box on the previous frame was accepted because it stood still (not confirmed afresh),
        #: and on how many frames in a row.
        self.stale: dict[int, int] = {}
        #: The spill of each track's box where a person or the model last placed it (`point_spill`).
        self.placed_spill: dict[int, float] = {}
        self.total = EscalationOutcome(rule.threshold)
        tracks = (a.track_id for a in project.annotations.values() if a.track_id is not None)
        self._tracks = itertools.count(max(tracks, default=0) + 10**6)

    def carried(self, frame: Frame, points: np.ndarray | None) -> list[TrackedBox]:
        """The previous frame's finished labels carried into ``frame`` (re-fitted to ``points``), with the
        tracks whose box was dropped within ``lost_frames`` frames (`annotator.ml.finetune.carry.Carrier`), those
        holding enough of its points."""
        if self.previous is None:
            return []
        moved = self.carrier.carry(self.project, self.previous, frame, points)
        return [(a.class_name, a.cuboid, a.track_id) for a in moved]

    def held_still(self, frame: Frame, boxes: Sequence[TrackedBox]) -> list[bool]:
        """Which carried ``boxes`` stand where their track's finished box stood on the previous frame
        (`annotator.ml.uncertainty.carried_check.stands_still`) when that box was confirmed afresh (by a
        person or the model) within ``still_frames`` frames (see ``stale``)."""
        if self.previous is None:
            return [False] * len(boxes)
        before = {a.track_id: a.cuboid for a in self.project.annotations_of(self.previous.id, "cuboid")}
        pose = self.previous.pose
        return [
            track is not None
            and self.stale.get(track, 0) < self.settings.still_frames
            and (old := before.get(track)) is not None
            and stands_still(box, frame.pose, old, pose)
            for _, box, track in boxes
        ]

    def slid_off(self, boxes: Sequence[TrackedBox], points: np.ndarray | None) -> list[bool]:
        """Which carried ``boxes`` slid off their object: their points' spill grew by more than the settings'
        ``spill_growth`` since their track's box was last placed (`annotator.core.cuboids.point_spill`)."""
        growth = self.settings.spill_growth
        if growth is None or points is None:
            return [False] * len(boxes)
        return [
            track is not None and spill_grew(point_spill(box, points), self.placed_spill.get(track), growth)
            for _, box, track in boxes
        ]

    def remember_placed(self, finished: Finished, frame_id: int, points: np.ndarray | None) -> None:
        """Remember the spill of the boxes a person or the model placed on the frame (not carried ones)."""
        if self.settings.spill_growth is None or points is None:
            return
        for annotation in finished.annotations(frame_id):
            if annotation.provenance.source is not Source.PROPAGATED and annotation.track_id is not None:
                assert annotation.cuboid is not None
                self.placed_spill[annotation.track_id] = point_spill(annotation.cuboid, points)

    def recently_rejected(self, frame: Frame) -> list[Cuboid]:
        """The boxes rejected within the last ``reject_frames`` frames, in ``frame``'s sensor coordinates."""
        window = self.settings.reject_frames
        return [_sensor(box, frame.pose) for at, box in self.rejections if self.position - at <= window]

    def judged_proposals(self, judged: CarriedFrame) -> EscalationFrame:
        """``judged``'s frame with its new proposals' uncertainty replaced by the P(wrong) learned from the new
        proposals of the frames before (the carried boxes keep theirs)."""
        frame, start = judged.frame, judged.carried
        if len(frame.measures) != len(frame.proposals) or start == len(frame.proposals):
            return frame
        names = [name for name, _ in frame.proposals[start:]]
        doubt = judged_uncertainty(self.error_model, names, frame.measures[start:], frame.uncertainty[start:])
        return dataclasses.replace(frame, uncertainty=np.concatenate([frame.uncertainty[:start], doubt]))

    def step(
        self,
        frame: Frame,
        judged: EscalationFrame,
        truth_tracks: Sequence[int | None],
        points: np.ndarray | None,
    ) -> EscalationOutcome:
        """Judge the next frame of the sequence (``judged``: the model's scored proposals on it against its
        ground truth, whose tracks are ``truth_tracks``), measure the rule on it and keep its finished labels."""
        first = self.position == 0
        boxes = self.carried(frame, points)
        carried = with_carried(
            judged, boxes, self.recently_rejected(frame), self.settings.agreement_iou, truth_tracks,
            self.held_still(frame, boxes), self.slid_off(boxes, points),
        )  # fmt: skip
        # the first frame is the sequence's keyframe: nothing carried in and nothing learned, reviewed whole
        age = self.since_whole + 1
        expected = math.inf if first else expected_miss_share(self.growth, age)
        carried.frame = dataclasses.replace(carried.frame, miss_rate=expected)
        if self.error_model is not None:
            carried.frame = self.judged_proposals(carried)
        outcome = escalate_frame(carried.frame, self.rule, self.costs, self.tolerance)
        finished = finished_labels(carried, self.rule, truth_tracks, lambda: next(self._tracks))
        still = [] if outcome.frames_whole else confirmed_by_stillness(carried, self.rule)
        self.stale = {track: self.stale.get(track, 0) + 1 for track in still}
        self.rejections += [(self.position, _world(box, frame.pose)) for box in finished.rejected]
        self.position += 1
        looked_over = outcome.frames_whole or outcome.frames_searched
        self.since_whole = 0 if looked_over else age
        if not first:  # learned where boxes were carried in, as it is applied
            self.proposed.append(new_proposals(carried))
            if looked_over:  # what the person reviewing it whole, or searching it, found missing
                missed = carried.frame.unflagged_missed(self.rule.cluster_threshold)[0]
                self.reviewed_whole.append((age, len(judged.truths), missed))
                self.growth = miss_growth(self.reviewed_whole, self.rule.miss_credibility)
        if self.adapt_every and self.position % self.adapt_every == 0:
            self.error_model = fit_error_model(self.proposed) or self.error_model
        self.remember_placed(finished, frame.id, points)
        labels = finished.annotations(frame.id)
        if labels:
            self.stack.push(AddAnnotations(labels))
        self.previous = self.project.frames[frame.id]
        self.total = self.total + outcome
        return outcome


def carried_sweep(
    frames: Sequence[tuple[Frame, EscalationFrame, Sequence[int | None]]],
    blank_project: Callable[[], Project],
    points_of: Callable[[Frame], np.ndarray | None],
    thresholds: Sequence[float],
    rule: EscalationRule,
    settings: CarrySettings | None = None,
    adapt_every: int = 0,
    costs: EffortModel | None = None,
    tolerance: Tolerance | None = None,
) -> list[EscalationOutcome]:
    """One summed outcome per threshold (the rest of ``rule`` kept), each a pass of `SequenceEscalation` over
    ``frames`` (frame, judged proposals, its ground truth's tracks; in sequence order) on a fresh
    ``blank_project()``; ``points_of`` loads a frame's points."""
    results = []
    for threshold in thresholds:
        run = SequenceEscalation(
            blank_project(),
            dataclasses.replace(rule, threshold=threshold),
            settings,
            adapt_every,
            costs,
            tolerance,
        )
        for frame, judged, tracks in frames:
            run.step(frame, judged, tracks, points_of(frame))
        results.append(run.total)
    return results
