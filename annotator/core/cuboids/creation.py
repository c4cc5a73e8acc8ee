"""Proposals for new cuboids from a click or a rectangle: place on the ground, fit in a rectangle, one-click fit.

Pure numpy. Each function works on the points near the gesture (the caller crops them, e.g. with
`annotator.core.cuboids.point_index.PointIndex`), estimates the ground locally (so slopes and kerbs are followed)
and returns a `Cuboid`, or None when there is nothing to fit. World frame: x forward, y left, z up.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

from annotator.core.cuboids.box_drag import footprint_ground
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.fitting import fit_oriented_box, grow_cluster
from annotator.core.cuboids.rotation import wrap_angle
from annotator.core.ground import GroundModel, estimate_ground

logger = logging.getLogger(__name__)

#: Radius (m, bird's-eye) of the neighbourhood a gesture looks at: ground estimate and clustering.
LOCAL_RADIUS = 12.0
#: Points at most this high above the ground are ground (m).
GROUND_TOLERANCE = 0.2
#: A fitted side shorter than this share of the class default is taken as partly seen and completed.
COMPLETE_BELOW = 0.8
#: A cluster wider than this many times the class default (either side) is not one object.
MAX_OVERSIZE = 3.0


def local_window(center_xy: Sequence[float], radius: float = LOCAL_RADIUS, z_span: float = 200.0) -> Cuboid:
    """An upright box (for `PointIndex.indices_inside`) covering ``radius`` around a bird's-eye point."""
    side = 2.0 * radius
    return Cuboid((float(center_xy[0]), float(center_xy[1]), 0.0), (side, side, z_span), 0.0)


def local_ground(points: np.ndarray) -> GroundModel:
    """The ground of a neighbourhood (N, >=3) on 1 m cells (flat at the lowest point when sparse)."""
    pts = np.asarray(points)
    if len(pts) < 10:
        return GroundModel.flat(float(pts[:, 2].min()) if len(pts) else 0.0)
    return estimate_ground(pts[:, :3], cell=1.0, window=5.0)


def place_on_ground(
    center_xy: Sequence[float], size: Sequence[float], yaw: float, ground: GroundModel
) -> Cuboid:
    """A box of ``size`` at ``center_xy`` with heading ``yaw``, its bottom on the ground under its footprint."""
    probe = Cuboid((float(center_xy[0]), float(center_xy[1]), 0.0), tuple(size), yaw)
    bottom = footprint_ground(probe, ground)
    return probe.replace(center=(probe.center[0], probe.center[1], bottom + float(size[2]) / 2.0))


def oriented(yaw: float, heading_hint: float | None) -> float:
    """Of ``yaw`` and ``yaw + pi``: the one nearer ``heading_hint``, else the one pointing along +x."""
    if heading_hint is not None:
        flip = abs(wrap_angle(yaw - heading_hint)) > math.pi / 2
    else:
        flip = math.cos(yaw) < -1e-9 or (abs(math.cos(yaw)) <= 1e-9 and math.sin(yaw) < 0)
    return wrap_angle(yaw + math.pi) if flip else wrap_angle(yaw)


def _axis_cost(observed: float, default: float, along_sight: bool) -> float:
    """How badly an observed side fits its class default; a side along the line of sight may be short
    (its far end is hidden), a side across it is seen whole."""
    return max(0.0, observed - default) if along_sight else abs(observed - default)


def choose_axes(box: Cuboid, default_size: Sequence[float], sensor_xy: Sequence[float]) -> Cuboid:
    """Of the fitted rectangle's two readings (length along either side), the one matching the class.

    A side running along the sensor's line of sight may be seen only in part, so it only counts when
    it is longer than the default; a side across the line of sight counts both ways. This makes the
    back of a car seen from behind (plus a bit of its roof) its width, not its length.
    """
    sight = np.asarray(box.center[:2], dtype=np.float64) - np.asarray(sensor_xy, dtype=np.float64)
    sight = sight / (np.linalg.norm(sight) or 1.0)
    readings = [
        box,
        box.replace(size=(box.size[1], box.size[0], box.size[2]), yaw=wrap_angle(box.yaw + math.pi / 2)),
    ]
    costs = []
    for reading in readings:
        length_axis = np.array([math.cos(reading.yaw), math.sin(reading.yaw)])
        length_along = abs(float(length_axis @ sight)) >= math.sqrt(0.5)
        costs.append(
            _axis_cost(reading.size[0], float(default_size[0]), length_along)
            + _axis_cost(reading.size[1], float(default_size[1]), not length_along)
        )
    return readings[int(np.argmin(costs))]


