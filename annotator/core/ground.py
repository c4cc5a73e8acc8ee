"""Local ground height of a LiDAR cloud: a coarse grid of heights robust to slopes, bumps and objects.

`estimate_ground` works in three steps on a grid of ``cell``-metre cells in the x/y plane:

1. seeds: a low quantile of the point heights in each cell;
2. object rejection: a morphological opening of the seed surface (erosion then dilation with a square
   window) keeps planes and gentle slopes unchanged but removes anything narrower than the window (cars,
   people, poles); seeds standing out of the opened surface are dropped, as in SMRF;
3. refinement: the points near the surface are fitted with a least-squares plane per cell, whose value at
   the cell centre becomes the cell's height; cells without ground are filled from their neighbours.

Heights between cell centres are interpolated bilinearly, so a plane is reproduced exactly.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GroundModel:
    """Ground heights at the centres of a regular grid; ``heights[iy, ix]`` is at ``origin + (ix, iy) * cell``.

    Outside the grid the border heights are extended.
    """

    origin: tuple[float, float]
    cell: float
    heights: np.ndarray

    @classmethod
    def flat(cls, z: float = 0.0) -> GroundModel:
        """A horizontal ground at height ``z`` everywhere."""
        return cls((0.0, 0.0), 1.0, np.full((1, 1), float(z)))

    def height_at(self, xy: np.ndarray) -> np.ndarray:
        """Ground height (N,) under the points ``xy`` (N, >=2); a single (2,) point gives a 0-d array."""
        pts = np.asarray(xy, dtype=np.float64)
        single = pts.ndim == 1
        pts = pts.reshape(-1, pts.shape[-1])
        ny, nx = self.heights.shape
        fx = np.clip((pts[:, 0] - self.origin[0]) / self.cell, 0.0, nx - 1)
        fy = np.clip((pts[:, 1] - self.origin[1]) / self.cell, 0.0, ny - 1)
        ix = np.minimum(fx.astype(np.int64), max(nx - 2, 0))
        iy = np.minimum(fy.astype(np.int64), max(ny - 2, 0))
        tx, ty = fx - ix, fy - iy
        ix1, iy1 = np.minimum(ix + 1, nx - 1), np.minimum(iy + 1, ny - 1)
        h = self.heights
        bottom = h[iy, ix] * (1.0 - tx) + h[iy, ix1] * tx
        top = h[iy1, ix] * (1.0 - tx) + h[iy1, ix1] * tx
        z = bottom * (1.0 - ty) + top * ty
        return z[0] if single else z

    def height_above(self, points: np.ndarray) -> np.ndarray:
        """Height (N,) of each point (N, >=3) above the ground under it (negative below)."""
        pts = np.asarray(points)
        return pts[:, 2] - self.height_at(pts[:, :2])

    def is_ground(self, points: np.ndarray, tolerance: float = 0.2) -> np.ndarray:
        """Mask (N,) of the points no higher than ``tolerance`` above the ground (points below count too)."""
        return self.height_above(points) <= tolerance


# -- grid helpers ----------------------------------------------------------------------------------
def _window_filter(grid: np.ndarray, radius: int, reduce: Callable[..., np.ndarray]) -> np.ndarray:
    """Separable min or max filter (``reduce`` = np.minimum / np.maximum) over a square window."""
    out = grid
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (radius, radius)
        fill = np.inf if reduce is np.minimum else -np.inf
        padded = np.pad(out, pad, constant_values=fill)
        size = out.shape[axis]
        acc = np.take(padded, np.arange(size), axis=axis)
        for shift in range(1, 2 * radius + 1):
            acc = reduce(acc, np.take(padded, np.arange(shift, shift + size), axis=axis))
        out = acc
    return out


def _opening(heights: np.ndarray, valid: np.ndarray, radius: int) -> np.ndarray:
    """Morphological opening of a height grid with holes (holes never win a min or a max)."""
    eroded = _window_filter(np.where(valid, heights, np.inf), radius, np.minimum)
    return _window_filter(np.where(np.isfinite(eroded), eroded, -np.inf), radius, np.maximum)


def _reject_raised(heights: np.ndarray, valid: np.ndarray, radius: int, tolerance: float) -> np.ndarray:
    """``valid`` without the cells standing more than ``tolerance`` above the opened surface."""
    opened = _opening(heights, valid, radius)
    return valid & ~(heights > opened + tolerance)


def _grow(values: np.ndarray, known: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Unknown cells next to known ones take the mean of their known neighbours, ``steps`` times."""
    values, known = values.copy(), known.copy()
    rows, cols = values.shape
    for _ in range(steps):
        if known.all():
            break
        padded_v = np.pad(np.where(known, values, 0.0), 1)
        padded_k = np.pad(known.astype(np.float64), 1)
        total = sum(padded_v[dy : dy + rows, dx : dx + cols] for dy in range(3) for dx in range(3))
        count = sum(padded_k[dy : dy + rows, dx : dx + cols] for dy in range(3) for dx in range(3))
        grow = ~known & (count > 0)
        values[grow] = total[grow] / count[grow]
        known = known | grow
    return values, known


