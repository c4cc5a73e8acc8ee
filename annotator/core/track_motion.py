"""Heading from a track's motion: where the object's neighbouring boxes go in the world.

A moving object drives along its heading, so the direction of its world-frame motion (its boxes' centres in
the frames before and after, placed in the world with the frames' ego poses) gives a heading that an
L-shape cannot: which of the rectangle's four sides is the front. The direction is a least-squares line
through the centres over time; it is trusted only when the object travels clearly further than the
boxes' placement noise over the window (`MIN_TRAVEL`), and it comes with its own uncertainty (the centres'
scatter about the line over the distance travelled), which bounds how far the L-shape may turn from it.

Pure numpy; yaw in radians about the vertical axis.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

#: The object must travel at least this far (m) over the window: parked cars and people standing give
#: no heading, and rough boxes sit up to half a metre off their objects.
MIN_TRAVEL = 2.0
#: Uncertainty (radians) below which a motion heading is not taken as more exact (boxes drift sideways a
#: little as a car's visible faces change).
MIN_SPREAD = math.radians(2.0)
#: How far (m) a box's centre may sit off its object's, when two boxes leave no scatter to measure.
PLACEMENT_NOISE = 0.5


@dataclass(frozen=True)
class MotionHeading:
    """The direction of travel (world yaw), the distance travelled over the window (m) and the heading's
    uncertainty (radians, about one standard deviation)."""

    yaw: float
    travel: float
    spread: float


def line_velocity(times: Sequence[float], centres: Sequence[Sequence[float]]) -> np.ndarray | None:
    """The x/y velocity (2,) of a least-squares line through ``centres`` (N, >=2) over ``times`` (N,), or
    None with fewer than two distinct times."""
    t = np.asarray(times, dtype=np.float64)
    xy = np.asarray(centres, dtype=np.float64).reshape(len(t), -1)[:, :2]
    if len(t) < 2 or np.ptp(t) <= 0.0:
        return None
    dt = t - t.mean()
    return (dt[:, None] * (xy - xy.mean(axis=0))).sum(axis=0) / float((dt**2).sum())


def motion_heading(
    times: Sequence[float], centres: Sequence[Sequence[float]], min_travel: float = MIN_TRAVEL
) -> MotionHeading | None:
    """The heading of travel of an object at world ``centres`` (N, >=2) at ``times`` (N,), or None when
    there are fewer than two distinct times or it travels less than ``min_travel`` metres.

    Velocity from a least-squares line through the centres over time (one box placed off its object
    moves it little); uncertainty: the standard error of the velocity's direction from the centres'
    scatter across the line (`PLACEMENT_NOISE` with only two boxes), at least `MIN_SPREAD`.
    """
    t = np.asarray(times, dtype=np.float64)
    xy = np.asarray(centres, dtype=np.float64).reshape(len(t), -1)[:, :2]
    velocity = line_velocity(t, xy)
    if velocity is None:
        return None
    dt = t - t.mean()
    travel = float(np.linalg.norm(velocity) * np.ptp(t))
    if travel < min_travel:
        return None
    yaw = math.atan2(velocity[1], velocity[0])
    normal = np.array([-math.sin(yaw), math.cos(yaw)])
    across = (xy - xy.mean(axis=0)) @ normal
    scatter = float(np.sqrt((across**2).sum() / (len(t) - 2))) if len(t) > 2 else PLACEMENT_NOISE
    # standard error of the sideways velocity over the speed
    spread = max(
        math.atan2(scatter, float(np.linalg.norm(velocity)) * math.sqrt(float((dt**2).sum()))), MIN_SPREAD
    )
    return MotionHeading(yaw, travel, spread)
