"""Geometry of cuboids and 2D boxes in the world (LiDAR) frame: x forward, y left, z up, metres.

A `Cuboid` is 9-DoF: centre, size (length along its local x, width along local y, height along local
z) and rotation as intrinsic Z-Y-X Euler angles (yaw about z, then pitch about the new y, then roll
about the newest x), radians, each wrapped to (-pi, pi]. With pitch = roll = 0 it is the common 7-DoF box.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

logger = logging.getLogger(__name__)

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


def wrap_angle(angle: float) -> float:
    """Wrap an angle in radians to (-pi, pi]."""
    wrapped = math.remainder(angle, 2.0 * math.pi)
    if wrapped <= -math.pi:
        wrapped += 2.0 * math.pi
    return wrapped


def wrap_angles(angles: np.ndarray) -> np.ndarray:
    """Vectorised `wrap_angle`."""
    wrapped = np.remainder(np.asarray(angles, dtype=np.float64) + np.pi, 2.0 * np.pi) - np.pi
    wrapped[wrapped <= -np.pi] += 2.0 * np.pi
    return wrapped


def rotation_matrix(yaw: float, pitch: float = 0.0, roll: float = 0.0) -> np.ndarray:
    """Rotation from box to world axes for intrinsic Z-Y-X angles: ``Rz(yaw) @ Ry(pitch) @ Rx(roll)``."""
    cy, sy = math.cos(yaw), math.sin(yaw)
    cp, sp = math.cos(pitch), math.sin(pitch)
    cr, sr = math.cos(roll), math.sin(roll)
    return np.array(
        [
            [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
            [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
            [-sp, cp * sr, cp * cr],
        ]
    )


def rotation_matrices(yaw: np.ndarray, pitch: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """`rotation_matrix` for K boxes at once: (K,) angles to (K, 3, 3) rotations."""
    cy, sy = np.cos(yaw), np.sin(yaw)
    cp, sp = np.cos(pitch), np.sin(pitch)
    cr, sr = np.cos(roll), np.sin(roll)
    rows = [
        [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
        [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
        [-sp, cp * sr, cp * cr],
    ]
    return np.stack([np.stack(row, axis=-1) for row in rows], axis=-2)


def euler_from_matrix(matrix: np.ndarray) -> tuple[float, float, float]:
    """Inverse of `rotation_matrix`: (yaw, pitch, roll) of a rotation matrix (pitch in [-pi/2, pi/2])."""
    m = np.asarray(matrix, dtype=np.float64)
    pitch = math.asin(max(-1.0, min(1.0, -m[2, 0])))
    if abs(m[2, 0]) < 1.0 - 1e-9:
        yaw = math.atan2(m[1, 0], m[0, 0])
        roll = math.atan2(m[2, 1], m[2, 2])
    else:  # gimbal lock: fold roll into yaw
        yaw = math.atan2(-m[0, 1], m[1, 1])
        roll = 0.0
    return wrap_angle(yaw), wrap_angle(pitch), wrap_angle(roll)


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
        # Cheap axis-aligned prefilter on the world bounding box, then the exact test on candidates.
        corners = self.corners()
        lo = corners.min(axis=0) - margin
        hi = corners.max(axis=0) + margin
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


# -- polygon helpers -------------------------------------------------------------------------------
def polygon_area(polygon: np.ndarray) -> float:
    """Signed area of a simple polygon (K, 2); positive when counter-clockwise."""
    if len(polygon) < 3:
        return 0.0
    x, y = polygon[:, 0], polygon[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def clip_convex_polygon(subject: np.ndarray, clip: np.ndarray) -> np.ndarray:
    """Intersection of two convex counter-clockwise polygons (Sutherland-Hodgman)."""
    output = [tuple(p) for p in subject]
    n = len(clip)
    for i in range(n):
        if not output:
            break
        ax, ay = clip[i]
        bx, by = clip[(i + 1) % n]
        ex, ey = bx - ax, by - ay
        inputs, output = output, []

        def side(p: tuple[float, float], ax=ax, ay=ay, ex=ex, ey=ey) -> float:
            return ex * (p[1] - ay) - ey * (p[0] - ax)

        prev = inputs[-1]
        prev_side = side(prev)
        for cur in inputs:
            cur_side = side(cur)
            if cur_side >= 0:
                if prev_side < 0:
                    t = prev_side / (prev_side - cur_side)
                    output.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
                output.append(cur)
            elif prev_side >= 0:
                t = prev_side / (prev_side - cur_side)
                output.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
            prev, prev_side = cur, cur_side
    return np.array(output, dtype=np.float64).reshape(-1, 2)


def bev_intersection_area(a: Cuboid, b: Cuboid) -> float:
    """Area of the overlap of two cuboids' bird's-eye-view footprints."""
    return max(0.0, polygon_area(clip_convex_polygon(a.bev_polygon(), b.bev_polygon())))


def bev_iou(a: Cuboid, b: Cuboid) -> float:
    """Rotated intersection-over-union of two cuboids in bird's-eye view."""
    # Quick reject with circumscribed circles.
    ra = math.hypot(a.size[0], a.size[1]) / 2.0
    rb = math.hypot(b.size[0], b.size[1]) / 2.0
    if math.hypot(a.center[0] - b.center[0], a.center[1] - b.center[1]) > ra + rb:
        return 0.0
    area_a = a.size[0] * a.size[1]
    area_b = b.size[0] * b.size[1]
    # a footprint without area clips nothing away (its edges have no inside), so the overlap is bounded
    # by the smaller footprint rather than trusted
    inter = min(bev_intersection_area(*sorted((a, b), key=_canonical_key)), area_a, area_b)
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0