def _fill_pyramid(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Unknown cells filled from a coarser grid of block means (recursively), after a few growth steps;
    linear in the number of cells however large the holes."""
    values, known = _grow(values, known, 3)
    if known.all() or not known.any():
        return np.where(known, values, 0.0)
    rows, cols = values.shape
    padded_v = np.pad(np.where(known, values, 0.0), ((0, rows % 2), (0, cols % 2)))
    padded_k = np.pad(known.astype(np.float64), ((0, rows % 2), (0, cols % 2)))
    block_v = padded_v.reshape(padded_v.shape[0] // 2, 2, -1, 2).sum(axis=(1, 3))
    block_k = padded_k.reshape(padded_k.shape[0] // 2, 2, -1, 2).sum(axis=(1, 3))
    coarse = _fill_pyramid(block_v / np.maximum(block_k, 1.0), block_k > 0)
    upsampled = np.repeat(np.repeat(coarse, 2, axis=0), 2, axis=1)[:rows, :cols]
    return np.where(known, values, upsampled)


def _fill_holes(heights: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Heights with invalid cells filled: a plane through the valid cells plus their residuals spread out.

    The plane carries slopes into the holes (around the sensor, under large objects); the residuals, grown
    from valid neighbours (and from coarser block means for large holes), carry the local bumps.
    """
    if not valid.any():
        return np.zeros_like(heights)
    rows, cols = np.indices(heights.shape)
    design = np.column_stack([np.ones(valid.sum()), cols[valid], rows[valid]])
    coef = np.linalg.lstsq(design, heights[valid], rcond=None)[0]
    plane = coef[0] + coef[1] * cols + coef[2] * rows
    return plane + _fill_pyramid(np.where(valid, heights - plane, 0.0), valid)


def _cell_quantile(cell_ids: np.ndarray, z: np.ndarray, n_cells: int, quantile: float) -> np.ndarray:
    """Per-cell ``quantile`` of z (NaN for empty cells), using one sort of a combined key."""
    span = float(z.max() - z.min()) or 1.0
    key = cell_ids + (z - z.min()) / (span * 1.001)
    order = np.argsort(key)
    counts = np.bincount(cell_ids, minlength=n_cells)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pick = starts + np.floor(quantile * np.maximum(counts - 1, 0)).astype(np.int64)
    out = np.full(n_cells, np.nan)
    has = counts > 0
    out[has] = z[order[pick[has]]]
    return out


def _plane_heights(
    offsets: np.ndarray,
    z: np.ndarray,
    weights: np.ndarray,
    cell_ids: np.ndarray,
    n_cells: int,
    min_points: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least-squares plane per cell through points at ``offsets`` (N, 2) from the cell centre.

    Returns each cell's plane height at its centre (the weighted mean where the plane is degenerate) and a
    mask of the cells with at least ``min_points`` points of positive weight.
    """
    dx, dy = offsets[:, 0], offsets[:, 1]
    terms = (weights, dx, dy, dx * dx, dx * dy, dy * dy, z, dx * z, dy * z)
    n, sx, sy, sxx, sxy, syy, sz, sxz, syz = (
        np.bincount(cell_ids, weights=t if t is weights else t * weights, minlength=n_cells) for t in terms
    )
    count = np.bincount(cell_ids[weights > 0], minlength=n_cells)
    normal = np.stack(
        [np.stack([n, sx, sy], -1), np.stack([sx, sxx, sxy], -1), np.stack([sy, sxy, syy], -1)], -2
    )
    rhs = np.stack([sz, sxz, syz], -1)
    enough = count >= min_points
    plane_ok = enough & (np.abs(np.linalg.det(normal)) > 1e-6 * np.maximum(n, 1e-9) ** 3)
    height = np.where(n > 0, sz / np.where(n > 0, n, 1.0), np.nan)
    if plane_ok.any():
        solution = np.linalg.solve(normal[plane_ok], rhs[plane_ok][..., None])[..., 0]
        height[plane_ok] = solution[:, 0]
    return height, enough


def estimate_ground(
    points: np.ndarray,
    cell: float = 2.0,
    window: float = 6.0,
    seed_quantile: float = 0.05,
    tolerance: float = 0.25,
    band: float = 0.3,
    min_points: int = 3,
    max_cells: int = 250_000,
) -> GroundModel:
    """A `GroundModel` of a cloud (N, >=3), robust to slopes, bumps, kerbs and objects on the ground.

    ``cell``: grid spacing (m); ``window``: width (m) of the opening that removes objects (wider than a
    truck, narrower than the terrain's bends); ``seed_quantile``: which low point of a cell seeds it;
    ``tolerance``: how far (m) a seed may stand above the opened surface; ``band``: half-width (m) of the
    slab around the seed surface whose points are fitted with a plane per cell. Clouds spanning more
    than ``max_cells`` cells get coarser cells.
    """
    pts = np.asarray(points)
    if len(pts) == 0:
        return GroundModel.flat(0.0)
    xy = pts[:, :2].astype(np.float64)
    z = pts[:, 2].astype(np.float64)
    lo = xy.min(axis=0)
    cell = max(cell, math.sqrt(float(np.prod(xy.max(axis=0) - lo)) / max_cells))
    shape_xy = np.floor((xy.max(axis=0) - lo) / cell).astype(np.int64) + 1
    nx, ny = int(shape_xy[0]), int(shape_xy[1])
    ixy = np.floor((xy - lo) / cell).astype(np.int64)
    cell_ids = ixy[:, 1] * nx + ixy[:, 0]
    n_cells = nx * ny
    origin = (float(lo[0] + cell / 2.0), float(lo[1] + cell / 2.0))
    radius = max(1, round((window / cell - 1.0) / 2.0))

    seeds = _cell_quantile(cell_ids, z, n_cells, seed_quantile).reshape(ny, nx)
    valid = _reject_raised(seeds, np.isfinite(seeds), radius, tolerance)
    surface = GroundModel(origin, cell, _fill_holes(seeds, valid))
    # Robust plane per cell: points inside the band, weighted down (Cauchy) by their distance from the
    # current surface, so object bottoms and kerb tops next to the ground barely pull it.
    offsets = xy - (np.asarray(origin) + ixy * cell)
    for scale in (band / 6.0, band / 10.0):
        residual = z - surface.height_at(xy)
        # Objects only add points above the ground: trust points below it twice as far.
        spread = np.where(residual > 0.0, scale, 2.0 * scale)
        weights = np.where(np.abs(residual) <= band, 1.0 / (1.0 + (residual / spread) ** 2), 0.0)
        heights, valid = _plane_heights(offsets, z, weights, cell_ids, n_cells, min_points)
        heights, valid = heights.reshape(ny, nx), valid.reshape(ny, nx)
        valid = _reject_raised(heights, valid, radius, tolerance)
        surface = GroundModel(origin, cell, _fill_holes(heights, valid))
    logger.debug("ground: %dx%d cells of %.1f m, %.0f%% with ground", nx, ny, cell, 100.0 * valid.mean())
    return surface


def ground_slope(model: GroundModel, xy: np.ndarray, step: float | None = None) -> tuple[float, float]:
    """Gradient (dz/dx, dz/dy) of the ground at one point ``xy`` (2,), by central differences."""
    h = step or model.cell
    x, y = float(xy[0]), float(xy[1])
    probes = np.array([[x + h, y], [x - h, y], [x, y + h], [x, y - h]])
    zs = model.height_at(probes)
    return float((zs[0] - zs[1]) / (2 * h)), float((zs[2] - zs[3]) / (2 * h))
