"""Carrying a box to the next frame without a velocity: search the next frame's points for the object.

With a single keyframe a track has no velocity, so a copied box stays where the object was. Here the box,
its size and heading kept, slides over the next frame's object points near it (non-ground, not inside the
frame's other boxes, clusters the size of an object: no walls or hedges) to where it holds the most of
them, preferring short moves; then `annotator.core.cuboids.box_fit.refit_keep_size` puts it against the side of
those points the sensor sees. Pure numpy, ~10-30 ms per box.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from annotator.core.cuboids.box_fit import points_outside, refit_keep_size
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.ground import GroundModel

logger = logging.getLogger(__name__)

#: How far an object may have moved between two frames at least (m); longer boxes may move further.
MIN_REACH = 3.0
#: Bird's-eye cell of the shape matching (m).
COARSE_STEP = 0.25
#: A shift loses this share of the best count per metre moved (prefers the nearest of equal places).
MOVE_PENALTY = 0.03
#: Fewer object points than this near the box: the box stays where it is.
MIN_POINTS = 10


def reach(cuboid: Cuboid) -> float:
    """How far (m, bird's-eye) the search looks around a box."""
    return max(MIN_REACH, 0.75 * float(cuboid.size[0]))


def object_points(
    cuboid: Cuboid,
    points: np.ndarray,
    others: Sequence[Cuboid] = (),
    ground: GroundModel | None = None,
) -> np.ndarray:
    """The next frame's points (M, 3) an object carried in ``cuboid`` may now be made of: within `reach`,
    above the ground, at the box's heights, outside ``others``."""
    pts = np.asarray(points, dtype=np.float64)[:, :3]
    radius = reach(cuboid) + 0.5 * float(np.hypot(cuboid.size[0], cuboid.size[1]))
    near = pts[np.hypot(pts[:, 0] - cuboid.center[0], pts[:, 1] - cuboid.center[1]) <= radius]
    bottom = cuboid.z_range()[0]
    model = ground if ground is not None else GroundModel.flat(bottom)
    near = near[~model.is_ground(near, 0.15)]
    near = near[(near[:, 2] <= cuboid.z_range()[1] + 0.5) & (near[:, 2] >= bottom - 0.5)]
    return points_outside(near, others)


def _cells(local: np.ndarray, cell: float) -> np.ndarray:
    """Integer bird's-eye cells (N, 2) of box-local points."""
    return np.floor(local[:, :2] / cell).astype(np.int64)


def _match_counts(template: np.ndarray, occupied: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """For each cell offset (S, 2): how many template cells (T, 2) land on occupied cells (M, 2)."""
    low = np.minimum(template.min(axis=0) + offsets.min(axis=0), occupied.min(axis=0)) - 1
    high = np.maximum(template.max(axis=0) + offsets.max(axis=0), occupied.max(axis=0)) + 2
    grid = np.zeros(tuple(high - low), dtype=bool)
    grid[occupied[:, 0] - low[0], occupied[:, 1] - low[1]] = True
    moved = template[None, :, :] + offsets[:, None, :] - low
    return grid[moved[..., 0], moved[..., 1]].sum(axis=1)


def _best_offset(template: np.ndarray, occupied: np.ndarray, reach_cells: int) -> tuple[np.ndarray, int]:
    """The cell offset within ``reach_cells`` that lays most template cells on occupied cells (short
    offsets preferred), with the number matched there."""
    steps = np.arange(-reach_cells, reach_cells + 1)
    offsets = np.stack(np.meshgrid(steps, steps, indexing="ij"), axis=-1).reshape(-1, 2)
    counts = _match_counts(template, occupied, offsets)
    score = counts - MOVE_PENALTY * len(template) * COARSE_STEP * np.hypot(offsets[:, 0], offsets[:, 1])
    best = int(np.argmax(score))
    return offsets[best], int(counts[best])


def search_box(
    cuboid: Cuboid,
    points: np.ndarray,
    others: Sequence[Cuboid] = (),
    ground: GroundModel | None = None,
    sensor: tuple[float, float, float] = (0.0, 0.0, 0.0),
    source_points: np.ndarray | None = None,
) -> Cuboid:
    """``cuboid`` (size and heading kept) moved onto its object in the next frame's ``points``.

    The object's shape in its own frame (``source_points``: the points inside ``cuboid`` there, ground
    left out) is laid over the next frame's object points within `reach` where it matches them best
    (bird's-eye cells of `COARSE_STEP`, short moves preferred); then the box goes against the side of
    the matched points the sensor sees. Unchanged when either frame has too few object points."""
    candidates = object_points(cuboid, points, others, ground)
    if len(candidates) < MIN_POINTS or source_points is None:
        return cuboid
    source = np.asarray(source_points, dtype=np.float64)[:, :3]
    source = source[cuboid.points_inside(source)]
    model = ground if ground is not None else GroundModel.flat(cuboid.z_range()[0])
    source = source[~model.is_ground(source, 0.15)]
    if len(source) < MIN_POINTS:
        return cuboid
    template = np.unique(_cells(cuboid.world_to_box(source), COARSE_STEP), axis=0)
    occupied = np.unique(_cells(cuboid.world_to_box(candidates), COARSE_STEP), axis=0)
    (dx, dy), matched = _best_offset(template, occupied, round(reach(cuboid) / COARSE_STEP))
    if matched < max(3, 0.2 * len(template)) or (dx, dy) == (0, 0):
        return cuboid  # nothing like the object around, or it is still where it was
    offset = np.array([[dx * COARSE_STEP, dy * COARSE_STEP, 0.0]])
    moved = cuboid.replace(center=tuple(cuboid.box_to_world(offset)[0]))
    near = candidates[moved.grown(0.5).points_inside(candidates)]
    return refit_keep_size(moved, near, model, sensor=sensor)
