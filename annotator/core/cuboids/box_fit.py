"""Fitting existing cuboids to a frame's points: "fit to points" + "auto-rotate" for many boxes at once,
and re-placing a propagated box on the points of its new frame.

Safeguards for batch work: points inside the frame's other cuboids never count for a box (so it cannot
turn or grow towards a neighbour), ground points never count (so it cannot grow into the ground), a turn
that makes the box overlap a neighbour more than before is not taken, and a box holding fewer than
``min_points`` object points is left as it is and reported.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.occlusion import Occlusion
from annotator.core.cuboids.overlap import bev_intersection_area
from annotator.core.cuboids.partial_fit import (
    EDGE_BAND,
    ELONGATED,
    KEEP_MARGIN,
    TURN_MARGIN,
    checked_ground,
    clearly_better,
    fit_partial,
    object_points,
)
from annotator.core.cuboids.point_index import PointIndex
from annotator.core.cuboids.rotation import wrap_angle
from annotator.core.cuboids.scene_heading import Placed, scene_heading
from annotator.core.cuboids.scene_size import scene_prior
from annotator.core.cuboids.track_sweeps import LONGEST, wants_sweeps
from annotator.core.cuboids.weak_evidence import blended
from annotator.core.ground import GroundModel, estimate_ground

logger = logging.getLogger(__name__)

#: Fewer object points than this inside a box: the box is left alone.
MIN_POINTS = 10

#: How far around a box points are gathered (metres): auto-rotate looks this far out.
GATHER_MARGIN = 2.0

#: A box holding this share of its object's points, turned as its fit (radians) and with the faces it
#: shows the sensor this close to the points (metres) already fits (see `already_fits`).
HOLDS_SHARE = 0.95
HEADING_TOLERANCE = math.radians(6.0)
FACE_TOLERANCE = 0.25
#: A vehicle's fit on fewer object points than this many times ``min_points`` changes nothing: its
#: confidence's point factor (points / (points + min_points)) is below 0.6 (see `_too_sparse`).
SURE_SHARE = 1.5
#: A face the sensor sees at less than this sine of the angle between the face and the line of sight is
#: seen edge-on: its points cannot place it (see `already_fits`).
GRAZING = 0.05


@dataclass
class FitOutcome:
    """What happened to one box: the new cuboid (the old one when left alone), the object points it
    holds, the fit's confidence (0..1), why it was left alone (empty when fitted or already fitted) and
    how many of its object points its own sweep holds (``own``; None: all of them, no other sweep's
    points joined the fit)."""

    cuboid: Cuboid
    changed: bool
    points: int
    reason: str = ""
    confidence: float = 0.0
    own: int | None = None

    @property
    def own_points(self) -> int:
        """The object points of the box's own sweep: the evidence the scene's priors go by (a sparse
        car's neighbouring sweeps add points, smeared by poses and motion, not a view of its outline)."""
        return self.points if self.own is None else self.own


@dataclass
class FitReport:
    """Outcomes of one frame's boxes, in the order given."""

    outcomes: list[FitOutcome] = field(default_factory=list)

    @property
    def fitted(self) -> int:
        """Boxes that changed."""
        return sum(o.changed for o in self.outcomes)

    @property
    def left_alone(self) -> list[int]:
        """Positions of boxes left alone (too few points, a weak fit, or a fit into a neighbour)."""
        return [i for i, o in enumerate(self.outcomes) if o.reason]


def _overlap(cuboid: Cuboid, others: Sequence[Cuboid]) -> float:
    """The box's bird's-eye-view overlap with ``others``, summed (only those whose circumscribed circles
    meet it are clipped: a frame holds dozens of boxes and a fit runs this twice)."""
    centre, reach = np.asarray(cuboid.center[:2]), math.hypot(*cuboid.size[:2]) / 2.0
    return sum(
        bev_intersection_area(cuboid, other)
        for other in others
        if math.dist(centre, other.center[:2]) < reach + math.hypot(*other.size[:2]) / 2.0
    )


def already_fits(
    cuboid: Cuboid,
    fitted: Cuboid,
    obj: np.ndarray,
    sensor_xy: Sequence[float] = (0.0, 0.0),
    occlusion: Occlusion | None = None,
    heading_prior: bool = False,
) -> bool:
    """Whether a box agrees with its fit within the fit's own uncertainty: it holds the object's points
    (`HOLDS_SHARE`, counting points within `EDGE_BAND` of its faces, as the fit does: range noise and
    mirrors), its heading is the fit's (within `HEADING_TOLERANCE`) or explains the points about as well
    (the fit's does not beat it by `KEEP_MARGIN`, see `clearly_better`) while the box is not larger than
    the fit by more than `FACE_TOLERANCE` along both sides (turned and too large: a rough box), and each face it turns to the
    sensor lies within `FACE_TOLERANCE` of the outermost points on that side. Sides the sensor does not
    see, or sees almost edge-on (`GRAZING`: a far truck's flank seen so shows only its near end), are the box's own business (a fit cannot know them better), and so is a face that lies mostly
    behind nearer returns (``occlusion``: a car in front hides where this one begins) while the box is no
    larger along it than the fit (which sizes a side it cannot see from the prior). ``heading_prior``:
    the fit's heading was searched around a heading the scene gives (`scene_heading`), so a box turned
    away from it keeps its heading only when that clearly explains the points better (by `TURN_MARGIN`)."""
    if len(obj) == 0 or float(np.mean(cuboid.points_inside(obj, EDGE_BAND))) < HOLDS_SHARE:
        return False
    if abs(wrap_angle(fitted.yaw - cuboid.yaw)) > HEADING_TOLERANCE:
        if all(cuboid.size[axis] > fitted.size[axis] + FACE_TOLERANCE for axis in (0, 1)):
            return False  # turned away from its fit and larger along both sides: a rough box
        if heading_prior and not clearly_better(obj[:, :2], cuboid.yaw, fitted.yaw, TURN_MARGIN):
            return False
        if not heading_prior and clearly_better(obj[:, :2], fitted.yaw, cuboid.yaw, KEEP_MARGIN):
            return False
    local = cuboid.world_to_box(obj)
    eye = cuboid.world_to_box(np.array([[sensor_xy[0], sensor_xy[1], cuboid.center[2]]]))[0]
    half = np.asarray(cuboid.size) / 2.0
    for axis in (0, 1):
        for sign in (-1.0, 1.0):
            if (eye[axis] * sign - half[axis]) < GRAZING * float(np.hypot(*eye[:2])):
                continue  # the sensor does not face this face, or sees it at a grazing angle
            gap = half[axis] - sign * (local[:, axis].max() if sign > 0 else local[:, axis].min())
            if gap <= FACE_TOLERANCE:
                continue
            no_larger = cuboid.size[axis] <= fitted.size[axis] + FACE_TOLERANCE  # than the fit makes it
            if not (no_larger and _face_hidden(cuboid, axis, sign, occlusion)):
                return False
    return True


def _face_hidden(cuboid: Cuboid, axis: int, sign: float, occlusion: Occlusion | None) -> bool:
    """Whether most of a face lies behind nearer returns (`Occlusion`), so the points cannot place it."""
    if occlusion is None:
        return False
    half = np.asarray(cuboid.size) / 2.0
    other = 1 - axis
    steps = np.linspace(-half[other], half[other], max(3, int(2 * half[other] / 0.25) + 1))
    local = np.zeros((len(steps), 3))
    local[:, axis], local[:, other] = sign * half[axis], steps
    states = occlusion.hidden(cuboid.box_to_world(local)[:, :2], cuboid.z_range(), cuboid)
    return int((states == 1).sum()) > len(states) / 2.0


def fit_box(
    cuboid: Cuboid,
    points: np.ndarray,
    ground: GroundModel,
    neighbours: Sequence[Cuboid] = (),
    rotate: bool = True,
    min_points: int = MIN_POINTS,
    shrink: bool = True,
    prior_size: Sequence[float] | None = None,
    heading_hint: float | None = None,
    sensor_xy: Sequence[float] = (0.0, 0.0),
    hint_window: float | None = None,
    occlusion: Occlusion | None = None,
    size_classes: Sequence[Sequence[float]] = (),
    extra_points: np.ndarray | None = None,
    scene_yaw: float | None = None,
) -> FitOutcome:
    """Fit one box to the object it covers (`fit_partial`), against ``points`` that exclude its
    neighbours' points; ``shrink`` False only turns it (auto-rotate: centre and size kept).

    A vehicle's fit on few object points moves it only part of the way (`weak_evidence`).
    A box that already agrees with its fit is left as it is (a fit never makes a good box worse; faces
    hidden behind nearer returns, ``occlusion``, are not held against it); a weak
    fit, or one that overlaps the ``neighbours`` more than the box did, changes nothing and says why.
    ``extra_points``: more points (K, 3) of the object from its track's other sweeps, in this frame: used
    only when this sweep's ``points`` alone give a usable fit (they sharpen a fit, never make one); the
    fit then goes by all of them, and whether the box already fits is judged on all of them too.
    ``scene_yaw``: a heading the scene gives a box with weak evidence of its own (`scene_heading`),
    used as the L-shape's reference when no ``heading_hint`` is given.
    """
    ground = checked_ground(cuboid, points, ground)  # the points the fit goes by stand on the same ground
    from_scene = heading_hint is None and scene_yaw is not None and rotate
    if from_scene:
        heading_hint = scene_yaw
    settings = (ground, prior_size, heading_hint, sensor_xy, min_points, rotate, hint_window, size_classes)
    partial = fit_partial(cuboid, points, *settings)
    if not partial.usable:
        return FitOutcome(cuboid, False, partial.points, partial.reason, partial.confidence)
    own = None
    if extra_points is not None and len(extra_points):
        own = partial.points
        gathered = np.vstack([np.asarray(points)[:, :3], extra_points[:, :3]])
        partial = fit_partial(cuboid, gathered, *settings)
        if not partial.usable:
            return FitOutcome(cuboid, False, partial.points, partial.reason, partial.confidence, own)
        points = gathered  # the box is judged on every point the fit went by
    if _too_sparse(partial.points, min_points, prior_size or cuboid.size):
        reason = (
            f"{partial.points} object points: too few to place a vehicle's sides "
            f"(low confidence, fewer than {math.ceil(SURE_SHARE * min_points)})"
        )
        return FitOutcome(cuboid, False, partial.points, reason, partial.confidence, own)
    fitted = partial.cuboid if shrink else cuboid.replace(yaw=partial.cuboid.yaw)
    prior = prior_size or cuboid.size
    if shrink and prior[0] >= ELONGATED * prior[1]:  # a vehicle on few points: the box keeps some say
        fitted = blended(cuboid, fitted, partial.points)  # all the points it went by, other sweeps too
    if _overlap(fitted, neighbours) > _overlap(cuboid, neighbours) + 0.05 * fitted.size[0] * fitted.size[1]:
        reason = "the fit would run into a neighbouring box"
        return FitOutcome(cuboid, False, partial.points, reason, partial.confidence, own)
    obj = object_points(cuboid, points, ground, eps=partial.cell)  # the points the fit went by
    # the scene's heading stands against the box's only where the points did not turn the fit from it
    # a heading the scene or the track's motion gives stands against the box's where the points did not
    # turn the fit from it: a box turned away from it must explain its points clearly better (a far
    # truck's or bus's motion, from a few dozen points over 8-15 m, is not sure enough for that)
    sure = from_scene or (prior_size or cuboid.size)[0] <= LONGEST
    doubt = (
        sure and heading_hint is not None and abs(wrap_angle(fitted.yaw - heading_hint)) <= HEADING_TOLERANCE
    )
    if not shrink or not already_fits(cuboid, fitted, obj, sensor_xy, occlusion, doubt):
        return FitOutcome(fitted, fitted != cuboid, partial.points, "", partial.confidence, own)
    return FitOutcome(cuboid, False, partial.points, "", partial.confidence, own)


def _too_sparse(points: int, min_points: int, prior: Sequence[float]) -> bool:
    """Whether a vehicle's fit on ``points`` object points is too weak to move its box: fewer than
    `SURE_SHARE` times ``min_points`` (a dozen returns of a car at 80 m lie on one face; the fit would
    give it the prior's length and width, which move a true box more than they help a rough one)."""
    return prior[0] >= ELONGATED * prior[1] and points < SURE_SHARE * min_points


def fit_frame(
    cuboids: Sequence[Cuboid],
    points: np.ndarray,
    ground: GroundModel | None = None,
    rotate: bool = True,
    min_points: int = MIN_POINTS,
    priors: Sequence[Sequence[float] | None] | None = None,
    headings: Sequence[float | None] | None = None,
    sensor_xy: Sequence[float] = (0.0, 0.0),
    hint_windows: Sequence[float | None] | None = None,
    size_classes: Sequence[Sequence[float]] = (),
    extra_points: Sequence[np.ndarray | None] | None = None,
) -> FitReport:
    """Fit every box of a frame (see `fit_box`); the ground is estimated from ``points`` when not given.

    ``priors``: per box, the size for sides the sensor does not see in full (class default or the
    track's agreed size; None: the box's own). ``headings``: per box, a heading to point along (a
    track's motion, see `annotator.core.cuboids.fit_priors.track_motion`) or None; ``hint_windows``: per box,
    how far the L-shape may turn from that heading (None: `TURN_WINDOW`). ``size_classes``: the typical
    sizes an object whose points outgrow its prior may take instead (see `fit_partial`).
    ``extra_points``: per box, more points (K, 3) of its object in this frame's coordinates, or None: the
    track's neighbouring sweeps (`annotator.core.cuboids.track_sweeps.track_points`); those inside
    another box of this frame do not count. The ground and the occlusions stay this frame's.
    A box with weak evidence of its own is then fitted again around the heading of the nearest
    confidently fitted parallel vehicle (`annotator.core.cuboids.scene_heading`), unless a track's
    motion gives its heading, and with its class's length the frame's confident fits show in full
    (`annotator.core.cuboids.scene_size`) as its prior's; a usable first fit is not traded for a refused one.
    """
    pts = np.asarray(points)[:, :3]
    model = ground if ground is not None else estimate_ground(pts)
    index = PointIndex(pts)
    occlusion = Occlusion(pts, model, sensor_xy)  # every return hides, the neighbours' too
    inside = [index.indices_inside(cuboid) for cuboid in cuboids]
    holders = np.zeros(len(pts), dtype=np.int32)  # how many boxes hold each point
    for found in inside:
        holders[found] += 1

    def fit_one(
        position: int, scene_yaw: float | None = None, scene_size: Sequence[float] | None = None
    ) -> FitOutcome:
        cuboid = cuboids[position]
        around = index.indices_inside(cuboid.grown(GATHER_MARGIN))
        own = np.zeros(len(pts), dtype=bool)
        own[inside[position]] = True
        mine = around[holders[around] - own[around] == 0]  # in no other box
        neighbours = [c for j, c in enumerate(cuboids) if j != position]
        prior = scene_size or (None if priors is None else priors[position])
        extra = None if extra_points is None else extra_points[position]
        if extra is not None and not wants_sweeps(len(inside[position]), prior or cuboid.size):
            extra = None  # enough points in this sweep, or an object without a shape to sharpen
        return fit_box(
            cuboid,
            pts[mine],
            model,
            neighbours,
            rotate,
            min_points,
            True,
            prior,
            None if headings is None else headings[position],
            sensor_xy,
            None if hint_windows is None else hint_windows[position],
            occlusion,
            size_classes,
            None if extra is None else points_outside(extra, neighbours),
            scene_yaw,
        )

    report = FitReport([fit_one(position) for position in range(len(cuboids))])
    placed = [Placed(o.cuboid, 0 if o.reason else o.own_points) for o in report.outcomes]
    class_sizes = list(priors) if priors is not None else [None] * len(cuboids)
    for position, outcome in enumerate(report.outcomes):
        others = placed[:position] + placed[position + 1 :]
        yaw = None
        if headings is None or headings[position] is None:  # (a travelling track's motion gives one)
            yaw = scene_heading(cuboids[position], outcome.own_points, others)
        own_prior = class_sizes[position]
        others_priors = class_sizes[:position] + class_sizes[position + 1 :]
        size = None if outcome.reason else scene_prior(own_prior, outcome.own_points, others, others_priors)
        if yaw is None and size is None:
            continue
        again = fit_one(position, yaw, size)
        if outcome.reason or not again.reason:  # a usable fit is not traded for a refusal
            report.outcomes[position] = again
    return report


def points_outside(points: np.ndarray, others: Sequence[Cuboid]) -> np.ndarray:
    """The points (N, >=3) not inside any of ``others`` (a box's own points, without its neighbours')."""
    pts = np.asarray(points)
    keep = np.ones(len(pts), dtype=bool)
    for other in others:
        keep &= ~other.points_inside(pts)
    return pts[keep]


def local_ground(points: np.ndarray, cuboid: Cuboid) -> GroundModel:
    """The ground under and around a box from nearby points (flat at its bottom when too few)."""
    pts = np.asarray(points)[:, :3]
    if len(pts) < 10:
        return GroundModel.flat(cuboid.z_range()[0])
    return estimate_ground(pts, cell=1.0, window=5.0)


def refit_keep_size(
    cuboid: Cuboid,
    points: np.ndarray,
    ground: GroundModel | float | None = None,
    margin: float = 0.5,
    min_points: int = MIN_POINTS,
    sensor: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> Cuboid:
    """A predicted box moved (not resized, not turned) onto the object points around it.

    Points inside the box grown by ``margin`` that are not ground decide. Along the box's length and
    width: when the points span less than the box, the box is placed against the side of the points that
    faces the ``sensor`` (the side a LiDAR sees), else centred on them. Height stays. With fewer than
    ``min_points`` points the box is returned unchanged.
    """
    pts = np.asarray(points)[:, :3]
    grown = cuboid.grown(margin)
    near = pts[grown.points_inside(pts)]
    if isinstance(ground, GroundModel):
        model = ground
    elif ground is not None:
        model = GroundModel.flat(float(ground))
    else:
        model = GroundModel.flat(cuboid.z_range()[0])
    near = near[~model.is_ground(near, 0.15)]
    if len(near) < min_points:
        return cuboid
    local = cuboid.world_to_box(near).astype(np.float64)
    eye = cuboid.world_to_box(np.array([sensor], dtype=np.float64))[0]
    shift = np.zeros(3)
    for axis in (0, 1):
        lo, hi, size = local[:, axis].min(), local[:, axis].max(), cuboid.size[axis]
        if hi - lo >= size or lo <= eye[axis] <= hi:
            shift[axis] = (lo + hi) / 2.0
        elif eye[axis] < lo:
            shift[axis] = lo + size / 2.0
        else:
            shift[axis] = hi - size / 2.0
    centre = cuboid.box_to_world(shift[None])[0]
    return cuboid.replace(center=tuple(centre))
