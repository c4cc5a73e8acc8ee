"""Nearest-hit ray casting against a set of primitives and the ground, and the surfaces that were hit.

The caller (a sensor) says which rays may hit which primitive (``candidates``, from culling in its own ray
grid), so each primitive is only tested against the few rays that point at it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from annotator.synth.ground import Ground, hash_noise
from annotator.synth.intersect import intersect, local_normals, to_local
from annotator.synth.primitives import FACADE, FOLIAGE, PrimitiveSet

logger = logging.getLogger(__name__)

NO_HIT = -1
GROUND = -2

WINDOW_COLOR = np.array([58.0, 68.0, 84.0], dtype=np.float32)
WINDOW_REFLECTIVITY = 0.03


@dataclass
class RayHits:
    """Nearest hit per ray: distance ``t`` (``inf`` for none) and ``target`` (primitive index, GROUND, NO_HIT).

    ``touched[p]`` (when recorded) lists the rays that intersect primitive ``p`` at any depth.
    """

    t: np.ndarray
    target: np.ndarray
    touched: list[np.ndarray] | None = None


@dataclass
class Surfaces:
    """What the hit rays (``rays``, indices) see: world points, unit normals, colour and reflectivity."""

    rays: np.ndarray
    points: np.ndarray
    normals: np.ndarray
    color: np.ndarray
    reflectivity: np.ndarray


def cast_rays(
    origin: np.ndarray,
    directions: np.ndarray,
    primitives: PrimitiveSet,
    candidates: Sequence[np.ndarray | None],
    ground: Ground | None,
    max_t: float,
    rng: np.random.Generator | None = None,
    record_touched: bool = False,
) -> RayHits:
    """Cast rays from ``origin`` (3,), or one origin per ray (M, 3), along unit ``directions`` (M, 3) and
    keep the nearest hit.

    With ``rng``, porous primitives (foliage) let a share of rays through and scatter the depth of the rest.
    """
    count = len(directions)
    best = np.full(count, max_t, dtype=directions.dtype)
    target = np.full(count, NO_HIT, dtype=np.int32)
    touched: list[np.ndarray] | None = [] if record_touched else None
    for index, rays in enumerate(candidates):
        if rays is None or len(rays) == 0:
            if touched is not None:
                touched.append(np.zeros(0, dtype=np.int64))
            continue
        t = intersect(primitives, index, _of_rays(origin, rays), directions[rays])
        if touched is not None:
            touched.append(rays[t < max_t])
        porosity = primitives.porosity[index]
        if rng is not None and porosity > 0:
            hit = np.flatnonzero(t < max_t)
            passed = rng.random(len(hit)) < porosity
            t[hit[passed]] = np.inf
            t[hit[~passed]] += rng.exponential(0.25, int((~passed).sum())).astype(t.dtype)
        closer = t < best[rays]
        best[rays[closer]] = t[closer]
        target[rays[closer]] = index
    if ground is not None:
        t = ground.intersect(origin, directions, best)
        closer = t < best
        best[closer] = t[closer]
        target[closer] = GROUND
    best[target == NO_HIT] = np.inf
    return RayHits(best, target, touched)


def _of_rays(origin: np.ndarray, rays: np.ndarray) -> np.ndarray:
    """The origin of the given rays: the shared (3,) origin, or their rows of per-ray origins (M, 3)."""
    return origin if np.ndim(origin) == 1 else origin[rays]


def surfaces(
    origin: np.ndarray, directions: np.ndarray, hits: RayHits, primitives: PrimitiveSet, ground: Ground | None
) -> Surfaces:
    """Points, normals, colours and reflectivities at every hit of ``hits``."""
    rays = np.flatnonzero(hits.target != NO_HIT)
    targets = hits.target[rays]
    points = _of_rays(origin, rays) + hits.t[rays, None].astype(np.float64) * directions[rays]
    normals = np.zeros_like(points)
    color = np.zeros((len(rays), 3), dtype=np.float32)
    reflectivity = np.zeros(len(rays), dtype=np.float32)
    on_ground = targets == GROUND
    if ground is not None and np.any(on_ground):
        x, y = points[on_ground, 0], points[on_ground, 1]
        normals[on_ground] = ground.normal(x, y)
        color[on_ground], reflectivity[on_ground] = ground.material(x, y)
    order = np.argsort(targets, kind="stable")
    sorted_targets = targets[order]
    starts = np.searchsorted(sorted_targets, np.arange(len(primitives)), side="left")
    stops = np.searchsorted(sorted_targets, np.arange(len(primitives)), side="right")
    for index in np.flatnonzero(stops > starts):
        rows = order[starts[index] : stops[index]]
        local_o, local_d = to_local(
            primitives, index, _of_rays(origin, rays[rows]), directions[rays[rows]].astype(np.float64)
        )
        local_points = local_o + hits.t[rays[rows], None] * local_d
        local_n = local_normals(int(primitives.kind[index]), local_points, primitives.half[index])
        normals[rows] = local_n @ primitives.rotation[index].T
        color[rows] = primitives.color[index]
        reflectivity[rows] = primitives.reflectivity[index]
        texture = primitives.texture[index]
        if texture == FACADE:
            _facade(local_points, local_n, primitives.half[index], color, reflectivity, rows)
        elif texture == FOLIAGE:
            shade = 0.75 + 0.5 * hash_noise(points[rows, 0] + points[rows, 2], points[rows, 1], 0.15)
            color[rows] *= shade[:, None].astype(np.float32)
    return Surfaces(rays, points, normals, color, reflectivity)


def _facade(
    local_points: np.ndarray,
    local_normals_: np.ndarray,
    half: np.ndarray,
    color: np.ndarray,
    reflectivity: np.ndarray,
    rows: np.ndarray,
) -> None:
    """Paint a grid of windows (dark, barely reflective glass) on the walls of a building box."""
    along = np.where(
        np.abs(local_normals_[:, 0]) > 0.5, local_points[:, 1] + half[1], local_points[:, 0] + half[0]
    )
    height = local_points[:, 2] + half[2]
    column = np.mod(along, 3.2) / 3.2
    floor = np.mod(height - 0.4, 3.1) / 3.1
    window = (column > 0.22) & (column < 0.78) & (floor > 0.32) & (floor < 0.84) & (height > 0.8)
    window &= np.abs(local_normals_[:, 2]) < 0.5
    color[rows[window]] = WINDOW_COLOR
    reflectivity[rows[window]] = WINDOW_REFLECTIVITY
