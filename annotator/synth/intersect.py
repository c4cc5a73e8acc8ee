"""Vectorised ray-primitive intersection (boxes by slabs, cylinders, ellipsoids) and surface normals.

Rays are given in the world frame as one origin (3,) or one origin per ray (M, 3) and directions (M, 3)
(any length; ``t`` is measured in direction lengths). Each function returns the entry distance ``t`` per
ray, ``inf`` where the ray misses or starts inside the solid.
"""

from __future__ import annotations

import logging

import numpy as np

from annotator.synth.primitives import BOX, CYLINDER, PrimitiveSet

logger = logging.getLogger(__name__)

#: Hits closer than this (in direction lengths) are ignored, so rays leaving a surface do not hit it.
EPSILON = 1e-4


def to_local(
    primitives: PrimitiveSet, index: int, origins: np.ndarray, directions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Ray origins and directions in a primitive's local frame (same dtype as ``directions``)."""
    rotation = primitives.rotation[index]
    local_origins = ((np.asarray(origins, dtype=np.float64) - primitives.center[index]) @ rotation).astype(
        directions.dtype
    )
    return local_origins, directions @ rotation.astype(directions.dtype)


def intersect(
    primitives: PrimitiveSet, index: int, origins: np.ndarray, directions: np.ndarray
) -> np.ndarray:
    """Entry distance (M,) of each ray into primitive ``index`` (``inf`` for a miss)."""
    o, d = to_local(primitives, index, origins, directions)
    half = primitives.half[index].astype(d.dtype)
    kind = primitives.kind[index]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if kind == BOX:
            near, far = _slab_interval(o, d, half)
        elif kind == CYLINDER:
            near, far = _cylinder_interval(o, d, half)
        else:
            near, far = _sphere_interval(o / half, d / half)
        hit = (near > EPSILON) & (near <= far)
    return np.where(hit, near, np.inf).astype(d.dtype, copy=False)


def _slab_interval(o: np.ndarray, d: np.ndarray, half: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entry and exit distance of rays through an axis-aligned box centred at the origin."""
    near = np.full(len(d), -np.inf, dtype=d.dtype)
    far = np.full(len(d), np.inf, dtype=d.dtype)
    for axis in range(3):
        lo, hi = _axis_interval(o[..., axis], d[:, axis], half[axis])
        np.maximum(near, lo, out=near)
        np.minimum(far, hi, out=far)
    return near, far


def _axis_interval(o: np.ndarray, d: np.ndarray, half: float) -> tuple[np.ndarray, np.ndarray]:
    """Where rays are between the planes ``-half`` and ``+half`` of one axis."""
    inverse = 1.0 / d
    t1 = (-half - o) * inverse
    t2 = (half - o) * inverse
    return np.minimum(t1, t2), np.maximum(t1, t2)


def _cylinder_interval(o: np.ndarray, d: np.ndarray, half: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entry and exit distance of rays through a cylinder along z (radius ``half[0]``, half height ``half[2]``)."""
    near, far = _disc_interval(o[..., :2], d[:, :2], half[0])
    lo, hi = _axis_interval(o[..., 2], d[:, 2], half[2])
    return np.maximum(near, lo), np.minimum(far, hi)


def _disc_interval(o: np.ndarray, d: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Where 2D rays are inside a circle of ``radius`` at the origin (closest-approach form, stable)."""
    a = np.einsum("ij,ij->i", d, d)
    along = -(o * d).sum(axis=-1) / a
    closest = o + along[:, None] * d
    disc = (radius * radius - np.einsum("ij,ij->i", closest, closest)) / a
    root = np.sqrt(disc)  # NaN where the ray misses: comparisons with NaN are False
    parallel = a < 1e-12
    if np.any(parallel):
        inside = (np.broadcast_to(o, d.shape) ** 2).sum(axis=1) <= radius * radius
        along = np.where(parallel, 0.0, along)
        root = np.where(parallel, np.where(inside, np.inf, np.nan), root)
    return along - root, along + root


def _sphere_interval(o: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entry and exit distance of rays through the unit sphere (closest-approach form, stable)."""
    a = np.einsum("ij,ij->i", d, d)
    along = -(o * d).sum(axis=-1) / a
    closest = o + along[:, None] * d
    root = np.sqrt((1.0 - np.einsum("ij,ij->i", closest, closest)) / a)
    return along - root, along + root


def local_normals(kind: int, points: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Outward unit normals (M, 3) at local surface points of a primitive of ``kind``."""
    scaled = points / half
    if kind == BOX:
        axis = np.argmax(np.abs(scaled), axis=1)
        normals = np.zeros_like(points)
        rows = np.arange(len(points))
        normals[rows, axis] = np.sign(scaled[rows, axis])
        return normals
    if kind == CYLINDER:
        radial = np.hypot(scaled[:, 0], scaled[:, 1])
        on_cap = np.abs(scaled[:, 2]) > radial
        normals = np.column_stack([scaled[:, 0], scaled[:, 1], np.zeros(len(points), points.dtype)])
        normals[on_cap] = 0.0
        normals[on_cap, 2] = np.sign(scaled[on_cap, 2])
    else:
        normals = scaled / half
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    return normals / np.maximum(length, 1e-12)
