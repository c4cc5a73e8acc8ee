"""The tie between a cuboid and the 2D boxes derived from it: they share its review state and its fate.

A derived box (provenance ``derived``, attribute ``derived_from`` = the cuboid's id) is unreviewed while its
cuboid is an unreviewed proposal, accepted once the cuboid is reviewed, and removed with the cuboid (a
rejection removes a proposal). These helpers run inside commands, so undo restores both together.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable

from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Review, Source

logger = logging.getLogger(__name__)


def is_derived(annotation: Annotation) -> bool:
    """True for a 2D box derived from a cuboid."""
    return annotation.kind == "box2d" and annotation.provenance.source == Source.DERIVED


def derived_review(cuboid: Annotation) -> Review:
    """The review state a box derived from ``cuboid`` has: unreviewed for a proposal, else accepted."""
    return Review.UNREVIEWED if cuboid.review == Review.UNREVIEWED else Review.ACCEPTED


def derived_boxes(project: Project, cuboid_ids: Iterable[int]) -> list[Annotation]:
    """The derived 2D boxes of the given cuboids (in their frames)."""
    wanted = set(cuboid_ids)
    cuboids = [project.annotations[i] for i in wanted if i in project.annotations]
    frames = {c.frame_id for c in cuboids if c.kind == "cuboid"}
    return [
        a
        for frame_id in sorted(frames)
        for a in project.annotations_of(frame_id)
        if is_derived(a) and a.attributes.get("derived_from") in wanted
    ]


def follow_review(project: Project, cuboid_ids: Iterable[int]) -> int:
    """Give the derived boxes of the given cuboids their cuboid's review state; returns how many changed."""
    changed = 0
    for box in derived_boxes(project, cuboid_ids):
        cuboid = project.annotations[box.attributes["derived_from"]]
        review = derived_review(cuboid)
        if box.review != review:
            project.put("annotation", box.id, dataclasses.replace(box, review=review))
            changed += 1
    return changed