def _fits_class(box: Cuboid, default_size: Sequence[float], slack: float = 1.4) -> bool:
    return box.size[0] <= slack * float(default_size[0]) and box.size[1] <= slack * float(default_size[1])


def complete_to_size(box: Cuboid, default_size: Sequence[float], sensor_xy: Sequence[float]) -> Cuboid:
    """Grow sides seen only in part to the class default, away from the sensor (the seen face stays put).

    A side shorter than `COMPLETE_BELOW` x its default becomes the default; the face nearer the sensor
    keeps its place, so a car seen from behind grows forward, not backward.
    """
    sensor_local = box.world_to_box(np.array([[sensor_xy[0], sensor_xy[1], box.center[2]]]))[0]
    size = np.asarray(box.size, dtype=np.float64)
    shift = np.zeros(3)
    for axis in (0, 1):
        target = float(default_size[axis])
        if size[axis] < COMPLETE_BELOW * target:
            grow = target - size[axis]
            direction = -1.0 if sensor_local[axis] > 0 else 1.0  # away from the sensor
            shift[axis] = direction * grow / 2.0
            size[axis] = target
    if not shift.any():
        return box
    centre = np.asarray(box.center) + box.rotation @ shift
    return box.replace(center=tuple(centre), size=tuple(size))


def click_fit(
    points: np.ndarray,
    seed: int,
    default_size: Sequence[float],
    heading_hint: float | None = None,
    sensor_xy: Sequence[float] = (0.0, 0.0),
    ground: GroundModel | None = None,
    eps: float = 0.45,
) -> Cuboid | None:
    """One-click fit: grow the cluster of non-ground points around ``points[seed]`` and fit a box.

    ``points`` (N, >=3) is the neighbourhood of the click. The rectangle is an L-shape fit in bird's-eye
    view; the bottom is the local ground; sides seen only in part are completed to ``default_size``
    away from the sensor. Of the two opposite headings the one nearer ``heading_hint`` wins (else the
    one pointing along +x). None when the seed is ground or the cluster is not an object (too few
    points, or far larger than the class).
    """
    pts = np.asarray(points)[:, :3].astype(np.float64)
    if not 0 <= seed < len(pts):
        return None
    model = ground if ground is not None else local_ground(pts)
    is_ground = model.is_ground(pts, GROUND_TOLERANCE)
    if is_ground[seed]:
        return None
    fitted: tuple[Cuboid, np.ndarray] | None = None
    for radius in (eps, eps * 2 / 3, eps * 4 / 9):  # tighter clusters until it stops swallowing neighbours
        members = grow_cluster(pts, seed, is_ground, eps=radius, radius=None)
        if len(members) < 3:
            break
        cluster = pts[members]
        box = choose_axes(fit_oriented_box(cluster), default_size, sensor_xy)
        fitted = (box, cluster)
        if _fits_class(box, default_size):
            break
    if fitted is None:
        return None
    box, cluster = fitted
    extent = float(np.hypot(box.size[0], box.size[1]))
    if extent > MAX_OVERSIZE * float(np.hypot(default_size[0], default_size[1])):
        logger.debug("click fit: cluster of %d points spans %.1f m, not one object", len(cluster), extent)
        return None
    box = complete_to_size(box, default_size, sensor_xy)
    bottom = footprint_ground(box, model)
    top = max(float(cluster[:, 2].max()), bottom + 0.2)
    return box.replace(
        center=(box.center[0], box.center[1], (top + bottom) / 2.0),
        size=(box.size[0], box.size[1], top - bottom),
        yaw=oriented(box.yaw, heading_hint),
    )


