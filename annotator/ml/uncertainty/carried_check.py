"""Scoring a frame that holds boxes carried in from the frame before: the window's side of the sequence rule.

`annotator.ml.uncertainty.sequence_escalation` measures escalation along a sequence: the finished labels
of a frame are carried into the next, a carried box is accepted unreviewed only where the model, run on the
new frame on its own, boxes the same object at bird's-eye IoU >= ``agreement_iou``, and proposals on an
object a person rejected within the last few frames are not made again. Scoring a frame (Models > Score
uncertainty, ``annotator score``: `annotator.ml.uncertainty.scoring.ScoreProposals`) applies the same rule
to the project, in the same undoable step as the frame's proposals:

- `checked_carried`: each propagated box nobody has reviewed since it was carried in (provenance
  ``propagated``, accepted and never scored, or still waiting with its carried record) gets an uncertainty
  record of kind `CARRIED_KIND`: uncertainty 0 where the model's proposals on the frame confirm it (it stays
  accepted), 1 where they do not (it becomes unreviewed, so it goes to the review queue, and *Accept all
  confident* leaves it there). A carried box a person has accepted or corrected is left alone;
- a carried box the model does not confirm is confirmed all the same when it **stands still**
  (`stands_still`: where its track's box stood on the frame before, in the world) and that box was confirmed
  there (accepted or corrected, by a person or on the model's word) within ``still_frames`` frames
  (`frames_since_confirmed`; 1 by default: not itself because it stood still). The confirmation of a standing
  object's box so holds one frame on: an object the model does not see is checked every other frame, not on
  every one. Its record's ``still`` counts the frames in a row;
- what the frame's points say of the carried boxes (`annotator.ml.uncertainty.carried_points`, measured where
  the points are read: in the scoring worker) overrules both: neither confirms a box that **slid off its
  object** (the share of the object's points outside it grew since its track's box was last placed; its record's
  ``slid_off`` holds both shares), and standing still does not confirm a box holding **too few points** to show
  an object (fewer than `annotator.ml.finetune.carry.MIN_POINTS`, the labels' floor: the object may have left
  it, or be hidden; its record's ``sparse`` holds the count);
- `rejected_nearby` and `without_rejected`: proposals on an object a person rejected on this frame or the
  ``reject_frames`` frames before (the scored proposals remembered by `annotator.core.review.RejectProposals`),
  compared in the world frame when the frames have poses, are left out.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.cuboids.rotation import wrap_angle
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Review, Source
from annotator.core.pose import Pose
from annotator.core.review import REJECTED_KEY
from annotator.core.tracks import carried_unedited
from annotator.core.world import move_between
from annotator.ml.proposal_overlap import on_any_object
from annotator.ml.uncertainty.project_escalation import (
    CARRIED_KIND,
    SLID_KEY,
    SPARSE_KEY,
    STILL_KEY,
    UNCERTAINTY_KEY,
    is_carried_item,
    is_missed_item,
)

if TYPE_CHECKING:
    from annotator.ml.uncertainty.carried_points import CarriedPoints

logger = logging.getLogger(__name__)

#: A carried box is confirmed when a proposal of the new frame boxes it at least this well (bird's-eye IoU).
DEFAULT_AGREEMENT_IOU = 0.5
#: Proposals on an object rejected on the frame or this many frames before are left out (0: that frame only).
DEFAULT_REJECT_FRAMES = 10
#: A carried box stands where its track's box stood on the frame before when its centre is within this many
#: metres of it in the world (bird's-eye view) and its heading within `STILL_YAW` radians: the propagation
#: carried it by the ego motion alone (a standing object).
STILL_DISTANCE = 0.05
STILL_YAW = 0.02
#: A standing object's box confirmed afresh stays confirmed this many frames on (0: never).
DEFAULT_STILL_FRAMES = 1
#: The project setting holding that number for the window's and ``annotator score``'s check (Models > Confirm
#: standing carried boxes).
STILL_FRAMES_SETTING = "carried_still_frames"


def still_frames_of(project: Project) -> int:
    """How many frames on a standing object's confirmed box holds in this project (`STILL_FRAMES_SETTING`,
    `DEFAULT_STILL_FRAMES` when unset or not a count)."""
    value = project.setting(STILL_FRAMES_SETTING)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return DEFAULT_STILL_FRAMES
    return value


def stands_still(box: Cuboid, pose: Pose | None, before: Cuboid, pose_before: Pose | None) -> bool:
    """Whether ``box`` (on a frame with ``pose``) stands where ``before`` stood on the frame before (with
    ``pose_before``) in the world (`STILL_DISTANCE`, `STILL_YAW`); False unless both frames have poses."""
    if pose is None or pose_before is None:
        return False
    there = move_between(before, pose_before, pose)
    shift = float(np.hypot(box.center[0] - there.center[0], box.center[1] - there.center[1]))
    return shift <= STILL_DISTANCE and abs(wrap_angle(box.yaw - there.yaw)) <= STILL_YAW


def awaiting_check(annotation: Annotation) -> bool:
    """Whether the rule still decides on this box: carried in by propagation, not edited since
    (`annotator.core.tracks.carried_unedited`) and not reviewed by a person (accepted or corrected as its
    source was and never scored, or unreviewed with its carried record)."""
    if annotation.provenance.source is not Source.PROPAGATED or not carried_unedited(annotation):
        return False
    record = annotation.attributes.get(UNCERTAINTY_KEY)
    if annotation.review is Review.UNREVIEWED:
        return is_carried_item(record)
    # a copy keeps its source's review state: a box corrected on the frame before is carried in "corrected"
    return annotation.review in (Review.ACCEPTED, Review.CORRECTED) and record is None


def is_model_box(proposal: Annotation) -> bool:
    """Whether ``proposal`` is a cuboid the model proposed (not one of its possible missed objects)."""
    return proposal.cuboid is not None and not is_missed_item(proposal.attributes.get(UNCERTAINTY_KEY))


def model_boxes(proposals: Sequence[Annotation]) -> list[Cuboid]:
    """The cuboids of the model's proposals among ``proposals``."""
    return [p.cuboid for p in proposals if is_model_box(p) and p.cuboid is not None]


