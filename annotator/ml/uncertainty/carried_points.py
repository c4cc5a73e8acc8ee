"""What a frame's points say of the boxes carried into it: the window's side of the points checks of the rule.

`annotator.ml.uncertainty.carried_check` confirms a carried box by the model's box or by standing still. The
points can overrule both, as the simulation's rule does (`annotator.ml.uncertainty.sequence_escalation`):

- a box that **slid off its object** (the share of the object's points outside it, `point_spill`, grew by more
  than ``growth`` since its track's box was last placed by a person or the model, or reviewed by a person:
  `last_placed`) is confirmed by neither: the model's box can lag behind a slow walker as the carried one does;
- a box holding **too few points** to show an object (`MIN_POINTS`, the labels' floor, as the simulation's
  carrier keeps a box) is not confirmed by standing still: its object may have left it, or be hidden.

`carried_points` measures both where the frame's points are read (the scoring worker, or ``annotator
score``), reading the points of the frames where the tracks' boxes were placed too; the frame's scoring step
(`annotator.ml.uncertainty.scoring.ScoreProposals`) applies them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

import numpy as np

from annotator.core.cuboids.point_spill import DEFAULT_SPILL_GROWTH, point_spill, spill_grew
from annotator.core.errors import AnnotatorError
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Review
from annotator.core.tracks import placed_by_hand_or_model
from annotator.io.frame_data import load_points
from annotator.ml.finetune.carry import MIN_POINTS
from annotator.ml.uncertainty.carried_check import awaiting_check
from annotator.ml.uncertainty.project_escalation import UNCERTAINTY_KEY, is_carried_item

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlidOff:
    """A carried box's evidence of having slid off its object: the share of the object's points outside it
    now (``spill``) and outside its track's box where that was last placed (``placed``)."""

    spill: float
    placed: float


@dataclass(frozen=True)
class CarriedPoints:
    """What a frame's points say of its carried boxes awaiting the check, by annotation id: those that slid off
    their object, and how many points each holds (against ``min_points``)."""

    slid_off: Mapping[int, SlidOff] = field(default_factory=dict)
    held: Mapping[int, int] = field(default_factory=dict)
    min_points: int = MIN_POINTS


def placed_or_reviewed(annotation: Annotation) -> bool:
    """Whether a box says where its object was: placed by a person or the model
    (`annotator.core.tracks.placed_by_hand_or_model`), or a carried box a person reviewed (accepted or
    corrected though the check had not confirmed it)."""
    if placed_by_hand_or_model(annotation):
        return True
    record = annotation.attributes.get(UNCERTAINTY_KEY)
    return (
        is_carried_item(record)
        and annotation.review in (Review.ACCEPTED, Review.CORRECTED)
        and float(record.get("uncertainty", 0.0)) >= 0.5
    )


def last_placed(project: Project, tracks: Collection[int], before: Frame) -> dict[int, Annotation]:
    """Of each of ``tracks``, its latest box on a frame before ``before`` (in sequence order) that
    `placed_or_reviewed`, where it has one (one pass over the project's annotations)."""
    order = {f.id: k for k, f in enumerate(project.frames_in_order())}
    here = order.get(before.id)
    found: dict[int, Annotation] = {}
    if here is None:
        return found
    for a in project.annotations.values():
        if a.track_id not in tracks or a.cuboid is None or order.get(a.frame_id, here) >= here:
            continue
        latest = found.get(a.track_id)
        if (latest is None or order[a.frame_id] > order[latest.frame_id]) and placed_or_reviewed(a):
            found[a.track_id] = a
    return found


def carried_points(
    project: Project,
    frame_id: int,
    points: np.ndarray | None,
    points_of: Callable[[Frame], np.ndarray | None],
    growth: float | None = DEFAULT_SPILL_GROWTH,
) -> CarriedPoints:
    """For the carried boxes awaiting the check on the frame: how many of ``points`` each holds, and those
    whose object's points spill out of them by more than ``growth`` beyond the spill of their track's last
    placed box (`last_placed`, on its own frame's points, which ``points_of`` reads; ``growth`` None: not
    checked). Nothing without ``points``. Reads files: call it where the frame's points are read (the scoring
    worker), not in a command."""
    frame = project.frames.get(frame_id)
    if points is None or frame is None:
        return CarriedPoints()
    xyz = np.asarray(points)[:, :3]
    waiting = [
        a for a in project.annotations_of(frame_id, "cuboid") if a.cuboid is not None and awaiting_check(a)
    ]
    tracks = {a.track_id for a in waiting if a.track_id is not None}
    references = last_placed(project, tracks, frame) if growth is not None else {}
    clouds: dict[int, np.ndarray | None] = {}
    slid, held = {}, {}
    for annotation in waiting:
        assert annotation.cuboid is not None
        held[annotation.id] = int(annotation.cuboid.points_inside(xyz).sum())
        reference = references.get(annotation.track_id) if annotation.track_id is not None else None
        if growth is None or reference is None or reference.cuboid is None:
            continue
        if reference.frame_id not in clouds:
            clouds[reference.frame_id] = points_of(project.frames[reference.frame_id])
        cloud = clouds[reference.frame_id]
        if cloud is None:
            continue
        now, placed = point_spill(annotation.cuboid, xyz), point_spill(reference.cuboid, cloud)
        if spill_grew(now, placed, growth):
            slid[annotation.id] = SlidOff(now, placed)
    return CarriedPoints(slid, held)


def cloud_reader(project: Project) -> Callable[[Frame], np.ndarray | None]:
    """Reads a frame's points for `carried_points` (None, logged, for a frame whose cloud cannot be read: its
    tracks' boxes are then not checked for sliding off)."""

    def read(frame: Frame) -> np.ndarray | None:
        try:
            return load_points(project, frame)
        except (AnnotatorError, OSError, ValueError) as error:
            logger.warning("cannot read the points of frame %s to check carried boxes: %s", frame.name, error)
            return None

    return read
