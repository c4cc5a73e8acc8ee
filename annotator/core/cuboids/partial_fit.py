"""Fitting a cuboid to an object seen from one or two sides (a real LiDAR scan).

A LiDAR sees the faces of an object that face the sensor: a car from behind shows its back (its width, in
full) and maybe a bit of its roof, a car from the side shows one long side (its length, in full). The
fit here therefore:

1. keeps the object's points: non-ground points around the box, in clusters that lie mostly in the box
   (the ground model is checked against the road beside the box first, `checked_ground`: a wall or an
   embankment beside a car lifts an interpolated ground, which would put the box on the wall's foot and
   take the car's lower half for ground);
2. finds the heading with a search-based L-shape fit (`lshape_angle`: the angle whose rectangle - the
   points' extents with the outermost 2 % left out - has the points closest to its edges; on the body's
   points between 0.3 and 1.1 m above the ground, `body_points`, whose sides are upright), oriented
   by a reference heading (the box's, or a track's motion);
   objects without a shape in bird's-eye view (people) keep the reference heading;
3. keeps only the runs of a vehicle's points that hold the box's points when an empty stretch across its
   heading splits points spanning far wider than the class (`separation`: an unlabelled object, a hedge
   or a wall beside it), then takes each side's size from the points when the face along that side is seen (the sensor is beside
   it, at a clear angle; a width only when the points are at least as wide as the prior), else from
   the prior size (the class default or the track's agreed size; when the points are wider than it, the narrowest other size class that holds them, `size_class`: a van
   labelled car) with the face nearest the sensor on the points, so the hidden part extends away from
   the sensor;
4. puts the bottom on the ground and the top on the highest point, or at the prior height when the points
   reach less than `COMPLETE_BELOW` of it (a far object whose top no beam reaches);
5. rates the result (`PartialFit.confidence`: point support times the share of points on the visible faces)
   and refuses it, saying why, when it is weak: too few points, points that run on beyond the box, or
   points spreading far beyond the size prior (merged objects) even when gathered again in finer
   clusters (`STRICT_EPS`: a pole or a hedge touching a car's corner no longer joins it).

Pure numpy; world frame x forward, y left, z up; the sensor at ``sensor_xy`` in that frame.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from annotator.core.cuboids.box_drag import footprint_ground
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.fitting import cluster_points
from annotator.core.cuboids.rotation import wrap_angle
from annotator.core.cuboids.separation import kept_by_gaps
from annotator.core.ground import GroundModel

logger = logging.getLogger(__name__)

#: Why a fit was refused when its points run on beyond the box (callers recognise the refusal by it).
RUNS_ON_REASON = "the points run on beyond the box (a wall or merged objects)"

#: Points at most this high above the ground are ground (m).
GROUND_TOLERANCE = 0.2
#: How far outside the box object points are gathered (m): a box may sit this far off its object.
GATHER_MARGIN = 0.4
#: Cluster cell size (m): points of one object closer than this always stay together.
CLUSTER_EPS = 0.3
#: A face seen at a grazing angle (sine of the angle between face and line of sight below this) does not
#: show its side's full extent.
MIN_INCIDENCE = 0.2
#: Objects whose prior length is less than this many widths have no usable shape in bird's-eye view.
ELONGATED = 1.5
#: Distance (m) within which a point counts as lying on a rectangle edge (LiDAR range noise and mirrors).
EDGE_BAND = 0.2
#: Object points spreading more than this many times the prior size are not one object of the class.
MAX_SPREAD = 1.5
#: How far (radians) a fit may turn a box: it refines a heading, it does not replace it.
TURN_WINDOW = math.radians(15.0)
#: A side seen in full whose points span less than this share of the prior is taken as partly occluded.
COMPLETE_BELOW = 0.8
#: Points span up to this much more than an object's size (m): the edge band on both sides (mirrors, range
#: noise); beyond it they call for a larger size class.
CLASS_SLACK = 2 * EDGE_BAND
#: A fit turns a box (its reference heading) when the L-shape beats it by this share of the noise scale.
TURN_MARGIN = 0.25
#: A box already drawn keeps its heading unless the fit's beats it by this share (twice the turn's bar:
#: a fit must explain the points clearly better before it moves a good box).
KEEP_MARGIN = 0.5
#: The L-shape criterion's rectangle spans the points between these percentiles (from `TRIM_FROM` points
#: on): a few returns of a mirror, a pole or a bush beside the object do not place its edges.
TRIM = 2.0
TRIM_FROM = 50
#: Distance (m) within which a point scores about half as lying on an L-shape edge (`_closeness`): wider
#: than the edge band, so a turn by a few degrees, which moves the points of a far face by 0.1-0.3 m,
#: still changes their score.
CLOSENESS_BAND = 0.4
#: An object without a shape (a person) whose points span more than its prior - or its box, where drawn
#: larger (a walking person's stride) - by this much (m) along either side has taken in something beside
#: it (a pole, a sign, another person): its points cannot place it, so it is gathered again in finer
#: clusters (`STRICT_EPS`) and otherwise left alone.
SHAPELESS_SLACK = 0.15
#: Cluster cell size (m) of a second, stricter gathering when the first one's points spread far beyond
#: the size prior (a pole or a hedge touching the object).
STRICT_EPS = 0.15
#: A vehicle's width comes from its points only when they span at least this share of the prior width:
#: its rounded flanks, seen at a slant, return points well inside the body, so a narrower span is a width
#: partly seen, and the prior's width is kept against the face nearest the sensor.
WIDTH_COMPLETE = 1.0
#: The L-shape heading is searched on the object's points between these heights above the ground (m):
#: a vehicle's body sides, below its windows (a slanted windscreen, a rounded roof and mirrors do not
#: lie on the rectangle's edges), when at least `BODY_MIN` of them and `BODY_SHARE` of the object's
#: points are there (fewer: the ground model runs well below or above the object - a grid pulled down
#: by a kerb or up by a wall - and the band holds its roof or a few stray returns, not its body).
BODY_BAND = (0.3, 1.1)
BODY_MIN = 5
BODY_SHARE = 0.1
#: Points lying more than this far (m) below the ground model around a box tell that the model runs
#: above the real ground there (a wall, an embankment or a row of parked cars lifts an interpolated grid).
BELOW_GROUND = 0.3
#: ... when at least this share of the points beside the box (and `MIN_BELOW` of them) do.
BELOW_SHARE = 0.1
MIN_BELOW = 15
#: ... and when the model's heights under the box's corners (grown by 1 m) differ by more than this (m): a
#: ground that steep under a car is a model's step, not a road.
STEEP_GROUND = 0.8
#: The ground taken instead: this low percentile of the heights of the points beside the box.
LOW_PERCENTILE = 2.0
#: A vehicle's points spanning more than its prior width by this much (m) across its heading have taken in
#: something beside it when an empty stretch splits them (`annotator.core.cuboids.separation`): the run
#: nearest the box's centre is kept, with its neighbours as far as they fit. Wider than `CLASS_SLACK`: a van labelled car (2.15 m against
#: the car's 1.85 m) seen from the side shows its far roof edge 0.6 m beyond its near flank's points.
SEPARATION_SLACK = 0.6


@dataclass(frozen=True)
class PartialFit:
    """A fitted box, how much to trust it (0..1), the object points it used, why not (when weak), and
    the cluster cell its object points were gathered with (`object_points`)."""

    cuboid: Cuboid
    confidence: float
    points: int
    reason: str = ""
    cell: float = CLUSTER_EPS

    @property
    def usable(self) -> bool:
        """Whether the fit should replace the box."""
        return not self.reason


def _rotate_xy(xy: np.ndarray, angles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates (N, A) of points along each angle's axis and along the perpendicular axis."""
    c, s = np.cos(angles), np.sin(angles)
    return xy[:, :1] * c + xy[:, 1:2] * s, -xy[:, :1] * s + xy[:, 1:2] * c