def checked_carried(
    project: Project,
    frame_id: int,
    proposals: Sequence[Annotation],
    model_version: str,
    agreement_iou: float = DEFAULT_AGREEMENT_IOU,
    still_frames: int = DEFAULT_STILL_FRAMES,
    evidence: CarriedPoints | None = None,
) -> list[Annotation]:
    """The frame's carried boxes awaiting the check (`awaiting_check`), each with its carried record and
    review state after comparing it with the model's ``proposals`` on the frame (module docstring);
    ``evidence``: what the frame's points say of them (`annotator.ml.uncertainty.carried_points`; None: not
    read, so neither sliding off nor too few points are known)."""
    boxes = model_boxes(proposals)
    frame = project.frames[frame_id]
    before, pose_before = confirmed_before(project, frame)
    checked = []
    for annotation in project.annotations_of(frame_id, "cuboid"):
        if not awaiting_check(annotation):
            continue
        assert annotation.cuboid is not None
        agreement = max((bev_iou(annotation.cuboid, box) for box in boxes), default=0.0)
        old = before.get(annotation.track_id) if annotation.track_id is not None else None
        stood = (
            agreement < agreement_iou
            and old is not None
            and old[1] < still_frames
            and stands_still(annotation.cuboid, frame.pose, old[0], pose_before)
        )
        held = evidence.held.get(annotation.id) if evidence is not None else None
        too_few = evidence is not None and held is not None and held < evidence.min_points
        still = stood and not too_few
        slid = evidence.slid_off.get(annotation.id) if evidence is not None else None
        confirmed = (agreement >= agreement_iou or still) and slid is None
        record: dict[str, Any] = {
            "uncertainty": 0.0 if confirmed else 1.0,
            "kind": CARRIED_KIND,
            "agreement": round(agreement, 4),
            "model_version": model_version,
        }
        if still:
            assert old is not None
            record[STILL_KEY] = old[1] + 1
        if stood and too_few:
            record[SPARSE_KEY] = held
        if slid is not None:
            record[SLID_KEY] = {"spill": round(slid.spill, 4), "placed": round(slid.placed, 4)}
        checked.append(
            dataclasses.replace(
                annotation,
                review=Review.ACCEPTED if confirmed else Review.UNREVIEWED,
                attributes={**annotation.attributes, UNCERTAINTY_KEY: record},
            )
        )
    return checked


