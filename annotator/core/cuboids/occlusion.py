"""What the sensor could see: whether a place of a frame lies behind a nearer return (occluded).

A LiDAR ray stops at the first thing it hits, so an empty stretch between a box's face and its object's
points means one of two things: the box's face is off (the rays went through that stretch and hit the
object behind it), or something nearer hid that stretch (a car in front, a pole), in which case the points
cannot tell where the face is. `Occlusion` answers which, from the frame's non-ground returns: a place is
hidden when a return within the same bearing (`BEARING_TOLERANCE`) and the object's height band lies
clearly nearer to the sensor than it (but beyond `NEAR_SHARE` of its distance, where the ray still runs
at about the object's heights); it is seen when returns at its bearing lie at or beyond it; with no such
return (a dark or absorbing surface, the sky) nothing is known.

Pure numpy; the sensor at ``sensor_xy`` in the frame's coordinates.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from functools import cached_property

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.ground import GroundModel

logger = logging.getLogger(__name__)

#: Returns within this bearing (radians) of a place count for it (a few LiDAR columns).
BEARING_TOLERANCE = math.radians(0.4)
#: A return must lie this much nearer (m) than a place to hide it (range noise).
NEARER_BY = 0.3
#: Points at most this high above the ground hide nothing (the road, kerbs).
LOW = 0.3
#: Only returns at least this share of a place's distance away count: near the sensor a ray runs at the
#: sensor's height (unknown here), far above or below the object's height band, so a nearer return at
#: the object's heights may well lie under or over the ray.
NEAR_SHARE = 0.5
#: Returns this close to an object's box (m) are its own (a box sits up to this far off its object).
OWN_MARGIN = 0.4


class Occlusion:
    """The frame's non-ground returns by bearing from the sensor, for `hidden` queries (sorted on the
    first query: most fits never need one)."""

    def __init__(self, points: np.ndarray, ground: GroundModel, sensor_xy: Sequence[float] = (0.0, 0.0)):
        self._source = (points, ground)
        self.sensor = np.asarray(sensor_xy[:2], dtype=np.float64)

    @cached_property
    def _sorted(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(bearing, range, points) of the non-ground returns, by bearing."""
        points, ground = self._source
        pts = np.asarray(points, dtype=np.float64)[:, :3]
        pts = pts[ground.height_above(pts) > LOW] if len(pts) else pts
        offsets = pts[:, :2] - self.sensor
        bearing = np.arctan2(offsets[:, 1], offsets[:, 0])
        order = np.argsort(bearing)
        return bearing[order], np.hypot(offsets[:, 0], offsets[:, 1])[order], pts[order]

    def _returns(self, angle: float, z_range: tuple[float, float], own: Cuboid | None) -> np.ndarray:
        """Ranges of the returns within `BEARING_TOLERANCE` of ``angle``, with heights in ``z_range``,
        outside ``own`` (grown by `OWN_MARGIN`)."""
        bearings, ranges, points = self._sorted
        slices = []
        for lo, hi in _wrapped(angle - BEARING_TOLERANCE, angle + BEARING_TOLERANCE):
            a, b = np.searchsorted(bearings, [lo, hi])
            slices.append(np.arange(a, b))
        found = np.concatenate(slices)
        z = points[found, 2]
        found = found[(z >= z_range[0]) & (z <= z_range[1])]
        if own is not None and len(found):
            found = found[~own.points_inside(points[found], OWN_MARGIN)]
        return ranges[found]

    def hidden(self, xy: np.ndarray, z_range: tuple[float, float], own: Cuboid | None = None) -> np.ndarray:
        """Per place (N, 2): 1 hidden behind a nearer return, 0 seen (returns at or beyond it), -1 unknown
        (no such return). Only returns with heights in ``z_range`` (the object's) count, and none of the
        object's own (inside its box ``own``: a long box's far end lies behind the object's near side)."""
        places = np.asarray(xy, dtype=np.float64).reshape(-1, 2) - self.sensor
        out = np.full(len(places), -1, dtype=np.int8)
        for i, (dx, dy) in enumerate(places):
            distance = math.hypot(dx, dy)
            ranges = self._returns(math.atan2(dy, dx), z_range, own)
            ranges = ranges[ranges >= NEAR_SHARE * distance]
            if len(ranges):
                out[i] = int(ranges.min() < distance - NEARER_BY)
        return out


def _wrapped(lo: float, hi: float) -> list[tuple[float, float]]:
    """The bearing interval [lo, hi] as intervals within [-pi, pi]."""
    if lo < -math.pi:
        return [(lo + 2 * math.pi, math.pi), (-math.pi, hi)]
    if hi > math.pi:
        return [(lo, math.pi), (-math.pi, hi - 2 * math.pi)]
    return [(lo, hi)]
