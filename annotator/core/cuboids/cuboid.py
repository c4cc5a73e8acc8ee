"""Geometry of cuboids and 2D boxes in the world (LiDAR) frame: x forward, y left, z up, metres.

A `Cuboid` is 9-DoF: centre, size (length along its local x, width along local y, height along local
z) and rotation as intrinsic Z-Y-X Euler angles (yaw about z, then pitch about the new y, then roll
about the newest x), radians, each wrapped to (-pi, pi]. With pitch = roll = 0 it is the common 7-DoF box.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from annotator.core.cuboids.rotation import (
    rotation_matrix,
    wrap_angle,
)

#: Corner order of `Cuboid.corners`: bottom face counter-clockwise seen from above starting at
#: front-left (+x, +y), then the top face in the same order. "Front" is the +x (heading) side.
CORNER_SIGNS = np.array(
    [
        [1, 1, -1],
        [-1, 1, -1],
        [-1, -1, -1],
        [1, -1, -1],
        [1, 1, 1],
        [-1, 1, 1],
        [-1, -1, 1],
        [1, -1, 1],
    ],
    dtype=np.float64,
)

#: The 12 edges of a cuboid as pairs of corner indices (bottom ring, top ring, verticals).
CUBOID_EDGES = (
    (0, 1), (1, 2), (2, 3), (3, 0),
    (4, 5), (5, 6), (6, 7), (7, 4),
    (0, 4), (1, 5), (2, 6), (3, 7),
)  # fmt: skip

#: The 6 faces as corner indices, counter-clockwise seen from outside.
CUBOID_FACES = (
    (0, 3, 2, 1),  # bottom
    (4, 5, 6, 7),  # top
    (0, 4, 7, 3),  # front (+x)
    (1, 2, 6, 5),  # back (-x)
    (0, 1, 5, 4),  # left (+y)
    (3, 7, 6, 2),  # right (-y)
)


@dataclass(frozen=True, slots=True)
class Cuboid:
    """An oriented box in the world frame (immutable; edits make new cuboids with `replace`)."""

    center: tuple[float, float, float]
    size: tuple[float, float, float]
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0

    def __post_init__(self) -> None:
        try:
            cx, cy, cz = (float(v) for v in self.center)
            length, width, height = (float(v) for v in self.size)
        except ValueError:
            raise ValueError("a cuboid needs a 3-value centre and a 3-value size") from None
        yaw, pitch, roll = float(self.yaw), float(self.pitch), float(self.roll)
        if not math.isfinite(cx + cy + cz + length + width + height + yaw + pitch + roll):
            raise ValueError(f"a cuboid needs finite numbers, got {self.center} {self.size}")
        if length < 0 or width < 0 or height < 0:
            raise ValueError(f"a cuboid size must not be negative, got {self.size}")
        set_field = object.__setattr__
        set_field(self, "center", (cx, cy, cz))
        set_field(self, "size", (length, width, height))
        set_field(self, "yaw", yaw if -math.pi < yaw <= math.pi else wrap_angle(yaw))
        set_field(self, "pitch", pitch if -math.pi < pitch <= math.pi else wrap_angle(pitch))
        set_field(self, "roll", roll if -math.pi < roll <= math.pi else wrap_angle(roll))

    # -- construction and conversion ---------------------------------------------------------------
    @classmethod
    def from_stored(
        cls,
        center: tuple[float, float, float],
        size: tuple[float, float, float],
        yaw: float,
        pitch: float,
        roll: float,
    ) -> Cuboid:
        """A cuboid from values that were validated when stored (skips the checks; for fast loading)."""
        cuboid = object.__new__(cls)
        set_field = object.__setattr__
        set_field(cuboid, "center", center)
        set_field(cuboid, "size", size)
        set_field(cuboid, "yaw", yaw)
        set_field(cuboid, "pitch", pitch)
        set_field(cuboid, "roll", roll)
        return cuboid

    @classmethod
    def from_array(cls, values: Sequence[float]) -> Cuboid:
        """From ``[x, y, z, l, w, h, yaw]`` (7-DoF) or ``[x, y, z, l, w, h, yaw, pitch, roll]`` (9-DoF)."""
        v = [float(x) for x in values]
        if len(v) == 7:
            return cls(tuple(v[0:3]), tuple(v[3:6]), v[6])
        if len(v) == 9:
            return cls(tuple(v[0:3]), tuple(v[3:6]), v[6], v[7], v[8])
        raise ValueError(f"a cuboid array has 7 or 9 values, got {len(v)}")

    def to_array(self, nine_dof: bool = False) -> np.ndarray:
        """``[x, y, z, l, w, h, yaw]``, or with ``nine_dof`` also ``pitch, roll``."""
        values = [*self.center, *self.size, self.yaw]
        if nine_dof:
            values += [self.pitch, self.roll]
        return np.array(values, dtype=np.float64)

    def replace(self, **changes: object) -> Cuboid:
        """A copy with some fields changed (``center``, ``size``, ``yaw``, ``pitch``, ``roll``)."""
        values = {
            "center": self.center,
            "size": self.size,
            "yaw": self.yaw,
            "pitch": self.pitch,
            "roll": self.roll,
        }
        values.update(changes)
        return Cuboid(**values)  # type: ignore[arg-type]

    @property
    def is_7dof(self) -> bool:
        """True when pitch and roll are zero (a box standing upright)."""
        return self.pitch == 0.0 and self.roll == 0.0

    def grown(self, margin: float) -> Cuboid:
        """The same box grown by ``margin`` metres on each side (shrunk when negative)."""
        return self.replace(size=tuple(s + 2.0 * margin for s in self.size))

    def flattened(self) -> Cuboid:
        """The same box with pitch and roll set to zero."""
        return self.replace(pitch=0.0, roll=0.0)

    # -- transforms ---------------------------------------------------------------------------------
    @property
    def rotation(self) -> np.ndarray:
        """3x3 rotation from box axes to world axes."""
        return rotation_matrix(self.yaw, self.pitch, self.roll)

    def box_to_world_matrix(self) -> np.ndarray:
        """4x4 homogeneous transform from box coordinates (origin at the centre) to the world."""
        matrix = np.eye(4)
        matrix[:3, :3] = self.rotation
        matrix[:3, 3] = self.center
        return matrix

    def world_to_box(self, points: np.ndarray) -> np.ndarray:
        """World points (N, >=3) to box coordinates (N, 3) (only the first three columns are used)."""
        pts = np.asarray(points)[:, :3]
        return (pts - np.asarray(self.center, dtype=pts.dtype)) @ self.rotation.astype(pts.dtype)

    def box_to_world(self, points: np.ndarray) -> np.ndarray:
        """Box coordinates (N, 3) to world points (N, 3)."""
        pts = np.asarray(points, dtype=np.float64)[:, :3]
        return pts @ self.rotation.T + np.asarray(self.center)

    def corners(self) -> np.ndarray:
        """The 8 corners (8, 3) in world coordinates, ordered as `CORNER_SIGNS`."""
        half = np.asarray(self.size) / 2.0
        return self.box_to_world(CORNER_SIGNS * half)

    def points_inside(self, points: np.ndarray, margin: float = 0.0) -> np.ndarray:
        """Boolean mask (N,) of the points inside the box (grown by ``margin`` on each side)."""
        pts = np.asarray(points)
        if len(pts) == 0:
            return np.zeros(0, dtype=bool)
        half = np.asarray(self.size) / 2.0 + margin
        # Cheap axis-aligned prefilter on the world bounding box of the grown box (a turned box grown
        # reaches past its own bounds grown by the margin), then the exact test on candidates.
        corners = self.box_to_world(CORNER_SIGNS * half)
        lo = corners.min(axis=0)
        hi = corners.max(axis=0)
        x = pts[:, 0]
        candidate = (x >= lo[0]) & (x <= hi[0])
        idx = np.flatnonzero(candidate)
        sub = pts[idx]
        keep = (sub[:, 1] >= lo[1]) & (sub[:, 1] <= hi[1]) & (sub[:, 2] >= lo[2]) & (sub[:, 2] <= hi[2])
        idx = idx[keep]
        local = self.world_to_box(pts[idx])
        inside = np.all(np.abs(local) <= half.astype(local.dtype), axis=1)
        mask = np.zeros(len(pts), dtype=bool)
        mask[idx[inside]] = True
        return mask

    # -- measures -----------------------------------------------------------------------------------
    @property
    def volume(self) -> float:
        """Volume in cubic metres."""
        length, width, height = self.size
        return length * width * height

    def bev_polygon(self) -> np.ndarray:
        """Footprint (4, 2) in bird's-eye view, counter-clockwise, of the box projected onto z = 0.

        For a pitched or rolled box this is the footprint of its yaw-only version (the usual BEV box).
        """
        length, width, _ = self.size
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        local = np.array([[length, width], [-length, width], [-length, -width], [length, -width]]) / 2.0
        rot = np.array([[c, -s], [s, c]])
        return local @ rot.T + np.asarray(self.center[:2])

    def z_range(self) -> tuple[float, float]:
        """Lowest and highest z of the box."""
        zs = self.corners()[:, 2]
        return float(zs.min()), float(zs.max())
