"""Keeping proposals off objects that already have a box: no proposal over an existing (human, imported or
other model's) box of the same object, and never two overlapping proposals on one object.

"The same object" is geometric: two cuboids whose bird's-eye footprints overlap by `SAME_OBJECT_IOU` or
more, or where one's centre lies inside the other's footprint; two 2D boxes of one camera with an IoU of
`SAME_OBJECT_IOU_2D` or more. Pure functions over records: the command that stores proposals applies them
to the project as it is at that moment.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.model.records import Annotation

logger = logging.getLogger(__name__)

#: Bird's-eye IoU from which two cuboids are taken for the same object.
SAME_OBJECT_IOU = 0.1
#: Image IoU from which two 2D boxes of one camera are taken for the same object.
SAME_OBJECT_IOU_2D = 0.5


def _centre_inside(a: Cuboid, b: Cuboid) -> bool:
    """True when the centre of cuboid ``a`` lies inside the footprint of cuboid ``b``."""
    centre = np.array([[a.center[0], a.center[1], b.center[2]]])
    return bool(b.points_inside(centre)[0])


def same_object_cuboids(a: Cuboid, b: Cuboid) -> bool:
    """True when cuboids ``a`` and ``b`` box the same object (footprints overlapping by `SAME_OBJECT_IOU`, or
    one's centre inside the other's footprint)."""
    return bev_iou(a, b) >= SAME_OBJECT_IOU or _centre_inside(a, b) or _centre_inside(b, a)


def same_object(a: Annotation, b: Annotation) -> bool:
    """True when annotations ``a`` and ``b`` (of one kind) box the same object."""
    if a.kind != b.kind:
        return False
    if a.cuboid is not None and b.cuboid is not None:
        return same_object_cuboids(a.cuboid, b.cuboid)
    if a.box2d is not None and b.box2d is not None and a.camera == b.camera:
        return a.box2d.iou(b.box2d) >= SAME_OBJECT_IOU_2D
    return False


def _score(annotation: Annotation) -> float:
    score = annotation.provenance.score
    return -1.0 if score is None else score


def filter_proposals(
    proposals: Sequence[Annotation], existing: Sequence[Annotation]
) -> tuple[list[Annotation], int, int]:
    """The proposals to store: best score first, each kept unless it boxes the same object as one of
    ``existing`` (covered) or as a better proposal already kept (suppressed).

    Returns (kept, in their original order; how many were covered; how many suppressed)."""
    order = sorted(range(len(proposals)), key=lambda k: -_score(proposals[k]))
    kept: list[int] = []
    covered = suppressed = 0
    for k in order:
        proposal = proposals[k]
        if any(same_object(proposal, other) for other in existing):
            covered += 1
        elif any(same_object(proposal, proposals[j]) for j in kept):
            suppressed += 1
        else:
            kept.append(k)
    return [proposals[k] for k in sorted(kept)], covered, suppressed
