"""Priors for fitting a project's boxes: the track's agreed size, else the class default; the track's
heading from its motion.

A side the sensor does not see in full takes its size from here (see `annotator.core.cuboids.partial_fit`). A
track's agreed size is the median of its other boxes' sizes (at least `MIN_TRACK_BOXES` of them): one
object has one size, and the median shrugs off the odd bad box. A track that travels gives the heading
of its motion (`track_motion`), placed in the box's frame with the frames' ego poses.
"""

from __future__ import annotations

import logging

import numpy as np

from annotator.core.cuboids.rotation import wrap_angle
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation
from annotator.core.track_motion import MotionHeading, motion_heading
from annotator.core.tracks import frame_times
from annotator.core.world import all_posed, to_world

logger = logging.getLogger(__name__)

#: A track needs this many other cuboids before its median size is trusted over the class default.
MIN_TRACK_BOXES = 2


def track_size(project: Project, annotation: Annotation) -> tuple[float, float, float] | None:
    """The median size of the other cuboids of ``annotation``'s track, or None (no track, too few)."""
    if annotation.track_id is None:
        return None
    sizes = [
        a.cuboid.size
        for a in project.annotations_of_track(annotation.track_id)
        if a.cuboid is not None and a.id != annotation.id
    ]
    if len(sizes) < MIN_TRACK_BOXES:
        return None
    median = np.median(np.asarray(sizes, dtype=np.float64), axis=0)
    return (float(median[0]), float(median[1]), float(median[2]))


def class_size(project: Project, class_name: str) -> tuple[float, float, float] | None:
    """The class's default size from the project's schema, or None for an unknown class."""
    label_class = project.schema.get(class_name)
    if label_class is None:
        return None
    length, width, height = label_class.default_size
    return (length, width, height)


def size_classes(project: Project) -> list[tuple[float, float, float]]:
    """Every class's default size: the size classes an object may take when its points outgrow its
    own class's (a van labelled car; see `annotator.core.cuboids.partial_fit.size_class`)."""
    return [label_class.default_size for label_class in project.schema.classes]


def size_prior(project: Project, annotation: Annotation) -> tuple[float, float, float] | None:
    """The size a fit uses for sides it cannot see: the track's agreed size, else the class default."""
    return track_size(project, annotation) or class_size(project, annotation.class_name)


#: A track's boxes at most this many frames before or after a box tell its motion.
MOTION_REACH = 5
#: The L-shape may turn a box this many times the motion heading's uncertainty from it.
MOTION_WINDOW = 3.0


def track_motion(project: Project, annotation: Annotation, reach: int = MOTION_REACH) -> MotionHeading | None:
    """The heading of ``annotation``'s track from its world-frame motion, in the annotation's frame (its
    LiDAR coordinates), or None: no track, frames without ego poses, or an object that does not travel
    clearly (see `annotator.core.track_motion.motion_heading`). The track's cuboids within ``reach``
    frames of it (itself included) are placed in the world with their frames' poses."""
    frame = project.frames.get(annotation.frame_id)
    if annotation.track_id is None or frame is None or frame.pose is None:
        return None
    near = [
        a
        for a in project.annotations_of_track(annotation.track_id)
        if a.cuboid is not None
        and a.frame_id in project.frames
        and abs(project.frames[a.frame_id].index - frame.index) <= reach
    ]
    frames = [project.frames[a.frame_id] for a in near]
    if len(near) < 2 or not all_posed(frames):
        return None
    times = frame_times(project.frames_in_order())
    centres = [to_world(a.cuboid, project.frames[a.frame_id].pose).center for a in near]
    found = motion_heading([times[a.frame_id] for a in near], centres)
    if found is None:
        return None
    return MotionHeading(wrap_angle(found.yaw - frame.pose.yaw), found.travel, found.spread)
