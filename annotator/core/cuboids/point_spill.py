"""How much of an object's points lie outside its box: the evidence that a carried box has slid off its object.

A box that fits its object holds the object's points; one that lags behind a walking pedestrian leaves the
points on its leading side outside. `point_spill` measures that share: of the object's points (the non-ground
points around the box in clusters lying mostly inside it, `annotator.core.cuboids.partial_fit.object_points`),
the fraction outside the box (by more than `FACE_TOLERANCE`). It is not zero for a well-fitted box (a neighbour standing close enough to join
the object's cluster, a label drawn tight), so what tells a box that slid off is its **growth**: the spill now
against the spill of the track's box where a person or the model last placed it (`spill_grew`), a neighbour's
share being there both times.
"""

from __future__ import annotations

import logging

import numpy as np

from annotator.core.cuboids.box_fit import local_ground
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.partial_fit import GATHER_MARGIN, object_points

logger = logging.getLogger(__name__)

#: Points within this many metres of the box estimate the ground under it.
GROUND_REACH = 2.0
#: A point counts as outside the box only when it lies more than this many metres beyond a face: points on
#: the faces (where a scan of the object lies) stay inside a box that moved by a centimetre.
FACE_TOLERANCE = 0.05
#: A carried box slid off its object when its spill grew by more than this share of the object's points.
DEFAULT_SPILL_GROWTH = 0.3


def point_spill(box: Cuboid, points: np.ndarray, margin: float = GATHER_MARGIN) -> float:
    """The share (0-1) of the object's points within ``margin`` of ``box`` that lie outside it (module
    docstring); 0 when fewer than three points lie near the box or none of them is the object's."""
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or len(pts) == 0:
        return 0.0
    near = pts[box.points_inside(pts[:, :3], GROUND_REACH), :3]
    if len(near) < 3:
        return 0.0
    found = object_points(box, near, local_ground(near, box), margin=margin)
    if len(found) == 0:
        return 0.0
    return float(1.0 - box.points_inside(found, FACE_TOLERANCE).mean())


def spill_grew(now: float, reference: float | None, growth: float = DEFAULT_SPILL_GROWTH) -> bool:
    """Whether the spill ``now`` exceeds the ``reference`` spill (the track's placed box's; None: unknown,
    never grown) by more than ``growth``."""
    return reference is not None and now - reference > growth