def _closeness(xy: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """L-shape criterion per angle: each point scores by its distance to the nearest edge of the
    rectangle round the points (their `TRIM`-percentile extents), saturating inside `CLOSENESS_BAND`
    (so range noise does not decide) and bounded for far points (so a few stray points do not either)."""
    u, v = _rotate_xy(xy, angles)
    if len(xy) >= TRIM_FROM:
        ulo, uhi = np.percentile(u, [TRIM, 100.0 - TRIM], axis=0)
        vlo, vhi = np.percentile(v, [TRIM, 100.0 - TRIM], axis=0)
    else:
        ulo, uhi, vlo, vhi = u.min(axis=0), u.max(axis=0), v.min(axis=0), v.max(axis=0)
    du = np.abs(np.minimum(uhi - u, u - ulo))  # points beyond a trimmed edge count by how far beyond
    dv = np.abs(np.minimum(vhi - v, v - vlo))
    d = np.minimum(du, dv)
    return np.sum(1.0 / (1.0 + (d / (CLOSENESS_BAND / 2.0)) ** 2), axis=0)


def _thinned(xy: np.ndarray, limit: int = 400) -> np.ndarray:
    """Centred 2D points, thinned evenly to at most ``limit``."""
    pts = np.asarray(xy, dtype=np.float64)[:, :2]
    pts = pts - pts.mean(axis=0)
    return pts[np.linspace(0, len(pts) - 1, limit).astype(np.int64)] if len(pts) > limit else pts


def _search(pts: np.ndarray, angles: np.ndarray) -> float:
    """The angle of ``angles`` (1 degree apart) with the best closeness, refined to 0.1 degree."""
    best = float(angles[np.argmax(_closeness(pts, angles))])
    angles = best + np.radians(np.arange(-10, 11) * 0.1)
    return float(angles[np.argmax(_closeness(pts, angles))])


def lshape_angle(xy: np.ndarray) -> float:
    """Orientation in [0, pi/2) of the rectangle whose edges the 2D points (N, 2) lie closest to.

    A deterministic coarse-to-fine search (1 degree, then 0.1 degree) of the robust closeness criterion;
    large inputs are thinned evenly first.
    """
    return _search(_thinned(xy), np.radians(np.arange(0.0, 90.0, 1.0))) % (math.pi / 2.0)


def lshape_heading(xy: np.ndarray, reference: float, window: float | None = None) -> float:
    """The L-shape heading nearest ``reference`` (searched within ``window`` radians of it; None: all
    orientations), or ``reference`` itself when the points do not tell them apart: the L-shape must beat
    the reference's closeness by more than `TURN_MARGIN` of the criterion's noise scale (see
    `clearly_better`)."""
    pts = _thinned(xy)
    if window is None:
        found = axis_nearest(_search(pts, np.radians(np.arange(0.0, 90.0, 1.0))), reference)
    else:
        steps = np.arange(-math.degrees(window), math.degrees(window) + 0.5, 1.0)
        turn = wrap_angle(_search(pts, reference + np.radians(steps)) - reference)
        found = wrap_angle(reference + min(max(turn, -window), window))  # the refinement stays inside
    return found if clearly_better(xy, found, reference, TURN_MARGIN) else wrap_angle(reference)


def clearly_better(xy: np.ndarray, heading: float, reference: float, margin: float) -> bool:
    """Whether the points' rectangle at ``heading`` beats the one at ``reference`` by more than
    ``margin`` times the closeness criterion's noise scale (the square root of the number of points,
    each scoring between 0 and 1)."""
    pts = _thinned(xy)
    scores = _closeness(pts, np.array([heading, reference]))
    return bool(scores[0] - scores[1] > margin * math.sqrt(len(pts)))


def axis_nearest(angle: float, reference: float) -> float:
    """Of the four headings ``angle + k * pi/2``, the one nearest ``reference``."""
    quarter = math.pi / 2.0
    return wrap_angle(angle + quarter * round(wrap_angle(reference - angle) / quarter))


def object_points(
    cuboid: Cuboid,
    points: np.ndarray,
    ground: GroundModel,
    margin: float = GATHER_MARGIN,
    eps: float = CLUSTER_EPS,
) -> np.ndarray:
    """The object's points (K, 3): non-ground points within ``margin`` of the box, in clusters lying
    mostly inside it (the cluster with most points inside always counts)."""
    pts = np.asarray(points, dtype=np.float64)[:, :3]
    near = pts[cuboid.points_inside(pts, margin)] if len(pts) else pts
    if len(near):
        near = near[~ground.is_ground(near, GROUND_TOLERANCE)]
    if len(near) < 3:
        return near
    labels = cluster_points(near, eps, min_points=1)
    inside = cuboid.points_inside(near)
    share_in = np.bincount(labels, weights=inside, minlength=labels.max() + 1)
    total = np.bincount(labels, minlength=labels.max() + 1)
    keep = share_in > total / 2.0
    if share_in.max() > 0:
        keep[int(np.argmax(share_in))] = True
    return near[keep[labels]]


def body_points(obj: np.ndarray, ground: GroundModel) -> np.ndarray:
    """The object points (K, 3) within `BODY_BAND` above the ground, or all of them when fewer than
    `BODY_MIN` or than `BODY_SHARE` of them are there (the heading's evidence: the body's upright sides)."""
    height = ground.height_above(obj)
    body = obj[(height >= BODY_BAND[0]) & (height <= BODY_BAND[1])]
    return body if len(body) >= max(BODY_MIN, BODY_SHARE * len(obj)) else obj


def checked_ground(cuboid: Cuboid, points: np.ndarray, ground: GroundModel) -> GroundModel:
    """``ground``, or a flat ground at the low points beside the box when the model is steep under it
    (`STEEP_GROUND`) and runs clearly above the points (`BELOW_GROUND`, `BELOW_SHARE`) beside the box or
    inside its footprint (no return lies under the real ground: where the points beside it are hidden,
    the object's own lower body below the model tells): a box must not stand on a wall's or a hedge's
    foot, and the object's lower points must not count as ground. The flat ground's height comes from
    the points beside the box only (within `GATHER_MARGIN` of it, outside its footprint): the road the
    object stands on, not the object's own lower body."""
    pts = np.asarray(points, dtype=np.float64)[:, :3]
    if len(pts) < MIN_BELOW:
        return ground
    footprint = cuboid.replace(size=(cuboid.size[0], cuboid.size[1], 1e6))
    near = pts[cuboid.points_inside(pts, GATHER_MARGIN)]
    under = footprint.points_inside(near)
    beside = near[~under]
    if len(beside) < MIN_BELOW:
        return ground
    corners = cuboid.grown(1.0).corners()[:4, :2]
    if np.ptp(ground.height_at(np.vstack([corners, cuboid.corners()[:4, :2]]))) <= STEEP_GROUND:
        return ground
    below = ground.height_above(near) < -BELOW_GROUND
    if not any(np.sum(below[part]) >= max(MIN_BELOW, BELOW_SHARE * np.sum(part)) for part in (~under, under)):
        return ground
    return GroundModel.flat(float(np.percentile(beside[:, 2], LOW_PERCENTILE)))


def _side(
    lo: float, hi: float, prior: float, eye: float, seen: bool, complete: float = COMPLETE_BELOW
) -> tuple[float, float]:
    """(centre, size) along one box axis from the points' span [lo, hi]: the whole span when the side is
    seen in full (spanning at least ``complete`` of the prior), else at least the prior size with the face
    nearest the sensor (``eye``) kept."""
    extent = hi - lo
    if seen and extent >= complete * prior:
        return (lo + hi) / 2.0, extent
    size = max(extent, prior)
    if eye <= lo:
        return lo + size / 2.0, size
    if eye >= hi:
        return hi - size / 2.0, size
    return (lo + hi) / 2.0, size


def size_class(prior: np.ndarray, width: float, classes: Sequence[Sequence[float]] = ()) -> np.ndarray:
    """The size prior (length, width, height) for an object whose points span ``width`` across it:
    ``prior`` (the class's) while they fit in its width (within `CLASS_SLACK`), else the narrowest of the
    other size ``classes`` (e.g. van, truck, bus for a car) of the same build (elongated or not) that
    holds them, else ``prior``. The width decides, not the length: a vehicle shows its whole width from
    behind or in front, while the points along it run on into whatever stands bumper to bumper with it.
    A pedestrian never becomes a vehicle."""
    base = np.asarray(prior, dtype=np.float64)
    if width <= base[1] + CLASS_SLACK:
        return base
    elongated = base[0] >= ELONGATED * base[1]
    fitting = [
        np.asarray(c, dtype=np.float64)
        for c in classes
        if (c[0] >= ELONGATED * c[1]) == elongated and base[1] < c[1] and width <= c[1] + CLASS_SLACK
    ]
    return min(fitting, key=lambda c: (c[1], c[0])) if fitting else base


def _edge_support(local: np.ndarray, centre: np.ndarray, size: np.ndarray, eye: np.ndarray) -> float:
    """Share of points within `EDGE_BAND` of a face the sensor can see (the L-shape's evidence)."""
    distances = []
    for axis in (0, 1):
        for sign in (-1.0, 1.0):
            face = centre[axis] + sign * size[axis] / 2.0
            if (eye[axis] - face) * sign > 0:  # the sensor is on the outer side of this face
                distances.append(np.abs(local[:, axis] - face))
    if not distances:
        return 0.0
    return float(np.mean(np.min(distances, axis=0) <= EDGE_BAND))


@dataclass(frozen=True)
class _Pass:
    """One fitting pass: the box, the object points it used, and their share on the visible faces."""

    cuboid: Cuboid
    points: np.ndarray
    support: float
    runs_on: bool


def _runs_on(cuboid: Cuboid, obj: np.ndarray, margin: float = GATHER_MARGIN) -> bool:
    """Whether the object points reach both ends of the gathered region along a side: the object goes on
    beyond the box (a wall, a hedge, or two objects merged), so no box size can be read from it."""
    local = cuboid.world_to_box(obj)
    reach = np.asarray(cuboid.size[:2]) / 2.0 + min(EDGE_BAND, margin)
    return bool(np.any((local[:, :2].min(axis=0) <= -reach) & (local[:, :2].max(axis=0) >= reach)))


def _spread(obj: np.ndarray, yaw: float) -> np.ndarray:
    """Extent (2,) of points along a heading and across it."""
    c, s = math.cos(yaw), math.sin(yaw)
    u = obj[:, 0] * c + obj[:, 1] * s
    v = -obj[:, 0] * s + obj[:, 1] * c
    return np.array([np.ptp(u), np.ptp(v)])


def _fit_pass(
    cuboid: Cuboid,
    obj: np.ndarray,
    ground: GroundModel,
    prior: np.ndarray,
    yaw: float,
    sensor_xy: Sequence[float],
    size_classes: Sequence[Sequence[float]] = (),
) -> _Pass:
    """Sizes and placement for a heading: seen sides from the points, hidden ones from the prior (or the
    size class the points call for, `size_class`)."""
    elongated = prior[0] >= ELONGATED * prior[1]
    frame = Cuboid((cuboid.center[0], cuboid.center[1], 0.0), (1.0, 1.0, 1.0), yaw)
    local = frame.world_to_box(obj).astype(np.float64)
    if elongated:  # an object, a hedge or a wall beside it joined through a few returns: its own points
        keep = kept_by_gaps(local[:, 1], 0.0, prior[1] + SEPARATION_SLACK)  # the frame is the box's
        obj, local = obj[keep], local[keep]
    eye = frame.world_to_box(np.array([[sensor_xy[0], sensor_xy[1], 0.0]]))[0]
    lo, hi = local.min(axis=0), local.max(axis=0)
    prior = size_class(prior, float(hi[1] - lo[1]), size_classes)
    centre, size = np.zeros(2), np.zeros(2)
    for axis in (0, 1):
        other = 1 - axis
        gap = max(lo[other] - eye[other], eye[other] - hi[other], 0.0)  # how far beside the side's face
        incidence = gap / max(float(np.hypot(*(eye[:2] - (lo[:2] + hi[:2]) / 2.0))), 1e-6)
        seen = elongated and incidence >= MIN_INCIDENCE
        complete = WIDTH_COMPLETE if axis == 1 else COMPLETE_BELOW
        centre[axis], size[axis] = _side(lo[axis], hi[axis], prior[axis], eye[axis], seen, complete)
    xy = frame.box_to_world(np.array([[centre[0], centre[1], 0.0]]))[0][:2]
    flat = Cuboid((xy[0], xy[1], 0.0), (size[0], size[1], 1.0), yaw)
    bottom = footprint_ground(flat, ground)
    top = max(float(obj[:, 2].max()), bottom + 0.2)
    if top - bottom < COMPLETE_BELOW * prior[2]:  # the top is not seen (far, few beams): the prior's
        top = bottom + prior[2]
    fitted = Cuboid((xy[0], xy[1], (top + bottom) / 2.0), (size[0], size[1], top - bottom), yaw)
    support = _edge_support(local[:, :2], centre, size, eye) if elongated else 1.0
    return _Pass(fitted, obj, support, _runs_on(cuboid, obj))


def fit_partial(
    cuboid: Cuboid,
    points: np.ndarray,
    ground: GroundModel,
    prior_size: Sequence[float] | None = None,
    heading_hint: float | None = None,
    sensor_xy: Sequence[float] = (0.0, 0.0),
    min_points: int = 10,
    rotate: bool = True,
    hint_window: float | None = None,
    size_classes: Sequence[Sequence[float]] = (),
) -> PartialFit:
    """Fit ``cuboid`` to the object it covers in ``points`` (the frame's points without other boxes' points).

    ``prior_size``: the class default or the track's agreed size (None: the box's own size) for sides
    that are not fully seen. ``heading_hint``: a heading the result should point along (a track's motion;
    None: the box's yaw); ``hint_window``: how far (radians) the L-shape may turn from it (at most
    `TURN_WINDOW`, the default: a precise track motion leaves it less room). ``rotate``: False keeps the
    box's heading. ``size_classes``: other typical sizes (the project's classes' defaults) an object
    whose points do not fit in the prior may take instead (`size_class`). Two passes: the second gathers the
    object's points again around the first fit (a box placed off its object misses some at first). When
    the points spread far beyond the prior, they are gathered again in finer clusters (`STRICT_EPS`) and
    that fit is taken if it holds. The result's ``reason`` is set when the fit is too weak to use.
    """
    prior = np.asarray(cuboid.size if prior_size is None else prior_size, dtype=np.float64)
    ground = checked_ground(cuboid, points, ground)
    reference = cuboid.yaw if heading_hint is None else heading_hint
    window = TURN_WINDOW if hint_window is None else min(hint_window, TURN_WINDOW)
    settings = _Settings(prior, reference, window, sensor_xy, min_points, rotate, size_classes)
    fit, spread_out = _fit_gathered(cuboid, points, ground, settings, CLUSTER_EPS)
    if spread_out:  # a pole or a hedge touching the object: gather its points more strictly
        strict, _ = _fit_gathered(cuboid, points, ground, settings, STRICT_EPS)
        if strict.usable:
            return strict
    return fit


@dataclass(frozen=True)
class _Settings:
    """What `fit_partial` was asked for, passed on to each gathering."""

    prior: np.ndarray
    reference: float
    window: float
    sensor_xy: Sequence[float]
    min_points: int
    rotate: bool
    size_classes: Sequence[Sequence[float]]


def _fit_gathered(
    cuboid: Cuboid, points: np.ndarray, ground: GroundModel, settings: _Settings, eps: float
) -> tuple[PartialFit, bool]:
    """`fit_partial` with object points gathered in clusters of cell ``eps``; whether it was refused
    because the points spread far beyond the size prior."""
    prior, min_points, sensor_xy = settings.prior, settings.min_points, settings.sensor_xy
    elongated = prior[0] >= ELONGATED * prior[1]
    current = cuboid
    result: _Pass | None = None
    for _ in range(2):
        obj = object_points(current, points, ground, eps=eps)
        if len(obj) < min_points:
            break
        if settings.rotate and elongated:
            yaw = lshape_heading(body_points(obj, ground)[:, :2], settings.reference, settings.window)
        else:
            yaw = settings.reference if settings.rotate else cuboid.yaw
        result = _fit_pass(current, obj, ground, prior, yaw, sensor_xy, settings.size_classes)
        current = result.cuboid
    if result is None:
        count = len(object_points(cuboid, points, ground, eps=eps))
        return PartialFit(cuboid, 0.0, count, f"{count} object points (fewer than {min_points})"), False
    count = len(result.points)
    confidence = round(count / (count + min_points) * result.support, 3)
    if result.runs_on:
        return PartialFit(cuboid, confidence, count, RUNS_ON_REASON), False
    spread = _spread(result.points, result.cuboid.yaw)
    if np.any(spread > MAX_SPREAD * np.maximum(prior[:2], 0.5)):
        reason = f"object points spread {spread[0]:.1f} x {spread[1]:.1f} m, far more than the size prior"
        return PartialFit(cuboid, confidence, count, reason), True
    person = np.maximum(prior[:2], cuboid.size[:2])  # the class's size, or the box's where drawn larger
    if not elongated and np.any(spread > person + SHAPELESS_SLACK):
        reason = (
            f"object points spread {spread[0]:.2f} x {spread[1]:.2f} m, more than a "
            f"{person[0]:.2f} x {person[1]:.2f} m object: something beside it joined (low confidence)"
        )
        return PartialFit(cuboid, confidence, count, reason), True
    return PartialFit(result.cuboid, confidence, count, cell=eps), False
