"""Solid primitives the generated scenes are built from: oriented boxes, cylinders and ellipsoids.

Each primitive has a pose (centre and rotation from its local axes to the parent frame) and half extents
in its local frame: a box's half length/width/height, a cylinder's ``(radius, radius, half height)`` with
its axis along local z, an ellipsoid's three radii. A `PrimitiveSet` packs many primitives into arrays
for the ray caster.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from annotator.core.cuboids.cuboid import CORNER_SIGNS
from annotator.core.cuboids.rotation import rotation_matrix

logger = logging.getLogger(__name__)

BOX, CYLINDER, ELLIPSOID = 0, 1, 2

#: Surface textures evaluated at hit points (see `annotator.synth.surfaces`).
PLAIN, FACADE, FOLIAGE = 0, 1, 2


@dataclass(frozen=True)
class Primitive:
    """One solid: kind, pose, half extents and surface (colour RGB 0-255, LiDAR reflectivity 0-1).

    ``porosity`` is the share of LiDAR rays that pass through (foliage); ``owner`` is the index of the
    object the primitive belongs to, -1 for the static scene.
    """

    kind: int
    center: np.ndarray
    rotation: np.ndarray
    half: np.ndarray
    color: tuple[float, float, float] = (128.0, 128.0, 128.0)
    reflectivity: float = 0.3
    porosity: float = 0.0
    texture: int = PLAIN
    owner: int = -1

    def posed(self, rotation: np.ndarray, translation: np.ndarray, owner: int | None = None) -> Primitive:
        """This primitive moved by a rigid transform (parent-from-local rotation and translation)."""
        return replace(
            self,
            center=rotation @ self.center + translation,
            rotation=rotation @ self.rotation,
            owner=self.owner if owner is None else owner,
        )


def box(
    center: Sequence[float],
    size: Sequence[float],
    color: Sequence[float],
    reflectivity: float,
    yaw: float = 0.0,
    pitch: float = 0.0,
    roll: float = 0.0,
    **surface: float,
) -> Primitive:
    """An oriented box of full ``size`` (length, width, height) centred at ``center``."""
    return Primitive(
        BOX,
        np.asarray(center, dtype=np.float64),
        rotation_matrix(yaw, pitch, roll),
        np.asarray(size, dtype=np.float64) / 2.0,
        tuple(float(c) for c in color),
        reflectivity,
        **surface,  # type: ignore[arg-type]
    )


def cylinder(
    center: Sequence[float],
    radius: float,
    height: float,
    color: Sequence[float],
    reflectivity: float,
    **surface: float,
) -> Primitive:
    """An upright cylinder (axis along z) centred at ``center``."""
    return Primitive(
        CYLINDER,
        np.asarray(center, dtype=np.float64),
        np.eye(3),
        np.array([radius, radius, height / 2.0]),
        tuple(float(c) for c in color),
        reflectivity,
        **surface,  # type: ignore[arg-type]
    )


def rod(
    start: Sequence[float],
    end: Sequence[float],
    radius: float,
    color: Sequence[float],
    reflectivity: float,
    **surface: float,
) -> Primitive:
    """A cylinder whose axis runs from ``start`` to ``end`` (limbs, bike frames, wheels)."""
    a, b = np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64)
    axis = b - a
    length = float(np.linalg.norm(axis))
    return Primitive(
        CYLINDER,
        (a + b) / 2.0,
        _frame_with_z(axis / length),
        np.array([radius, radius, length / 2.0]),
        tuple(float(c) for c in color),
        reflectivity,
        **surface,  # type: ignore[arg-type]
    )


def ellipsoid(
    center: Sequence[float],
    radii: Sequence[float],
    color: Sequence[float],
    reflectivity: float,
    **surface: float,
) -> Primitive:
    """An axis-aligned ellipsoid (local frame) with the given radii."""
    return Primitive(
        ELLIPSOID,
        np.asarray(center, dtype=np.float64),
        np.eye(3),
        np.asarray(radii, dtype=np.float64),
        tuple(float(c) for c in color),
        reflectivity,
        **surface,  # type: ignore[arg-type]
    )


def _frame_with_z(z_axis: np.ndarray) -> np.ndarray:
    """A rotation matrix whose third column is the unit vector ``z_axis``."""
    helper = np.array([1.0, 0.0, 0.0]) if abs(z_axis[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    x_axis = _cross(helper, z_axis)
    x_axis /= np.linalg.norm(x_axis)
    return np.column_stack([x_axis, _cross(z_axis, x_axis), z_axis])


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross product of two 3-vectors (numpy's general `cross` costs ~50x more for one pair)."""
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


@dataclass
class PrimitiveSet:
    """Many primitives as arrays (structure of arrays) for vectorised ray casting."""

    kind: np.ndarray  # (P,) int8
    center: np.ndarray  # (P, 3)
    rotation: np.ndarray  # (P, 3, 3) local-to-world
    half: np.ndarray  # (P, 3)
    color: np.ndarray  # (P, 3) float32
    reflectivity: np.ndarray  # (P,) float32
    porosity: np.ndarray  # (P,) float32
    texture: np.ndarray  # (P,) int8
    owner: np.ndarray  # (P,) int32
    _corners: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def pack(cls, primitives: Sequence[Primitive]) -> PrimitiveSet:
        """Arrays of the given primitives (in order)."""
        n = len(primitives)
        if n == 0:
            return cls(
                np.zeros(0, np.int8), np.zeros((0, 3)), np.zeros((0, 3, 3)), np.zeros((0, 3)),
                np.zeros((0, 3), np.float32), np.zeros(0, np.float32), np.zeros(0, np.float32),
                np.zeros(0, np.int8), np.zeros(0, np.int32),
            )  # fmt: skip
        return cls(
            kind=np.array([p.kind for p in primitives], dtype=np.int8),
            center=np.array([p.center for p in primitives], dtype=np.float64),
            rotation=np.array([p.rotation for p in primitives], dtype=np.float64),
            half=np.array([p.half for p in primitives], dtype=np.float64),
            color=np.array([p.color for p in primitives], dtype=np.float32),
            reflectivity=np.array([p.reflectivity for p in primitives], dtype=np.float32),
            porosity=np.array([p.porosity for p in primitives], dtype=np.float32),
            texture=np.array([p.texture for p in primitives], dtype=np.int8),
            owner=np.array([p.owner for p in primitives], dtype=np.int32),
        )

    def __len__(self) -> int:
        return len(self.kind)

    def corners(self) -> np.ndarray:
        """World corners (P, 8, 3) of each primitive's local bounding box (cached)."""
        if self._corners is None:
            self._corners = self._box_corners(self.half, self.center)
        return self._corners

    def swept_corners(self, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        """World corners (P, 8, 3) of local boxes holding each primitive moved by any world offset between
        ``low`` and ``high`` (3,) (a box of offsets)."""
        low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
        extent = np.einsum("pji,j->pi", np.abs(self.rotation), (high - low) / 2.0)
        return self._box_corners(self.half + extent, self.center + (high + low) / 2.0)

    def _box_corners(self, half: np.ndarray, center: np.ndarray) -> np.ndarray:
        local = CORNER_SIGNS[None, :, :] * half[:, None, :]
        return np.einsum("pij,pkj->pki", self.rotation, local) + center[:, None, :]