def _convex_polyhedron_volume(faces: list[np.ndarray]) -> float:
    """Volume of a closed convex polyhedron given as a list of planar polygon faces (any winding)."""
    points = np.concatenate([f for f in faces if len(f)])
    inner = points.mean(axis=0)
    volume = 0.0
    for face in faces:
        if len(face) < 3:
            continue
        apex = face[0]
        for i in range(1, len(face) - 1):
            volume += abs(np.dot(face[i] - apex, np.cross(face[i + 1] - apex, inner - apex))) / 6.0
    return volume


#: Relative distance below which a vertex lies in a clipping plane (see `_clip_polyhedron`).
ON_PLANE = 1e-6


def _clip_polyhedron(faces: list[np.ndarray], normal: np.ndarray, offset: float) -> list[np.ndarray]:
    """Keep the part of a convex polyhedron where ``normal . p <= offset``; the cut is closed by a cap."""
    kept: list[np.ndarray] = []
    cut_points: list[np.ndarray] = []
    scale = max(1.0, abs(offset), max(float(np.abs(f).max()) for f in faces))
    for face in faces:
        dist = face @ normal - offset
        # vertices within a micrometre-scale band count as on the plane: a face tilted by ~1e-7 rad
        # against the cut would otherwise be split into slivers whose cap is ill-conditioned
        dist[np.abs(dist) < ON_PLANE * scale] = 0.0
        if not np.any(dist):  # the face lies in the cutting plane: the cap replaces it
            cut_points.extend(face)
            continue
        out: list[np.ndarray] = []
        n = len(face)
        for i in range(n):
            cur, nxt = face[i], face[(i + 1) % n]
            dc, dn = dist[i], dist[(i + 1) % n]
            if dc <= 0:
                out.append(cur)
            if (dc < 0 < dn) or (dn < 0 < dc):
                point = cur + (nxt - cur) * (dc / (dc - dn))
                out.append(point)
                cut_points.append(point)
            elif dc == 0:
                cut_points.append(cur)
        if len(out) >= 3:
            kept.append(np.array(out))
    if len(cut_points) >= 3:
        cap = np.unique(np.round(np.array(cut_points), 12), axis=0)
        if len(cap) >= 3:
            centre = cap.mean(axis=0)
            u = cap[0] - centre
            u /= np.linalg.norm(u) or 1.0
            v = np.cross(normal, u)
            angles = np.arctan2((cap - centre) @ v, (cap - centre) @ u)
            kept.append(cap[np.argsort(angles)])
    return kept


def intersection_volume(a: Cuboid, b: Cuboid) -> float:
    """Exact volume of the intersection of two cuboids (any rotation)."""
    if a.is_7dof and b.is_7dof:
        a_lo, a_hi = a.z_range()
        b_lo, b_hi = b.z_range()
        dz = min(a_hi, b_hi) - max(a_lo, b_lo)
        return 0.0 if dz <= 0 else bev_intersection_area(a, b) * dz
    corners = a.corners()
    faces = [corners[list(f)] for f in CUBOID_FACES]
    rot = b.rotation
    centre = np.asarray(b.center)
    for axis in range(3):
        half = b.size[axis] / 2.0
        for sign in (1.0, -1.0):
            normal = sign * rot[:, axis]
            faces = _clip_polyhedron(faces, normal, float(normal @ centre) + half)
            if not faces:
                return 0.0
    return _convex_polyhedron_volume(faces)


