"""Batch propagation along a sequence: carry tracks frame by frame, each step re-fitted to the points.

`propagation_steps` lists the (source, target) frame pairs from one frame to another (forwards or
backwards); `plan_step` plans one step as a `TrackEdit` (one undoable command per frame); `keep_size_refit`
makes the function that moves a predicted box onto the target frame's points with its size and heading
kept (`annotator.core.cuboids.box_fit.refit_keep_size`), ignoring the points of the frame's other boxes.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence

import numpy as np

from annotator.core.cuboids.box_fit import local_ground, points_outside, refit_keep_size
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.model.project import Project
from annotator.core.model.records import Frame
from annotator.core.tracks import Refit, TrackEdit, propagate

logger = logging.getLogger(__name__)

#: How far around a predicted box the refit looks for the ground (metres).
GROUND_MARGIN = 3.0


def propagation_steps(frames: Sequence[Frame], first: Frame, last: Frame) -> list[tuple[Frame, Frame]]:
    """Consecutive (source, target) pairs from ``first`` to ``last`` in sequence order (either way)."""
    ordered = sorted(frames, key=lambda f: (f.index, f.id))
    position = {f.id: i for i, f in enumerate(ordered)}
    a, b = position[first.id], position[last.id]
    step = 1 if b >= a else -1
    return [(ordered[i], ordered[i + step]) for i in range(a, b, step)]


def keep_size_refit(xyz: np.ndarray, others: Sequence[Cuboid]) -> Refit:
    """A refit onto the points ``xyz`` (sensor frame) that leaves out the points inside ``others``."""
    pts = np.asarray(xyz)[:, :3]

    def refit(cuboid: Cuboid) -> Cuboid:
        grown = cuboid.grown(GROUND_MARGIN)
        around = pts[grown.points_inside(pts)]
        near = points_outside(around, others)
        return refit_keep_size(cuboid, near, ground=local_ground(around, cuboid))

    return refit


def plan_step(
    project: Project,
    source: Frame,
    target: Frame,
    tracks: Collection[int] | None = None,
    xyz: np.ndarray | None = None,
) -> TrackEdit:
    """Carry the source frame's cuboids (of ``tracks``, or every tracked cuboid) to ``target``.

    ``target`` must be next to ``source`` in the sequence (before or after it). Keyframes already in
    ``target`` are kept (and carried on from by the next step). With the target's points ``xyz`` each
    carried box is re-fitted to them (`keep_size_refit`), its size and heading kept.
    """
    ordered = project.frames_in_order()
    position = {f.id: i for i, f in enumerate(ordered)}
    step = position[target.id] - position[source.id]
    ids = [
        a.id
        for a in project.annotations_of(source.id, "cuboid")
        if a.track_id is not None and (tracks is None or a.track_id in tracks)
    ]
    refit = None
    if xyz is not None:
        carried = {project.annotations[i].track_id for i in ids}
        others = [a.cuboid for a in project.annotations_of(target.id, "cuboid") if a.track_id not in carried]
        refit = keep_size_refit(xyz, others)
    return propagate(project, ids, with_motion=True, refit=refit, step=step)
