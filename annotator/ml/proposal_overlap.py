"""Keeping proposals off objects that already have a box: no proposal over an existing (human, imported or
other model's) box of the same object, and never two overlapping proposals on one object.

"The same object" is geometric: two cuboids whose bird's-eye footprints overlap by `SAME_OBJECT_IOU` or
more, or where one's centre lies inside the other's footprint; two 2D boxes of one camera with an IoU of
`SAME_OBJECT_IOU_2D` or more. Pure functions over records: the command that stores proposals applies them
to the project as it is at that moment.
"""

from __future__ import annotations

import logging
import math
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


def _reach(box: Cuboid) -> float:
    """Half the footprint's diagonal: no point of the footprint lies farther from its centre."""
    return 0.5 * math.hypot(float(box.size[0]), float(box.size[1]))


def near_pairs(a: Sequence[Cuboid | None], b: Sequence[Cuboid | None]) -> np.ndarray:
    """(len(a), len(b)) mask of the pairs that may box the same object: cuboids whose footprints can touch
    (centres no farther apart than their reaches together; both tests of `same_object_cuboids` need that),
    and every pair with a missing cuboid (a 2D box: not pre-filtered). A cheap, exact pre-filter."""
    near = np.ones((len(a), len(b)), dtype=bool)
    rows = [i for i, box in enumerate(a) if box is not None]
    cols = [j for j, box in enumerate(b) if box is not None]
    if rows and cols:
        centres_a = np.array([a[i].center[:2] for i in rows], dtype=float)  # type: ignore[union-attr]
        centres_b = np.array([b[j].center[:2] for j in cols], dtype=float)  # type: ignore[union-attr]
        reach_a = np.array([_reach(a[i]) for i in rows])  # type: ignore[arg-type]
        reach_b = np.array([_reach(b[j]) for j in cols])  # type: ignore[arg-type]
        gap = np.linalg.norm(centres_a[:, None, :] - centres_b[None, :, :], axis=2)
        near[np.ix_(rows, cols)] = gap <= reach_a[:, None] + reach_b[None, :] + 1e-6
    return near


def on_any_object(boxes: Sequence[Cuboid], others: Sequence[Cuboid]) -> np.ndarray:
    """For each of ``boxes``, whether it boxes the same object as one of ``others`` (`same_object_cuboids`,
    tested only where `near_pairs` allows)."""
    near = near_pairs(boxes, others)
    return np.array(
        [
            any(same_object_cuboids(box, others[j]) for j in np.flatnonzero(near[i]))
            for i, box in enumerate(boxes)
        ],
        dtype=bool,
    )


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
    boxes = [p.cuboid for p in proposals]
    near_existing = near_pairs(boxes, [e.cuboid for e in existing])
    near_proposals = near_pairs(boxes, boxes)
    kept: list[int] = []
    covered = suppressed = 0
    for k in order:
        proposal = proposals[k]
        if any(same_object(proposal, existing[j]) for j in np.flatnonzero(near_existing[k])):
            covered += 1
        elif any(same_object(proposal, proposals[j]) for j in kept if near_proposals[k, j]):
            suppressed += 1
        else:
            kept.append(k)
    return [proposals[k] for k in sorted(kept)], covered, suppressed