def fit_in_rectangle(
    points: np.ndarray,
    region: Cuboid,
    default_size: Sequence[float],
    ground: GroundModel | None = None,
    heading_hint: float | None = None,
    sensor_xy: Sequence[float] = (0.0, 0.0),
) -> Cuboid:
    """The box fitted to the non-ground points inside a bird's-eye rectangle ``region`` (its height is
    ignored), from the local ground up to the highest point.

    ``points`` (N, >=3) is the neighbourhood of the rectangle (it estimates the ground). Sides seen only
    in part are completed toward the class ``default_size`` as in `click_fit`. With fewer than three
    object points inside, the box is the rectangle itself, the class default height tall, on the ground.
    """
    pts = np.asarray(points)[:, :3].astype(np.float64)
    model = ground if ground is not None else local_ground(pts)
    column = region.replace(size=(region.size[0], region.size[1], 1e6))
    inside = pts[column.points_inside(pts)] if len(pts) else pts
    objects = inside[~model.is_ground(inside, GROUND_TOLERANCE)] if len(inside) else inside
    if len(objects) < 3:
        size = (region.size[0], region.size[1], float(default_size[2]))
        return place_on_ground(region.center[:2], size, region.yaw, model)
    box = choose_axes(fit_oriented_box(objects), default_size, sensor_xy)
    box = complete_to_size(box, default_size, sensor_xy)
    box = box.replace(yaw=oriented(box.yaw, region.yaw if heading_hint is None else heading_hint))
    bottom = footprint_ground(box, model)
    top = max(float(objects[:, 2].max()), bottom + 0.2)
    return box.replace(
        center=(box.center[0], box.center[1], (top + bottom) / 2.0),
        size=(box.size[0], box.size[1], top - bottom),
    )


def nearest_to_ray(
    points: np.ndarray, origin: Sequence[float], direction: Sequence[float], max_distance: float = 0.5
) -> int | None:
    """Index of the point nearest to a ray (perpendicular distance, ahead of the origin), or None when
    none is within ``max_distance`` metres per 10 m along the ray (a cone, so far points can be hit)."""
    pts = np.asarray(points)[:, :3].astype(np.float64)
    if len(pts) == 0:
        return None
    o = np.asarray(origin, dtype=np.float64)
    d = np.asarray(direction, dtype=np.float64)
    d = d / (np.linalg.norm(d) or 1.0)
    rel = pts - o
    along = rel @ d
    perp = np.linalg.norm(rel - along[:, None] * d, axis=1)
    allowed = max_distance * np.maximum(along, 1.0) / 10.0
    score = np.where((along > 0) & (perp <= allowed), perp / allowed + along * 1e-3, np.inf)
    best = int(np.argmin(score))
    return None if not np.isfinite(score[best]) else best


def nearest_in_plane(
    points: np.ndarray, xy: Sequence[float], ground: GroundModel, max_distance: float = 1.0
) -> int | None:
    """Index of the non-ground point nearest to a bird's-eye position (within ``max_distance``), or None."""
    pts = np.asarray(points)[:, :3]
    if len(pts) == 0:
        return None
    distance = np.hypot(pts[:, 0] - xy[0], pts[:, 1] - xy[1])
    distance = np.where(model_ground_mask(pts, ground), np.inf, distance)
    best = int(np.argmin(distance))
    return best if distance[best] <= max_distance else None


def model_ground_mask(points: np.ndarray, ground: GroundModel) -> np.ndarray:
    """Mask (N,) of ground points (within `GROUND_TOLERANCE` of the ground model)."""
    return ground.is_ground(np.asarray(points)[:, :3], GROUND_TOLERANCE)


def nearest_heading(xy: Sequence[float], boxes: Sequence[Cuboid], max_distance: float = 10.0) -> float | None:
    """The heading of the box nearest to ``xy`` within ``max_distance`` m (neighbours in a queue or a row
    of parked cars line up), else None."""
    best: tuple[float, float] | None = None
    for box in boxes:
        distance = math.hypot(box.center[0] - xy[0], box.center[1] - xy[1])
        if distance <= max_distance and (best is None or distance < best[0]):
            best = (distance, box.yaw)
    return None if best is None else best[1]
