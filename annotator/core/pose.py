"""Ego poses: where a frame's sensor (LiDAR) frame sits in a fixed world frame (city, map, odometry).

A `Pose` maps points from the frame's LiDAR coordinates into the world: ``p_world = R @ p + t``, with the
rotation as a unit quaternion (w, x, y, z). Frames of a sequence that carry poses can be related to
each other (``relative_to``), which is what tracking and exports need.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pose:
    """A rigid transform LiDAR -> world: unit quaternion ``rotation`` (w, x, y, z) and ``translation`` (m)."""

    rotation: tuple[float, float, float, float]
    translation: tuple[float, float, float]

    def __post_init__(self) -> None:
        q = np.asarray(self.rotation, dtype=np.float64)
        t = np.asarray(self.translation, dtype=np.float64)
        if q.shape != (4,) or t.shape != (3,) or not (np.isfinite(q).all() and np.isfinite(t).all()):
            raise ValueError("a pose needs a finite 4-value quaternion and a finite 3-value translation")
        norm = float(np.linalg.norm(q))
        if norm < 1e-9:
            raise ValueError("a pose's quaternion has zero length")
        object.__setattr__(self, "rotation", tuple(float(v) for v in q / norm))
        object.__setattr__(self, "translation", tuple(float(v) for v in t))

    @property
    def matrix(self) -> np.ndarray:
        """The 4x4 homogeneous transform LiDAR -> world."""
        w, x, y, z = self.rotation
        out = np.eye(4)
        out[:3, :3] = [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
        out[:3, 3] = self.translation
        return out

    @property
    def yaw(self) -> float:
        """Heading of the sensor's x axis in the world's x/y plane (radians)."""
        m = self.matrix
        return math.atan2(m[1, 0], m[0, 0])

    def to_world(self, points: np.ndarray) -> np.ndarray:
        """Points (N, >=3) in LiDAR coordinates -> (N, 3) world coordinates."""
        m = self.matrix
        return np.asarray(points)[:, :3] @ m[:3, :3].T + m[:3, 3]

    def relative_to(self, other: Pose) -> np.ndarray:
        """The 4x4 transform from this frame's LiDAR coordinates into ``other``'s."""
        return np.linalg.inv(other.matrix) @ self.matrix

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"rotation": list(self.rotation), "translation": list(self.translation)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Pose:
        """Inverse of `to_dict`."""
        return cls(tuple(data["rotation"]), tuple(data["translation"]))
