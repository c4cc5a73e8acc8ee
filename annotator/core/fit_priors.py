"""Size priors for fitting a project's boxes: the track's agreed size, else the class default.

A side the sensor does not see in full takes its size from here (see `annotator.core.partial_fit`). A
track's agreed size is the median of its other boxes' sizes (at least `MIN_TRACK_BOXES` of them): one
object has one size, and the median shrugs off the odd bad box.
"""

from __future__ import annotations

import logging

import numpy as np

from annotator.core.project import Project
from annotator.core.records import Annotation

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


def size_prior(project: Project, annotation: Annotation) -> tuple[float, float, float] | None:
    """The size a fit uses for sides it cannot see: the track's agreed size, else the class default."""
    return track_size(project, annotation) or class_size(project, annotation.class_name)