def frames_since_confirmed(annotation: Annotation) -> int | None:
    """For a box accepted or corrected: 0 when a person or the model confirmed it, else the frames in a row it
    was confirmed for standing still (its carried record's `STILL_KEY`); None for a box nobody confirmed."""
    if annotation.review not in (Review.ACCEPTED, Review.CORRECTED) or annotation.cuboid is None:
        return None
    record = annotation.attributes.get(UNCERTAINTY_KEY)
    count = record.get(STILL_KEY, 0) if isinstance(record, Mapping) else 0
    return int(count) if isinstance(count, (int, float)) else 0


def confirmed_before(project: Project, frame: Frame) -> tuple[dict[int, tuple[Cuboid, int]], Pose | None]:
    """The confirmed boxes on the frame before ``frame`` in the sequence, by track, each with its frames since
    confirmed afresh (`frames_since_confirmed`), and that frame's pose (nothing on the first frame)."""
    ordered = project.frames_in_order()
    position = next((k for k, f in enumerate(ordered) if f.id == frame.id), 0)
    if position == 0:
        return {}, None
    previous = ordered[position - 1]
    boxes = {}
    for a in project.annotations_of(previous.id, "cuboid"):
        since = frames_since_confirmed(a)
        if a.track_id is not None and a.cuboid is not None and since is not None:
            boxes[a.track_id] = (a.cuboid, since)
    return boxes, previous.pose


def _rejected_boxes(frame: Frame) -> list[Cuboid]:
    """The scored proposals a person rejected on ``frame`` (not possible missed objects, not carried boxes)."""
    entries = frame.meta.get(REJECTED_KEY, [])
    boxes = []
    for entry in entries if isinstance(entries, list) else []:
        record = entry.get("record") if isinstance(entry, Mapping) else None
        if is_missed_item(record) or is_carried_item(record):
            continue
        try:
            boxes.append(Cuboid.from_array(entry["box"]))
        except (KeyError, TypeError, ValueError):
            continue
    return boxes


def rejected_nearby(project: Project, frame: Frame, window: int = DEFAULT_REJECT_FRAMES) -> list[Cuboid]:
    """The boxes rejected on ``frame`` and the ``window`` frames before it, in ``frame``'s coordinates
    (moved by the poses where both frames have one; a frame with a pose and one without are not compared)."""
    ordered = project.frames_in_order()
    position = next((k for k, f in enumerate(ordered) if f.id == frame.id), None)
    if position is None:
        return []
    found = []
    for source in ordered[max(0, position - window) : position + 1]:
        boxes = _rejected_boxes(source)
        if source.pose is not None and frame.pose is not None:
            found += [move_between(box, source.pose, frame.pose) for box in boxes]
        elif source.pose is None and frame.pose is None:
            found += boxes
    return found


def without_rejected(
    proposals: Sequence[Annotation], rejected: Sequence[Cuboid]
) -> tuple[list[Annotation], int]:
    """``proposals`` less the model's boxes on a ``rejected`` object (`same_object_cuboids`), and how many
    were left out."""
    model = [k for k, p in enumerate(proposals) if is_model_box(p)]
    hit = on_any_object([proposals[k].cuboid for k in model], rejected)  # type: ignore[misc]
    dropped = {k for k, h in zip(model, hit, strict=True) if h}
    return [p for k, p in enumerate(proposals) if k not in dropped], len(dropped)