def iou_3d(a: Cuboid, b: Cuboid) -> float:
    """3D intersection-over-union of two cuboids (exact, also for pitched/rolled boxes)."""
    ra = float(np.linalg.norm(a.size)) / 2.0
    rb = float(np.linalg.norm(b.size)) / 2.0
    if float(np.linalg.norm(np.subtract(a.center, b.center))) > ra + rb:
        return 0.0
    # clip in one canonical order, so that iou_3d(a, b) == iou_3d(b, a) exactly (the two clipping orders
    # differ by rounding, ~1e-7 for nearly coplanar faces)
    first, second = sorted((a, b), key=_canonical_key)
    inter = intersection_volume(first, second)
    union = a.volume + b.volume - inter
    return min(1.0, inter / union) if union > 0 else 0.0


def _canonical_key(box: Cuboid) -> tuple[float, ...]:
    """A total order of cuboids by their parameters (used to make pairwise measures symmetric)."""
    return (*box.center, *box.size, box.yaw, box.pitch, box.roll)


# -- many points against many boxes ----------------------------------------------------------------
def _counting_order(keys: np.ndarray) -> np.ndarray:
    """The stable sorting order of non-negative int32 ``keys`` below 2**32, as two radix sorts of 16-bit
    halves (numpy sorts 16-bit integers by radix: ~1.6x faster than one stable sort of int32)."""
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    high = (keys >> 16).astype(np.uint16)
    if not high.any():
        return order
    return order[np.argsort(high[order], kind="stable")]


#: Most cells of a `PointIndex` grid (its cell table holds one int32 per cell, plus one).
GRID_MAX_CELLS = 1 << 22
#: Points per grid cell aimed at (few cells per box, few points per cell outside the box).
GRID_POINTS_PER_CELL = 32
#: Smallest grid cell (metres).
GRID_MIN_CELL = 0.25


