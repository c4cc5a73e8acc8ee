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
- `rejected_nearby` and `without_rejected`: proposals on an object a person rejected on this frame or the
  ``reject_frames`` frames before (the scored proposals remembered by `annotator.core.review.RejectProposals`),
  compared in the world frame when the frames have poses, are left out.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Review, Source
from annotator.core.review import REJECTED_KEY
from annotator.core.tracks import carried_unedited
from annotator.core.world import move_between
from annotator.ml.proposal_overlap import on_any_object
from annotator.ml.uncertainty.project_escalation import (
    CARRIED_KIND,
    UNCERTAINTY_KEY,
    is_carried_item,
    is_missed_item,
)

logger = logging.getLogger(__name__)

#: A carried box is confirmed when a proposal of the new frame boxes it at least this well (bird's-eye IoU).
DEFAULT_AGREEMENT_IOU = 0.5
#: Proposals on an object rejected on the frame or this many frames before are left out (0: that frame only).
DEFAULT_REJECT_FRAMES = 10


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
) -> list[Annotation]:
    """The frame's carried boxes awaiting the check (`awaiting_check`), each with its carried record and
    review state after comparing it with the model's ``proposals`` on the frame (module docstring)."""
    boxes = model_boxes(proposals)
    checked = []
    for annotation in project.annotations_of(frame_id, "cuboid"):
        if not awaiting_check(annotation):
            continue
        assert annotation.cuboid is not None
        agreement = max((bev_iou(annotation.cuboid, box) for box in boxes), default=0.0)
        confirmed = agreement >= agreement_iou
        record: dict[str, Any] = {
            "uncertainty": 0.0 if confirmed else 1.0,
            "kind": CARRIED_KIND,
            "agreement": round(agreement, 4),
            "model_version": model_version,
        }
        checked.append(
            dataclasses.replace(
                annotation,
                review=Review.ACCEPTED if confirmed else Review.UNREVIEWED,
                attributes={**annotation.attributes, UNCERTAINTY_KEY: record},
            )
        )
    return checked


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
