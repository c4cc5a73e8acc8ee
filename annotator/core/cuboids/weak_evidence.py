"""Relying on the box as given where a fit's own evidence is weak.

A vehicle fitted on a few dozen returns (a far car, or one mostly hidden) places the faces the sensor
sees, but a dozen points on one face can put its centre and heading as far off as the box it started
from. So a fit on fewer than `FULL_TRUST` object points (its own sweep's and those its track's other
sweeps add) moves the box only part of the way: its centre and heading are blended between the box's and the fit's, in proportion to the
points (its size is the fit's: the prior's where the points do not show a side). Fits on fewer than
1.5 x ``min_points`` change nothing at all (`annotator.core.cuboids.box_fit`).

Pure functions.
"""

from __future__ import annotations

import logging

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.rotation import wrap_angle

logger = logging.getLogger(__name__)

#: From this many object points on, a fit places a box on its own.
FULL_TRUST = 30


def trust(points: int) -> float:
    """How far (0..1) a fit on ``points`` object points moves the box."""
    return min(max(points, 0) / FULL_TRUST, 1.0)


def blended(box: Cuboid, fitted: Cuboid, points: int) -> Cuboid:
    """``fitted`` with its centre and heading moved back towards ``box``'s by the fit's lack of `trust`
    (the heading along the shorter way round); ``fitted`` itself from `FULL_TRUST` points on."""
    weight = trust(points)
    if weight >= 1.0:
        return fitted
    centre = weight * np.asarray(fitted.center, dtype=np.float64) + (1.0 - weight) * np.asarray(box.center)
    yaw = wrap_angle(box.yaw + weight * wrap_angle(fitted.yaw - box.yaw))
    return fitted.replace(center=tuple(float(c) for c in centre), yaw=yaw)
