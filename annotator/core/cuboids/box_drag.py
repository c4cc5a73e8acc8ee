"""Pure geometry of mouse edits on a cuboid: move, resize from a face/edge/corner, rotate, snap to ground.

Every function takes the cuboid as it was when the drag started and the drag's total world offset (or
the cursor position), so a drag never accumulates rounding: the same gesture gives the same numbers.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.rotation import wrap_angle
from annotator.core.ground import GroundModel

logger = logging.getLogger(__name__)

#: Smallest side a resize leaves (metres).
MIN_SIDE = 0.1


def moved(cuboid: Cuboid, offset: Sequence[float], horizontal: bool = False) -> Cuboid:
    """The cuboid translated by ``offset`` (world, metres); ``horizontal`` drops the vertical part."""
    delta = np.asarray(offset, dtype=np.float64)[:3].copy()
    if horizontal:
        delta[2] = 0.0
    return cuboid.replace(center=tuple(np.asarray(cuboid.center) + delta))


def resized(
    cuboid: Cuboid, signs: Sequence[int], offset: Sequence[float], min_side: float = MIN_SIDE
) -> Cuboid:
    """The cuboid with the faces picked by ``signs`` moved by ``offset``; the opposite faces stay put.

    ``signs`` (3,) gives per box axis (length, width, height) which face is dragged: +1 the positive
    face, -1 the negative one, 0 none. ``offset`` is the drag in world coordinates; only its part along
    a dragged axis counts. A face never passes its opposite face (sides stay >= ``min_side``).
    """
    local = np.asarray(offset, dtype=np.float64)[:3] @ cuboid.rotation
    size = np.asarray(cuboid.size, dtype=np.float64)
    centre_shift = np.zeros(3)
    new_size = size.copy()
    for axis, sign in enumerate(signs):
        if sign == 0:
            continue
        new_size[axis] = max(size[axis] + sign * local[axis], min_side)
        centre_shift[axis] = sign * (new_size[axis] - size[axis]) / 2.0
    centre = np.asarray(cuboid.center) + cuboid.rotation @ centre_shift
    return cuboid.replace(center=tuple(centre), size=tuple(new_size))


def rotated(cuboid: Cuboid, start_xy: Sequence[float], current_xy: Sequence[float]) -> Cuboid:
    """The cuboid turned about its vertical axis by the angle the cursor swept around its centre.

    ``start_xy`` and ``current_xy`` are the cursor's world positions (bird's-eye) at the drag's start
    and now. A cursor on the centre leaves the heading unchanged.
    """
    cx, cy = cuboid.center[0], cuboid.center[1]
    a0 = (start_xy[0] - cx, start_xy[1] - cy)
    a1 = (current_xy[0] - cx, current_xy[1] - cy)
    if math.hypot(*a0) < 1e-9 or math.hypot(*a1) < 1e-9:
        return cuboid
    swept = math.atan2(a1[1], a1[0]) - math.atan2(a0[1], a0[0])
    return cuboid.replace(yaw=wrap_angle(cuboid.yaw + swept))


def footprint_ground(cuboid: Cuboid, ground: GroundModel) -> float:
    """Ground height under the box: the mean of the heights under its centre and bottom corners."""
    probes = np.vstack([np.asarray(cuboid.center)[None, :2], cuboid.corners()[:4, :2]])
    return float(np.mean(ground.height_at(probes)))


def snapped_to_ground(cuboid: Cuboid, ground: GroundModel) -> Cuboid:
    """The cuboid moved vertically so its bottom rests on the ground under it (size and heading kept)."""
    bottom = footprint_ground(cuboid, ground)
    centre = (cuboid.center[0], cuboid.center[1], bottom + cuboid.size[2] / 2.0)
    return cuboid.replace(center=centre)
