"""Which way a new box points: of a fitted rectangle's two opposite headings, the one the scene supports.

A LiDAR scan rarely tells a car's front from its back, so the choice comes from the scene, in this order:

1. a box in the same lane (ahead or behind along the new box's axis, about parallel): traffic in a lane
   moves one way, parked rows line up;
2. the sensor's own lane: a box in front of or behind the sensor, about parallel to it, goes its way;
3. otherwise a guess from the side of the road (right-hand traffic: a parallel box left of the sensor's
   lane comes towards it, one right of it goes its way; the setting ``left_hand_traffic`` mirrors this),
   which is *flagged* so the user checks it (Flip heading turns it round).

Pure functions; world frame x forward, y left; the sensor at ``sensor_xy`` looking along ``sensor_yaw``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.rotation import wrap_angle

logger = logging.getLogger(__name__)

#: Half a lane's width (m): a box whose axis passes this close to another's centre shares its lane.
LANE_HALF_WIDTH = 1.75
#: How far along a lane (m) a box ahead or behind still tells the direction.
LANE_REACH = 25.0
#: Boxes within this angle (radians) of each other (either way round) are parallel.
PARALLEL = math.radians(20.0)


@dataclass(frozen=True)
class Heading:
    """A chosen heading, where it came from, and whether the user should check it."""

    yaw: float
    source: str
    flagged: bool = False


def _parallel(a: float, b: float) -> bool:
    difference = abs(wrap_angle(a - b))
    return min(difference, math.pi - difference) <= PARALLEL


def _toward(yaw: float, direction: float) -> float:
    """``yaw`` or ``yaw + pi``, whichever is nearer ``direction``."""
    return wrap_angle(yaw if abs(wrap_angle(yaw - direction)) <= math.pi / 2 else yaw + math.pi)


def _offsets(origin: Sequence[float], yaw: float, xy: Sequence[float]) -> tuple[float, float]:
    """(along, across) of ``xy`` in the frame at ``origin`` turned by ``yaw``."""
    d = np.asarray(xy[:2], dtype=np.float64) - np.asarray(origin[:2], dtype=np.float64)
    c, s = math.cos(yaw), math.sin(yaw)
    return float(d[0] * c + d[1] * s), float(-d[0] * s + d[1] * c)


def resolve_heading(
    box: Cuboid,
    others: Sequence[Cuboid] = (),
    sensor_xy: Sequence[float] = (0.0, 0.0),
    sensor_yaw: float = 0.0,
    left_hand_traffic: bool = False,
) -> Heading:
    """The heading of ``box`` (its yaw or the opposite) that the scene supports (see the module)."""
    lane_mates = []
    for other in others:
        if other is box or not _parallel(other.yaw, box.yaw):
            continue
        along, across = _offsets(box.center, box.yaw, other.center)
        if abs(across) <= LANE_HALF_WIDTH and 0.5 < abs(along) <= LANE_REACH:
            lane_mates.append((abs(along), other.yaw))
    if lane_mates:
        return Heading(_toward(box.yaw, min(lane_mates)[1]), "the box ahead or behind in its lane")
    if not _parallel(box.yaw, sensor_yaw):
        return Heading(_toward(box.yaw, sensor_yaw), "no lane to go by: check it", flagged=True)
    _, across = _offsets(sensor_xy, sensor_yaw, box.center)
    if abs(across) <= LANE_HALF_WIDTH:
        return Heading(_toward(box.yaw, sensor_yaw), "the sensor's lane")
    oncoming = across > 0 if not left_hand_traffic else across < 0
    direction = wrap_angle(sensor_yaw + math.pi) if oncoming else sensor_yaw
    side = "oncoming lane" if oncoming else "lane beside the sensor's"
    return Heading(_toward(box.yaw, direction), f"a guess ({side}): check it", flagged=True)
