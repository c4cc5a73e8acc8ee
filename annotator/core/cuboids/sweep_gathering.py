"""A project box's object points from its track's neighbouring frames (`track_sweeps`), for the fit.

The frames must carry ego poses and the box a track; the points come through a ``points_near`` callback
(frame, box in that frame, margin -> that frame's points near the box, or None when they are not at
hand), so the caller decides where clouds come from: the command line reads them (a few frames kept),
the window takes only the frames its loader already holds (nothing is read on the UI thread).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.track_sweeps import (
    SWEEP_REACH,
    VELOCITY_REACH,
    VIEW_MARGIN,
    TrackView,
    track_points,
    track_velocity,
    view_points,
)
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame
from annotator.core.tracks import frame_times
from annotator.core.world import to_world

logger = logging.getLogger(__name__)

#: Frame, a box in that frame and a margin -> the frame's points (N, >=3) near the box, or None.
PointsNear = Callable[[Frame, Cuboid, float], "np.ndarray | None"]


def neighbour_points(
    project: Project, annotation: Annotation, points_near: PointsNear, reach: int = SWEEP_REACH
) -> np.ndarray | None:
    """The points (K, 3) of ``annotation``'s object in its track's frames within ``reach`` (frame index),
    in the annotation's frame, moved along the track's world motion (`track_sweeps.track_points`), or
    None: no track, no pose, no neighbouring box with points at hand."""
    frame = project.frames.get(annotation.frame_id)
    if reach <= 0 or annotation.track_id is None or frame is None or frame.pose is None:
        return None
    track = [
        a
        for a in project.annotations_of_track(annotation.track_id)
        if a.cuboid is not None
        and a.frame_id in project.frames
        and project.frames[a.frame_id].pose is not None
        and abs(project.frames[a.frame_id].index - frame.index) <= VELOCITY_REACH
    ]
    times = frame_times(project.frames_in_order())
    views = []
    for other in track:
        other_frame = project.frames[other.frame_id]
        if other.frame_id == frame.id or abs(other_frame.index - frame.index) > reach:
            continue
        near = points_near(other_frame, other.cuboid, VIEW_MARGIN)  # type: ignore[arg-type]
        if near is None:
            continue
        boxes = [b.cuboid for b in project.annotations_of(other.frame_id, "cuboid") if b.id != other.id]
        points = view_points(near, other.cuboid, [b for b in boxes if b is not None])  # type: ignore[arg-type]
        views.append(TrackView(points, other_frame.pose, times[other.frame_id]))  # type: ignore[arg-type]
    if not views:
        return None
    centres = [to_world(a.cuboid, project.frames[a.frame_id].pose).center for a in track]  # type: ignore[arg-type]
    velocity = track_velocity([times[a.frame_id] for a in track], centres)
    return track_points(views, frame.pose, times[frame.id], velocity)
