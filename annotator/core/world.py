"""Cuboids between a frame's sensor (LiDAR) coordinates and the world, using the frames' ego poses.

A box moves with the frame it is written in: carried from one sweep to the next of a moving vehicle it
must be re-expressed in the new sweep's coordinates (``move_between``), otherwise a parked car "drives"
at the ego vehicle's speed. Upright (7-DoF) boxes stay upright: only the turn about the vertical axis is
applied to them, so a pose's small pitch and roll do not tilt them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.rotation import euler_from_matrix
from annotator.core.model.records import Frame
from annotator.core.pose import Pose

logger = logging.getLogger(__name__)


def transform_cuboid(cuboid: Cuboid, matrix: np.ndarray) -> Cuboid:
    """The cuboid under a rigid 4x4 transform (size kept; an upright box keeps zero pitch and roll)."""
    m = np.asarray(matrix, dtype=np.float64)
    centre = m[:3, :3] @ np.asarray(cuboid.center) + m[:3, 3]
    rotated = m[:3, :3] @ cuboid.rotation
    if cuboid.is_7dof:
        yaw, pitch, roll = math.atan2(rotated[1, 0], rotated[0, 0]), 0.0, 0.0
    else:
        yaw, pitch, roll = euler_from_matrix(rotated)
    return cuboid.replace(center=tuple(float(v) for v in centre), yaw=yaw, pitch=pitch, roll=roll)


def to_world(cuboid: Cuboid, pose: Pose) -> Cuboid:
    """A cuboid in the frame's sensor coordinates -> world coordinates."""
    return transform_cuboid(cuboid, pose.matrix)


def from_world(cuboid: Cuboid, pose: Pose) -> Cuboid:
    """Inverse of `to_world`: a world cuboid -> the frame's sensor coordinates."""
    return transform_cuboid(cuboid, np.linalg.inv(pose.matrix))


def move_between(cuboid: Cuboid, source: Pose, target: Pose) -> Cuboid:
    """A cuboid of the ``source`` frame re-expressed in the ``target`` frame (it stays put in the world)."""
    return transform_cuboid(cuboid, source.relative_to(target))


def all_posed(frames: Iterable[Frame | None]) -> bool:
    """True when every frame given exists and carries an ego pose."""
    return all(f is not None and f.pose is not None for f in frames)
