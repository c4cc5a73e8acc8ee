"""Carrying the previous frame's verified boxes into the next frame: the propagation baseline of `simulate`.

On a sequence an annotator does not draw every box again. The boxes of the frame just verified are carried
into the next one, and only what changed is edited. `propagated` carries them with the window's own
propagation (`annotator.core.propagation.plan_step`, as Tracks > propagation and `annotator propagate` do):
in the world frame when the frames have poses, a standing object where it stood, a moving track at the
velocity and turn rate of its two latest keyframes and then re-fitted to the new points with its size
kept. A carried box is kept only when it holds `MIN_POINTS` LiDAR points (within `MARGIN`): an object
that left the range or the view is not carried into empty space.

`with_carried` puts a model's proposals beside the carried boxes: the model then only has to find what is new
(a proposal on the object of a carried box is left out, the carried box stands). That is the window's
workflow of propagating a frame's boxes and then pre-annotating it: proposals over the boxes a frame keeps
are not added (`annotator.ml.proposal_overlap`, whose test of "the same object" this uses).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.model.project import Project
from annotator.core.model.records import Frame
from annotator.core.propagation import plan_step
from annotator.ml.proposal_overlap import on_any_object

logger = logging.getLogger(__name__)

#: A carried box is kept when it holds at least this many points of the new frame...
MIN_POINTS = 10
#: ...counting those within this margin (m) of its sides.
MARGIN = 0.1

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


def propagated(
    project: Project, source: Frame, target: Frame, points: np.ndarray | None, min_points: int = MIN_POINTS
) -> Boxes:
    """The tracked cuboids of frame ``source`` carried to frame ``target`` by the window's propagation (re-fitted
    to ``points``, the target's), those that still hold ``min_points`` of them (`supported`); the project is
    not changed."""
    if points is None:
        return []
    edit = plan_step(project, source, target, xyz=np.asarray(points)[:, :3])
    carried = [] if edit.command is None else edit.command.add.annotations
    return supported([(a.class_name, a.cuboid) for a in carried], points, min_points)


def with_carried(carried: Sequence[tuple[str, Cuboid]], proposals: Sequence[tuple[str, Cuboid]]) -> Boxes:
    """The carried boxes, then the proposals on none of their objects (`same_object_cuboids`)."""
    taken = on_any_object([box for _, box in proposals], [box for _, box in carried])
    return [*carried, *(p for p, t in zip(proposals, taken, strict=True) if not t)]
