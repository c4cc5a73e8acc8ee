"""Carrying the previous frame's verified boxes into the next frame: the propagation baseline of `simulate`.

On a sequence an annotator does not draw every box again. The boxes of the frame just verified are carried
into the next one, and only what changed is edited. `propagated` carries them with the window's own
propagation (`annotator.core.propagation.plan_step`, as Tracks > propagation and `annotator propagate` do):
in the world frame when the frames have poses, a standing object where it stood, a moving track at the
velocity and turn rate of its two latest keyframes and then re-fitted to the new points with its size
kept. A carried box is kept only when it holds `MIN_POINTS` LiDAR points (within `MARGIN`): an object
that left the range or the view is not carried into empty space.

A box dropped so is not forgotten (`Carrier`): for `LOST_FRAMES` frames after (an object hidden behind
another, or a few points short of the labels' 10-point floor) its track is carried from its last box over the
gap, at its velocity, and comes back where it holds enough points again. The window keeps such a box with its
track while the object is hidden (its propagation drops nothing), so it is there when the object shows again.
A box a person deleted is not brought back.

`with_carried` puts a model's proposals beside the carried boxes: the model then only has to find what is new
(a proposal on the object of a carried box is left out, the carried box stands). That is the window's
workflow of propagating a frame's boxes and then pre-annotating it: proposals over the boxes a frame keeps
are not added (`annotator.ml.proposal_overlap`, whose test of "the same object" this uses).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame
from annotator.core.propagation import keep_size_refit, plan_step
from annotator.core.tracks import propagate
from annotator.ml.proposal_overlap import on_any_object

logger = logging.getLogger(__name__)

#: A carried box is kept when it holds at least this many points of the new frame...
MIN_POINTS = 10
#: ...counting those within this margin (m) of its sides.
MARGIN = 0.1
#: A track whose carried box held too few points comes back within this many frames (1 s of a 10 Hz LiDAR).
LOST_FRAMES = 10

Boxes = list[tuple[str, Cuboid]]


def supported(
    boxes: Sequence[tuple[str, Cuboid]], points: np.ndarray | None, min_points: int = MIN_POINTS
) -> Boxes:
    """The ``boxes`` holding at least ``min_points`` of ``points`` ((N, 3+)) within `MARGIN` (none without
    points)."""
    if points is None:
        return []
    xyz = np.asarray(points)[:, :3]
    return [
        (name, box) for name, box in boxes if np.count_nonzero(box.points_inside(xyz, MARGIN)) >= min_points
    ]


@dataclass
class Carrier:
    """Carries a sequence's tracked boxes frame by frame (`carry`, frames in order), remembering the tracks whose
    box it dropped for too few points (module docstring): a box a person deleted is not remembered."""

    min_points: int = MIN_POINTS
    lost_frames: int = LOST_FRAMES
    #: track id -> (id of the track's last box before it was dropped, position of the frame it was dropped on).
    dropped: dict[int, tuple[int, int]] = field(default_factory=dict)

    def carry(
        self, project: Project, source: Frame, target: Frame, points: np.ndarray | None
    ) -> list[Annotation]:
        """The tracked cuboids of ``source`` carried to ``target`` by the window's propagation (re-fitted to
        ``points``, the target's), with those of the tracks dropped within ``lost_frames`` frames (carried over
        the gap from their last box), the ones that hold ``min_points`` of the points; the project is not
        changed."""
        if points is None:
            return []
        xyz = np.asarray(points)[:, :3]
        position = {f.id: i for i, f in enumerate(project.frames_in_order())}
        here = position[target.id]
        last = {
            a.track_id: a.id for a in project.annotations_of(source.id, "cuboid") if a.track_id is not None
        }
        self.dropped = {
            track: (box, at)
            for track, (box, at) in self.dropped.items()
            if track not in last and box in project.annotations and here - at <= self.lost_frames
        }
        edit = plan_step(project, source, target, xyz=xyz)
        carried = [] if edit.command is None else list(edit.command.add.annotations)
        gaps: dict[int, list[int]] = {}
        for box, _ in self.dropped.values():
            gaps.setdefault(here - position[project.annotations[box].frame_id], []).append(box)
        refit = keep_size_refit(xyz, [])
        for step, ids in gaps.items():
            back = propagate(project, ids, with_motion=True, refit=refit, step=step)
            carried += [] if back.command is None else back.command.add.annotations
        kept = {
            id(box) for _, box in supported([(a.class_name, a.cuboid) for a in carried], xyz, self.min_points)
        }
        for annotation in carried:
            track = annotation.track_id
            if id(annotation.cuboid) in kept:
                self.dropped.pop(track, None)
            elif track in last and self.lost_frames > 0:
                self.dropped[track] = (last[track], here)
        return [a for a in carried if id(a.cuboid) in kept]


def propagated(
    project: Project, source: Frame, target: Frame, points: np.ndarray | None, min_points: int = MIN_POINTS
) -> Boxes:
    """(class, cuboid) of the boxes a fresh `Carrier` carries from ``source`` to ``target``."""
    return [(a.class_name, a.cuboid) for a in Carrier(min_points).carry(project, source, target, points)]


def with_carried(carried: Sequence[tuple[str, Cuboid]], proposals: Sequence[tuple[str, Cuboid]]) -> Boxes:
    """The carried boxes, then the proposals on none of their objects (`same_object_cuboids`)."""
    taken = on_any_object([box for _, box in proposals], [box for _, box in carried])
    return [*carried, *(p for p, t in zip(proposals, taken, strict=True) if not t)]
