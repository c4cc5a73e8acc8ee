"""A heading prior from the scene: parked cars in a row and cars in a lane point the same way.

A sparse car (a few dozen to a few hundred points at 25-60 m) shows too little of its outline for the L-shape to tell a
turn of ten degrees, while a dense car beside it shows its heading to a degree or two. So a box whose
own evidence is weak (fewer than `WEAK_POINTS` object points) takes, as the reference its L-shape is
searched around, the heading of the nearest confidently placed vehicle (at least `CONFIDENT_POINTS`
object points, within `REACH` metres, about parallel to it: within `PARALLEL`, either way round).
The L-shape still turns the box away from that heading when the points clearly say so.

Pure functions; world frame x forward, y left, z up.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.partial_fit import ELONGATED
from annotator.core.cuboids.rotation import wrap_angle

logger = logging.getLogger(__name__)

#: A box with fewer object points than this takes its heading's reference from the scene.
WEAK_POINTS = 300
#: A neighbour with at least this many object points has a heading the scene can go by.
CONFIDENT_POINTS = 100
#: How far (m, centre to centre) a neighbour still tells a box's heading.
REACH = 20.0
#: A neighbour within this angle (radians, either way round) of a box is parallel to it.
PARALLEL = math.radians(15.0)


@dataclass(frozen=True)
class Placed:
    """A box of the frame and how many object points support it."""

    cuboid: Cuboid
    points: int


def _elongated(cuboid: Cuboid) -> bool:
    """Whether a box has a vehicle's build (people and poles have no heading to lend or borrow)."""
    return cuboid.size[0] >= ELONGATED * cuboid.size[1]


def _along(yaw: float, reference: float) -> float:
    """``yaw`` or ``yaw + pi``, whichever is nearer ``reference``."""
    return wrap_angle(yaw if abs(wrap_angle(yaw - reference)) <= math.pi / 2.0 else yaw + math.pi)


def lent_heading(cuboid: Cuboid, other: Cuboid) -> float | None:
    """The heading ``other`` lends ``cuboid`` (its yaw, pointing the box's way) when both are vehicles
    (elongated), about parallel (`PARALLEL`) and within `REACH` of each other, else None."""
    if not (_elongated(cuboid) and _elongated(other)):
        return None
    yaw = _along(other.yaw, cuboid.yaw)
    if abs(wrap_angle(yaw - cuboid.yaw)) > PARALLEL:
        return None
    distance = float(np.hypot(*(np.asarray(other.center[:2]) - np.asarray(cuboid.center[:2]))))
    return yaw if 0.0 < distance <= REACH else None


def scene_heading(cuboid: Cuboid, points: int, neighbours: Sequence[Placed]) -> float | None:
    """The heading (pointing the box's way) of the nearest confidently placed neighbour that lends
    ``cuboid`` one (`lent_heading`), or None: the box has enough points of its own (``points`` >=
    `WEAK_POINTS`) or no such neighbour is near."""
    if points >= WEAK_POINTS:
        return None
    centre = np.asarray(cuboid.center[:2], dtype=np.float64)
    lenders = [
        (float(np.hypot(*(np.asarray(other.cuboid.center[:2]) - centre))), yaw)
        for other in neighbours
        if other.points >= CONFIDENT_POINTS and (yaw := lent_heading(cuboid, other.cuboid)) is not None
    ]
    return min(lenders)[1] if lenders else None


def heading_from_boxes(
    cuboid: Cuboid, points: int, others: Sequence[Cuboid], count: Callable[[Cuboid], int]
) -> float | None:
    """`scene_heading` among a frame's other boxes as drawn (the window's fit of one box), each box that
    could lend a heading (`lent_heading`) counted by ``count`` (its points inside), the others not at all."""
    if points >= WEAK_POINTS:
        return None
    lenders = [Placed(other, count(other)) for other in others if lent_heading(cuboid, other) is not None]
    return scene_heading(cuboid, points, lenders)
