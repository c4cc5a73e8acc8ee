"""Carrying the previous frame's verified boxes into the next frame: the propagation baseline of `simulate`.

On a sequence an annotator does not draw every box again. The boxes of the frame just verified are carried
into the next one, and only what changed is edited. Here they are carried the simplest way: moved by the ego
motion between the two frames' poses (in the sensor frame when either frame has no pose), so that a parked
car stays where it was in the world. A carried box is kept only when it still holds `MIN_POINTS` LiDAR
points (within `MARGIN`): an object that left the range or the view is not carried into empty space.
Moving objects are carried where they were; they cost an adjustment. The window's propagation
(`annotator.core.propagation`) also carries them at their velocity and re-fits them, so it does better there.

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
from annotator.core.model.records import Frame
from annotator.core.world import move_between
from annotator.ml.proposal_overlap import same_object_cuboids

logger = logging.getLogger(__name__)

#: A carried box is kept when it holds at least this many points of the new frame...
MIN_POINTS = 10
#: ...counting those within this margin (m) of its sides.
MARGIN = 0.1

Boxes = list[tuple[str, Cuboid]]


def carried_boxes(
    boxes: Sequence[tuple[str, Cuboid]],
    source: Frame,
    target: Frame,
    points: np.ndarray | None,
    min_points: int = MIN_POINTS,
) -> Boxes:
    """``boxes`` (class, cuboid) of frame ``source`` moved into frame ``target`` by the ego motion between
    their poses (unchanged when either has none), those holding at least ``min_points`` of ``points`` (the
    target's, (N, 3+)) within `MARGIN`. Without points none is kept."""
    if points is None or not len(boxes):
        return []
    xyz = np.asarray(points)[:, :3]
    posed = source.pose is not None and target.pose is not None
    result = []
    for name, box in boxes:
        moved = move_between(box, source.pose, target.pose) if posed else box
        if np.count_nonzero(moved.points_inside(xyz, MARGIN)) >= min_points:
            result.append((name, moved))
    return result


def with_carried(carried: Sequence[tuple[str, Cuboid]], proposals: Sequence[tuple[str, Cuboid]]) -> Boxes:
    """The carried boxes, then the proposals on none of their objects (`same_object_cuboids`)."""
    new = [(name, box) for name, box in proposals if not any(same_object_cuboids(box, c) for _, c in carried)]
    return [*carried, *new]
