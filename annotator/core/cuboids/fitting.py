"""Fitting cuboids to points: Euclidean clustering, oriented box fits, and the box-editing helpers.

Pure numpy, for the pre-annotation plugin and the editing tools ("one-click fit" = `grow_cluster` +
`fit_oriented_box`, "fit to points" = `fit_to_points`, "auto-rotate" = `auto_rotate`; ground heights come
from `annotator.core.ground`). Points are (N, >=3) arrays in the world frame (x forward, y left, z up).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.rotation import wrap_angle
from annotator.core.ground import GroundModel, estimate_ground

logger = logging.getLogger(__name__)

#: Smallest box `fit_oriented_box` returns (length, width, height in metres).
MIN_SIZE = (0.2, 0.2, 0.2)

# Half of the 3**d - 1 neighbour offsets (the other half is the same edges reversed).
_HALF_OFFSETS = {
    2: np.array([(1, 0), (-1, 1), (0, 1), (1, 1)]),
    3: np.array([(dx, dy, dz) for dz in (-1, 0, 1) for dy in (-1, 0, 1) for dx in (-1, 0, 1)][14:]),
}


# -- clustering -------------------------------------------------------------------------------------
def _connected_components(n_nodes: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Component labels (the smallest node index in each component) of an undirected graph's edges."""
    parent = np.arange(n_nodes)
    while True:
        ra, rb = parent[a], parent[b]
        differ = ra != rb
        if not differ.any():
            return parent
        lo, hi = np.minimum(ra[differ], rb[differ]), np.maximum(ra[differ], rb[differ])
        parent[hi] = lo  # hook roots onto smaller roots (any of several writes is fine: lo < hi)
        while True:  # pointer jumping until every node points at its root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand


