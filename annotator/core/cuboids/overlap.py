"""Overlap of cuboids: rotated bird's-eye-view IoU and 3D intersection volume and IoU."""

from __future__ import annotations

import math

import numpy as np

from annotator.core.cuboids.cuboid import CUBOID_FACES, Cuboid


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