@dataclass
class PointIndex:
    """Points bucketed once into a grid of square cells in x and y, so each box only tests the points of
    the cells under it (a few thousand of millions).

    The index holds one int32 per point (the points in cell order) and one per cell: it shares the
    points, never copies them. Use it when many boxes are tested against the same cloud (object lists,
    exports, fitting, the crops of the orthographic views).
    """

    points: np.ndarray
    _order: np.ndarray = field(init=False, repr=False)
    _starts: np.ndarray = field(init=False, repr=False)
    _origin: tuple[float, float] = field(init=False, repr=False)
    _cell: float = field(init=False, repr=False)
    _shape: tuple[int, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.points = np.asarray(self.points)
        count = len(self.points)
        index_type = np.int32 if count < 2**31 - 1 else np.int64
        if count == 0:
            self._origin, self._cell, self._shape = (0.0, 0.0), 1.0, (1, 1)
            self._order = np.zeros(0, dtype=index_type)
            self._starts = np.zeros(2, dtype=index_type)
            return
        x, y = self.points[:, 0], self.points[:, 1]
        lo = (float(x.min()), float(y.min()))
        extent = (max(float(x.max()) - lo[0], 1e-6), max(float(y.max()) - lo[1], 1e-6))
        cells_wanted = min(GRID_MAX_CELLS, max(1, count // GRID_POINTS_PER_CELL))
        cell = max(GRID_MIN_CELL, math.sqrt(extent[0] * extent[1] / cells_wanted))
        while (extent[0] / cell + 1) * (extent[1] / cell + 1) > GRID_MAX_CELLS:  # long thin clouds
            cell *= 1.5
        shape = (int(extent[0] / cell) + 1, int(extent[1] / cell) + 1)
        self._origin, self._cell, self._shape = lo, cell, shape
        keys = self._column(x) * shape[1] + self._row(y)
        self._order = _counting_order(keys).astype(index_type)
        counts = np.bincount(keys, minlength=shape[0] * shape[1])
        self._starts = np.zeros(len(counts) + 1, dtype=index_type)
        np.cumsum(counts, out=self._starts[1:])

    def _column(self, x: np.ndarray) -> np.ndarray:
        return np.clip((x - self._origin[0]) / self._cell, 0, self._shape[0] - 1).astype(np.int32)

    def _row(self, y: np.ndarray) -> np.ndarray:
        return np.clip((y - self._origin[1]) / self._cell, 0, self._shape[1] - 1).astype(np.int32)

    def candidates(self, lo: Sequence[float], hi: Sequence[float]) -> np.ndarray:
        """Indices (unsorted) of the points in the cells that meet the rectangle ``lo``-``hi`` in x, y."""
        c0, c1 = (int(v) for v in self._column(np.array([lo[0], hi[0]])))
        r0, r1 = (int(v) for v in self._row(np.array([lo[1], hi[1]])))
        if hi[0] < self._origin[0] or hi[1] < self._origin[1] or c1 < c0 or r1 < r0:
            return self._order[:0]
        rows = self._shape[1]
        parts = [
            self._order[self._starts[column * rows + r0] : self._starts[column * rows + r1 + 1]]
            for column in range(c0, c1 + 1)
        ]
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def indices_inside(self, cuboid: Cuboid, margin: float = 0.0, limit: int | None = None) -> np.ndarray:
        """Sorted indices of the points inside ``cuboid`` (grown by ``margin``); with ``limit``, of an even
        sample of them of about that many points when there are more (every k-th point of the cells
        under the box is tested, so the work stays bounded too)."""
        corners = cuboid.corners()
        lo, hi = corners.min(axis=0) - margin, corners.max(axis=0) + margin
        found = self.candidates(lo, hi)
        if limit is not None and len(found) > 2 * limit:
            found = found[:: -(-len(found) // (2 * limit))]  # about half the cells' points are in the box
        inside = cuboid.points_inside(self.points[found], margin)
        return np.sort(found[inside])

    def count_inside(self, cuboid: Cuboid, margin: float = 0.0) -> int:
        """Number of points inside ``cuboid``."""
        return len(self.indices_inside(cuboid, margin))


def points_in_cuboids(points: np.ndarray, cuboids: Sequence[Cuboid]) -> np.ndarray:
    """For each point, the index of the first cuboid containing it, or -1 (vectorised over points)."""
    owner = np.full(len(points), -1, dtype=np.int32)
    if len(points) == 0 or not cuboids:
        return owner
    index = PointIndex(points)
    for i in range(len(cuboids) - 1, -1, -1):
        owner[index.indices_inside(cuboids[i])] = i
    return owner


# -- 2D boxes --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Box2D:
    """An axis-aligned image box in pixels: ``x1 <= x2``, ``y1 <= y2`` (corners are normalised)."""

    x1: float
    y1: float
    x2: float
    y2: float

    def __post_init__(self) -> None:
        x1, x2 = sorted((float(self.x1), float(self.x2)))
        y1, y2 = sorted((float(self.y1), float(self.y2)))
        if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
            raise ValueError("a 2D box needs finite numbers")
        object.__setattr__(self, "x1", x1)
        object.__setattr__(self, "y1", y1)
        object.__setattr__(self, "x2", x2)
        object.__setattr__(self, "y2", y2)

    @property
    def width(self) -> float:
        """Width in pixels."""
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        """Height in pixels."""
        return self.y2 - self.y1

    @property
    def area(self) -> float:
        """Area in square pixels."""
        return self.width * self.height

    @property
    def center(self) -> tuple[float, float]:
        """Centre in pixels."""
        return (self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0

    def to_array(self) -> np.ndarray:
        """``[x1, y1, x2, y2]``."""
        return np.array([self.x1, self.y1, self.x2, self.y2], dtype=np.float64)

    def clipped(self, width: float, height: float) -> Box2D | None:
        """The part inside an image of the given size, or None when nothing is left."""
        x1, y1 = max(0.0, self.x1), max(0.0, self.y1)
        x2, y2 = min(float(width), self.x2), min(float(height), self.y2)
        if x2 <= x1 or y2 <= y1:
            return None
        return Box2D(x1, y1, x2, y2)

    def iou(self, other: Box2D) -> float:
        """Intersection-over-union with another box."""
        iw = min(self.x2, other.x2) - max(self.x1, other.x1)
        ih = min(self.y2, other.y2) - max(self.y1, other.y1)
        if iw <= 0 or ih <= 0:
            return 0.0
        inter = iw * ih
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0


def box2d_iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of (N, 4) and (M, 4) arrays of x1, y1, x2, y2 boxes."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    iw = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