def _index_cells(
    keys: np.ndarray, volume: int
) -> tuple[np.ndarray, np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """Occupied cells (sorted keys), each point's cell index, and a key -> cell index lookup (-1: empty).

    Uses a dense table when the grid is small enough, else sorting and binary search.
    """
    if volume <= 8_000_000:
        table = np.full(volume, -1, dtype=np.int64)
        occupied = np.bincount(keys, minlength=volume) > 0
        cells = np.flatnonzero(occupied)
        table[cells] = np.arange(len(cells))
        return cells, table[keys], table.__getitem__
    cells, inverse = np.unique(keys, return_inverse=True)

    def lookup(query: np.ndarray) -> np.ndarray:
        pos = np.minimum(np.searchsorted(cells, query), len(cells) - 1)
        return np.where(cells[pos] == query, pos, -1)

    return cells, inverse.reshape(-1), lookup


def cluster_points(points: np.ndarray, eps: float = 0.5, min_points: int = 5) -> np.ndarray:
    """Euclidean clusters of (N, 2) or (N, 3) points: labels (N,) 0..K-1 by size, -1 for noise.

    Points are binned into cells of size ``eps``; cells that touch (faces, edges or corners) are connected.
    Points closer than ``eps`` always end in the same cluster, points up to ``2 * sqrt(d) * eps`` apart may.
    Clusters with fewer than ``min_points`` points are noise. About 20 ms for 100k points.
    """
    pts = np.asarray(points, dtype=np.float64)
    if len(pts) == 0:
        return np.zeros(0, dtype=np.int64)
    dim = 3 if pts.shape[1] >= 3 else 2
    grid = np.floor((pts[:, :dim] - pts[:, :dim].min(axis=0)) / eps).astype(np.int64) + 1
    dims = grid.max(axis=0) + 2
    strides = np.cumprod(np.concatenate([[1], dims[:-1]]))
    keys = grid @ strides
    cells, inverse, lookup = _index_cells(keys, int(np.prod(dims)))
    edges_a, edges_b = [], []
    for offset in _HALF_OFFSETS[dim]:
        neighbour = lookup(cells + int(offset @ strides))
        hit = neighbour >= 0
        edges_a.append(np.flatnonzero(hit))
        edges_b.append(neighbour[hit])
    roots = _connected_components(len(cells), np.concatenate(edges_a), np.concatenate(edges_b))
    point_roots = roots[inverse]
    counts = np.bincount(point_roots, minlength=len(cells))
    kept = np.flatnonzero(counts >= min_points)
    kept = kept[np.argsort(-counts[kept], kind="stable")]
    remap = np.full(len(counts), -1)
    remap[kept] = np.arange(len(kept))
    return remap[point_roots]


def grow_cluster(
    points: np.ndarray,
    seed: int | np.ndarray,
    ground_mask: np.ndarray | None = None,
    eps: float = 0.5,
    radius: float | None = 15.0,
) -> np.ndarray:
    """Indices into ``points`` of the cluster holding ``seed`` (a point index, or an xyz near the click).

    Ground points (``ground_mask``) are never part of it; an xyz seed starts from the nearest non-ground
    point. Only points within ``radius`` (m, bird's-eye view) of the seed are searched (None: all).
    """
    pts = np.asarray(points)
    candidates = np.ones(len(pts), dtype=bool) if ground_mask is None else ~np.asarray(ground_mask)
    seed_xyz = pts[int(seed), :3] if np.ndim(seed) == 0 else np.asarray(seed, dtype=np.float64)[:3]
    if radius is not None:
        candidates &= np.hypot(pts[:, 0] - seed_xyz[0], pts[:, 1] - seed_xyz[1]) <= radius
    index = np.flatnonzero(candidates)
    if len(index) == 0:
        return index
    local = pts[index, :3]
    start = int(np.argmin(np.sum((local - seed_xyz) ** 2, axis=1)))
    labels = cluster_points(local, eps, min_points=1)
    return index[labels == labels[start]]


# -- headings and rectangles ------------------------------------------------------------------------
def _turn(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Twice the signed area of triangle abc (positive for a left turn)."""
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def convex_hull_2d(xy: np.ndarray) -> np.ndarray:
    """Convex hull (K, 2) of 2D points, counter-clockwise (monotone chain).

    Large inputs are first reduced to the extreme points along 256 directions, which keeps every hull
    vertex except ones with an exterior angle under 1.4 degrees (a negligible change of the hull).
    """
    pts = np.asarray(xy, dtype=np.float64)[:, :2]
    if len(pts) > 256:
        angles = np.linspace(0.0, 2.0 * np.pi, 256, endpoint=False)
        pts = pts[np.unique(np.argmax(pts @ np.stack([np.cos(angles), np.sin(angles)]), axis=0))]
    pts = np.unique(pts, axis=0)
    if len(pts) < 3:
        return pts

    def chain(sequence: np.ndarray) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        for p in sequence:
            while len(out) >= 2 and _turn(out[-2], out[-1], p) <= 0:
                out.pop()
            out.append(p)
        return out[:-1]

    return np.array(chain(pts) + chain(pts[::-1]))


def _extents(xy: np.ndarray, angles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Projections (N, A) of points onto each angle's axis and the perpendicular axis."""
    c, s = np.cos(angles), np.sin(angles)
    return xy[:, :1] * c + xy[:, 1:2] * s, -xy[:, :1] * s + xy[:, 1:2] * c


def _closeness(xy: np.ndarray, angles: np.ndarray, floor: float = 0.02) -> np.ndarray:
    """L-shape closeness score (A,) per angle: points near two adjacent rectangle edges score high."""
    u, v = _extents(xy, angles)
    du = np.minimum(u.max(axis=0) - u, u - u.min(axis=0))
    dv = np.minimum(v.max(axis=0) - v, v - v.min(axis=0))
    return np.sum(1.0 / np.maximum(np.minimum(du, dv), floor), axis=0)


def _area(xy: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """Area (A,) of the bounding rectangle at each angle."""
    u, v = _extents(xy, angles)
    return np.ptp(u, axis=0) * np.ptp(v, axis=0)


def rectangle_angle(xy: np.ndarray, method: str = "lshape") -> float:
    """Orientation in [0, pi/2) of the rectangle fitting 2D points best.

    ``"area"``: the minimum-area rectangle (rotating calipers: one side lies along a hull edge).
    ``"lshape"``: the angle maximising the closeness of points to two rectangle edges, searched coarse to
    fine; better for partly seen objects, whose points lie on one or two sides.
    """
    pts = np.asarray(xy, dtype=np.float64)[:, :2]
    pts = pts - pts.mean(axis=0)
    if len(pts) < 3:
        return 0.0
    if method == "area":
        hull = convex_hull_2d(pts)
        if len(hull) < 3:
            edge = pts[-1] - pts[0]
            return math.atan2(edge[1], edge[0]) % (math.pi / 2)
        edges = np.roll(hull, -1, axis=0) - hull
        angles = np.arctan2(edges[:, 1], edges[:, 0]) % (np.pi / 2)
        return float(angles[np.argmin(_area(hull, angles))])
    if method != "lshape":
        raise ValueError(f"unknown rectangle method {method!r} (use 'lshape' or 'area')")
    if len(pts) > 300:
        pts = pts[np.linspace(0, len(pts) - 1, 300).astype(np.int64)]
    angles = np.radians(np.arange(0.0, 90.0, 2.0))
    best = float(angles[np.argmax(_closeness(pts, angles))])
    for step in (0.4, 0.1):
        angles = best + np.radians(np.arange(-5, 6) * step)
        best = float(angles[np.argmax(_closeness(pts, angles))])
    return best % (math.pi / 2)


def _pick_direction(yaw: float, heading_hint: float | None) -> float:
    """Of ``yaw`` and ``yaw + pi``: the one nearer ``heading_hint``, else the one pointing along +x."""
    if heading_hint is not None:
        if abs(wrap_angle(yaw - heading_hint)) > math.pi / 2:
            yaw += math.pi
    elif math.cos(yaw) < -1e-9 or (abs(math.cos(yaw)) <= 1e-9 and math.sin(yaw) < 0):
        yaw += math.pi
    return wrap_angle(yaw)


def fit_oriented_box(
    points: np.ndarray,
    ground_z: float | None = None,
    heading_hint: float | None = None,
    method: str = "lshape",
    min_size: tuple[float, float, float] = MIN_SIZE,
) -> Cuboid:
    """An upright cuboid around points (N, >=3): rectangle from `rectangle_angle`, z from ground to top.

    Length runs along the longer side. Of the two opposite headings the one nearer ``heading_hint`` wins,
    else the one with a positive x component. The bottom is ``ground_z`` when given (and below the
    points), else the lowest point. Sizes are at least ``min_size``, grown about the centre.
    """
    pts = np.asarray(points, dtype=np.float64)
    if len(pts) == 0:
        raise ValueError("cannot fit a box to no points")
    theta = rectangle_angle(pts[:, :2], method)
    u, v = _extents(pts[:, :2], np.array([theta]))
    mid_u, mid_v = (u.max() + u.min()) / 2.0, (v.max() + v.min()) / 2.0
    size_u, size_v = float(np.ptp(u)), float(np.ptp(v))
    c, s = math.cos(theta), math.sin(theta)
    centre_xy = (c * mid_u - s * mid_v, s * mid_u + c * mid_v)
    if size_u >= size_v:
        yaw, length, width = theta, size_u, size_v
    else:
        yaw, length, width = theta + math.pi / 2.0, size_v, size_u
    top = float(pts[:, 2].max())
    bottom = float(pts[:, 2].min()) if ground_z is None else min(float(ground_z), float(pts[:, 2].min()))
    size = (max(length, min_size[0]), max(width, min_size[1]), max(top - bottom, min_size[2]))
    centre = (centre_xy[0], centre_xy[1], (top + bottom) / 2.0)
    return Cuboid(centre, size, _pick_direction(yaw, heading_hint))


# -- editing helpers --------------------------------------------------------------------------------
def _ground_model(ground: GroundModel | float | None, cuboid: Cuboid, points: np.ndarray) -> GroundModel:
    """A ground model for an edit: the given one, a flat one at a given height, or one estimated nearby."""
    if isinstance(ground, GroundModel):
        return ground
    if ground is not None:
        return GroundModel.flat(float(ground))
    nearby = cuboid.replace(size=(cuboid.size[0] + 4.0, cuboid.size[1] + 4.0, cuboid.size[2] + 4.0))
    around = points[nearby.points_inside(points)]
    if len(around) < 10:
        return GroundModel.flat(cuboid.z_range()[0])
    return estimate_ground(around, cell=1.0, window=5.0)


def _object_points(
    cuboid: Cuboid, points: np.ndarray, ground: GroundModel, margin: float, tolerance: float
) -> np.ndarray:
    """The points inside the cuboid (grown by ``margin``) that are not ground."""
    inside = points[cuboid.points_inside(points, margin)]
    return inside[~ground.is_ground(inside, tolerance)]


def fit_to_points(
    cuboid: Cuboid,
    points: np.ndarray,
    ground: GroundModel | float | None = None,
    ground_tolerance: float = 0.15,
) -> Cuboid:
    """The cuboid shrunk to the non-ground points inside it, keeping its rotation.

    Ground points never count; for an upright box the bottom comes down to the ground under the new
    centre (never below the old bottom). ``ground``: a model, a height, or None to estimate it from the
    points around the box. Returns the cuboid unchanged when no object point is inside.
    """
    pts = np.asarray(points)[:, :3]
    model = _ground_model(ground, cuboid, pts)
    inside = _object_points(cuboid, pts, model, 0.0, ground_tolerance)
    if len(inside) == 0:
        return cuboid
    local = cuboid.world_to_box(inside).astype(np.float64)
    lo, hi = local.min(axis=0), local.max(axis=0)
    half = np.asarray(cuboid.size) / 2.0
    if cuboid.is_7dof:
        centre_xy = cuboid.box_to_world(np.array([[(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, 0.0]]))[0]
        ground_local = float(model.height_at(centre_xy[:2])) - cuboid.center[2]
        lo[2] = min(lo[2], max(ground_local, -half[2]))
    lo, hi = np.maximum(lo, -half), np.minimum(hi, half)
    centre = cuboid.box_to_world(((lo + hi) / 2.0)[None])[0]
    return cuboid.replace(center=tuple(centre), size=tuple(hi - lo))


def auto_rotate(
    cuboid: Cuboid,
    points: np.ndarray,
    ground: GroundModel | float | None = None,
    margin: float = 0.3,
    ground_tolerance: float = 0.15,
    method: str = "lshape",
) -> Cuboid:
    """The cuboid turned about its centre to the heading that fits the non-ground points inside it best.

    Points inside the box grown by ``margin`` decide. When they are clearly elongated (sides differ by
    more than 30 %) the box's longer side follows their longer side; otherwise the rectangle's axis nearest
    the current yaw wins. Of two opposite headings the one nearer the current yaw wins. Size and centre
    are kept.
    """
    pts = np.asarray(points)[:, :3]
    model = _ground_model(ground, cuboid, pts)
    inside = _object_points(cuboid, pts, model, margin, ground_tolerance)
    if len(inside) < 3:
        return cuboid
    fitted = fit_oriented_box(inside, method=method, min_size=(0.0, 0.0, 0.0))
    if fitted.size[0] > 1.3 * fitted.size[1]:
        yaw = fitted.yaw if cuboid.size[0] >= cuboid.size[1] else fitted.yaw + math.pi / 2.0
    else:
        quarter = math.pi / 2.0
        yaw = fitted.yaw + quarter * round(wrap_angle(cuboid.yaw - fitted.yaw) / quarter)
    return cuboid.replace(yaw=_pick_direction(yaw, cuboid.yaw))


def shrink_face(
    cuboid: Cuboid,
    points: np.ndarray,
    axis: int,
    sign: int,
    ground: GroundModel | float | None = None,
    ground_tolerance: float = 0.15,
) -> Cuboid:
    """The cuboid with one face (box ``axis`` 0 length / 1 width / 2 height, ``sign`` +1 or -1) moved in
    to the outermost object point inside the box on that side; the opposite face stays. Ground points
    never count. Unchanged when no object point is inside."""
    pts = np.asarray(points)[:, :3]
    model = _ground_model(ground, cuboid, pts)
    inside = _object_points(cuboid, pts, model, 0.0, ground_tolerance)
    if len(inside) == 0:
        return cuboid
    local = cuboid.world_to_box(inside).astype(np.float64)[:, axis]
    half = cuboid.size[axis] / 2.0
    face = float(local.max()) if sign > 0 else float(local.min())
    kept = -half if sign > 0 else half  # the opposite face
    size = list(cuboid.size)
    size[axis] = max(abs(face - kept), MIN_SIZE[axis])
    shift = np.zeros(3)
    shift[axis] = (
        (face + kept) / 2.0 if abs(face - kept) >= MIN_SIZE[axis] else kept + sign * size[axis] / 2.0
    )
    centre = cuboid.box_to_world(shift[None])[0]
    return cuboid.replace(center=tuple(centre), size=tuple(size))
