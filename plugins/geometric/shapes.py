"""Naming fitted boxes from what LiDAR saw of them, and completing partly seen boxes.

The classifier is hand-set. Each class has a plausible range of length, width and height. LiDAR sees
at most two sides of an object, so observed extents fall short of the true ones: the side facing the
sensor (the *face*) is measured, the *depth* behind it (bonnets, roofs, far sides) is a lower bound, and
a top cut by the scanner's upper field-of-view limit says nothing about the height. Extents larger than
a class's range are penalised hard, a face shorter than it softly, depth and cut heights not at all.
Both readings are tried: the face is the object's side (its length) or its front or back (its width).
A thin footprint seen at an angle bounds the depth (a deeper object would have shown a second side),
the extent of the top part of the points tells people and cyclists (a narrow torso) from the back of a
car (wide up to the roof), and a lorry's side shows a gap under its body where a wall reaches the ground.
Among plausible classes, the one whose typical size and weight (how common it is) fit best names the
object.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid

logger = logging.getLogger(__name__)

#: A footprint narrower than this (m) is one visible side (its depth is bounded by `_depth_limit`).
THIN = 0.5
#: A box side closer than this (radians) to the line of sight may be depth rather than a face, and one
#: closer than `EDGE_ON` surely is (LiDAR cannot see a surface edge-on).
ALONG_SIGHT = math.radians(30.0)
EDGE_ON = math.radians(5.0)
#: Heights (m) above the ground whose coverage along the face is `Observation.low_cover`.
LOW_BAND = (0.2, 0.55)
#: Points above this share of the box height form its "top part" for `Observation.top_extent`.
TOP_PART = 0.65


@dataclass(frozen=True)
class ClassPrior:
    """Sizes (length, width, height in m) of a class: typical (the mean) and its spread, smallest and
    largest plausible, how fast the likelihood falls below the smallest, the plausible extent (m) of the
    top part of the points seen from the side and from the end, how common the class is, and how much of
    its side may be covered just above the ground (`Observation.low_cover`: lorries show a gap)."""

    name: str
    typical: tuple[float, float, float]
    spread: tuple[float, float, float]
    low: tuple[float, float, float]
    high: tuple[float, float, float]
    shortfall: tuple[float, float, float]
    top_side: tuple[float, float] = (0.0, math.inf)
    top_end: tuple[float, float] = (0.0, math.inf)
    weight: float = 1.0
    max_low_cover: float = 1.0


# Typical sizes: the mean of the KITTI, nuScenes and Waymo anchor sizes of the class (published label
# statistics: KITTI labels tight boxes, nuScenes and Waymo amodal ones), spreads close to KITTI's.
PRIORS = (
    ClassPrior("Car", (4.4, 1.85, 1.65), (0.45, 0.12, 0.15), (3.2, 1.45, 1.3), (5.4, 2.15, 1.95),
               (1.2, 0.4, 0.35), (1.0, math.inf), (0.9, math.inf), 1.0),
    ClassPrior("Van", (5.0, 1.95, 2.2), (0.5, 0.12, 0.22), (4.3, 1.75, 1.85), (6.5, 2.4, 2.9),
               (1.5, 0.4, 0.3), (2.0, math.inf), (1.0, math.inf), 0.6),
    ClassPrior("Truck", (10.0, 2.5, 3.3), (2.5, 0.2, 0.4), (6.0, 2.2, 2.6), (16.5, 3.0, 4.3),
               (3.0, 0.5, 0.3), (1.5, math.inf), (1.2, math.inf), 0.6, 0.75),
    ClassPrior("Pedestrian", (0.8, 0.7, 1.75), (0.25, 0.15, 0.12), (0.35, 0.35, 1.2), (1.2, 1.1, 2.05),
               (0.08, 0.08, 0.15), (0.0, 0.8), (0.0, 0.8), 1.0),
    ClassPrior("Cyclist", (1.76, 0.7, 1.75), (0.2, 0.12, 0.1), (1.4, 0.35, 1.3), (2.2, 1.1, 2.05),
               (0.3, 0.15, 0.15), (0.0, 1.0), (0.0, 0.8), 0.7),
)  # fmt: skip
#: Vertical beam spacing (radians) assumed when estimating how much of an object's top fell between beams.
BEAM_SPACING = math.radians(0.4)
CLASS_NAMES = tuple(p.name for p in PRIORS)
#: How fast (m) the likelihood falls above the largest plausible length, width and height.
EXCESS_SCALE = (0.3, 0.25, 0.2)
#: How fast (m) the likelihood falls outside the plausible top-part extent.
TOP_SCALE = 0.15
#: How far (m) an amodal label's top lies above the object's highest surface (labels enclose the points
#: with a small margin).
LABEL_MARGIN = 0.05


@dataclass(frozen=True)
class Observation:
    """What a fitted box tells: the extents of the ``face`` LiDAR saw and of the ``depth`` behind it, the
    box axis along the face (0: the box's length axis, 1: its width axis), ``height`` from the ground,
    whether the depth is thin (one side seen), whether the top is cut by the field of view,
    ``top_extent``: the larger extent (m) of the top part of the points along the box's sides, and
    ``depth_limit``: the most depth a thin footprint seen at an angle can hide, ``height_slack``: how
    much of the top may have fallen between two beams at the object's range, and ``low_cover``: the share
    of the face (in half-metre steps) with points between `LOW_BAND` above the ground (a wall is covered
    all along, a lorry only at its wheels and cab)."""

    face: float
    depth: float
    face_axis: int
    height: float
    thin: bool
    top_cut: bool
    top_extent: float
    depth_limit: float = math.inf
    height_slack: float = 0.0
    low_cover: float = 0.0


def observe(box: Cuboid, points: np.ndarray, max_elevation: float | None = None) -> list[Observation]:
    """The possible `Observation` s of a box fitted to ``points`` (sensor at the origin; ``max_elevation``
    in radians is the scanner's upper limit, None when unknown).

    The face is the box's longer side; when that side runs near the line of sight (within `ALONG_SIGHT`)
    the shorter side may be the face instead, and within `EDGE_ON` it must be.
    """
    length, width, height = box.size
    local = box.world_to_box(points).astype(np.float64)
    top = local[local[:, 2] >= (TOP_PART - 0.5) * height]
    top_extent = float(np.ptp(top[:, :2], axis=0).max()) if len(top) >= 2 else 0.0
    top_cut = False
    if max_elevation is not None:
        elevation = np.arctan2(points[:, 2], np.hypot(points[:, 0], points[:, 1]))
        top_cut = bool(elevation.max() >= max_elevation - math.radians(0.6))
    centre = np.asarray(box.center[:2])
    sight = centre / max(float(np.linalg.norm(centre)), 1e-6)
    along = abs(float(sight @ [math.cos(box.yaw), math.sin(box.yaw)]))
    face_axes = [0] if along <= math.cos(ALONG_SIGHT) else [1] if along > math.cos(EDGE_ON) else [0, 1]
    slack = float(np.linalg.norm(centre)) * math.tan(BEAM_SPACING)
    observations = []
    above = local[:, 2] + height / 2.0
    low = local[(above >= LOW_BAND[0]) & (above <= LOW_BAND[1])]
    for axis in face_axes:
        face, depth = (width, length) if axis else (length, width)
        limit = _depth_limit(centre, box.yaw + axis * math.pi / 2.0, face, depth)
        bins = max(1, int(face / 0.5))
        cells = np.floor((low[:, axis] / face + 0.5) * bins).clip(0, bins - 1) if face > 0 else low[:, 0] * 0
        cover = len(np.unique(cells)) / bins
        observations.append(
            Observation(face, depth, axis, height, depth < THIN, top_cut, top_extent, limit, slack, cover)
        )
    return observations


def _depth_limit(centre: np.ndarray, face_yaw: float, face: float, depth: float) -> float:
    """Largest depth behind a thin face (direction ``face_yaw``) that would still look thin from the
    sensor at the origin."""
    if depth >= THIN:
        return math.inf
    along = abs(float(centre @ [math.cos(face_yaw), math.sin(face_yaw)]))  # sensor offset along the face
    if along <= face / 2.0 + 0.2:
        return math.inf  # the sensor faces the side: the ends are hidden whatever the depth
    slant = along / max(float(np.linalg.norm(centre)), 1e-6)
    return (depth + 0.2) / max(slant, 1e-3)


def _range_factor(value: float, low: float, high: float, shortfall: float | None, excess: float) -> float:
    """exp(-z^2 / 2) of how far ``value`` lies outside [low, high]; None ``shortfall``: no lower bound."""
    z = max(0.0, value - high) / excess
    if shortfall is not None:
        z += max(0.0, low - value) / shortfall
    return math.exp(-0.5 * z * z)


def _likelihood(obs: Observation, prior: ClassPrior, end_view: bool) -> float:
    """Likelihood of one reading of the footprint under a class: the face is the object's side
    (``end_view`` False) or its front or back (True)."""
    face, depth = (1, 0) if end_view else (0, 1)
    factor = _range_factor(
        obs.face, prior.low[face], prior.high[face], prior.shortfall[face], EXCESS_SCALE[face]
    )
    factor *= _range_factor(obs.depth, prior.low[depth], prior.high[depth], None, EXCESS_SCALE[depth])
    factor *= _range_factor(obs.depth_limit, prior.low[depth], math.inf, prior.shortfall[depth], 1.0)
    shortfall = None if obs.top_cut else prior.shortfall[2]
    factor *= _range_factor(
        obs.height, prior.low[2] - obs.height_slack, prior.high[2], shortfall, EXCESS_SCALE[2]
    )
    if not end_view:  # the gap under a lorry shows along its side
        factor *= _range_factor(obs.low_cover, 0.0, prior.max_low_cover, None, 0.1)
    top_low, top_high = prior.top_end if end_view else prior.top_side
    return factor * _range_factor(obs.top_extent, top_low, top_high, TOP_SCALE, TOP_SCALE)


def _typicality(obs: Observation, prior: ClassPrior, end_view: bool) -> float:
    """How typical the measured extents are for a class (breaks ties between plausible classes): a face
    longer than the class's typical size counts against it, and a height away from its typical one (the
    top may lie up to `Observation.height_slack` higher; a cut top only bounds it from below)."""
    face = 1 if end_view else 0
    z_face = max(0.0, obs.face - prior.typical[face]) / (2.0 * prior.spread[face])
    middle = obs.height + obs.height_slack / 2.0
    spread = math.hypot(prior.spread[2], obs.height_slack / 2.0, 0.1)
    z_height = (max(0.0, middle - prior.typical[2]) if obs.top_cut else middle - prior.typical[2]) / spread
    return prior.weight * math.exp(-0.5 * (z_face**2 + z_height**2))


@dataclass(frozen=True)
class ClassScores:
    """Per class in `PRIORS`: the likelihood in [0, 1] (how plausible the observation is for the class),
    its best reading (an observation and whether it is seen from the end), and the evidence (likelihood
    times typicality and class weight) whose normalised values are the class probabilities."""

    likelihood: np.ndarray
    readings: list[tuple[Observation, bool]]
    evidence: np.ndarray

    @property
    def best(self) -> int:
        """Index of the most probable class."""
        return int(np.argmax(self.evidence))

    @property
    def probabilities(self) -> np.ndarray:
        """The evidence normalised over the classes (uniform when there is none)."""
        total = float(self.evidence.sum())
        return self.evidence / total if total > 0 else np.full(len(self.evidence), 1.0 / len(self.evidence))


def class_likelihoods(observations: Observation | list[Observation]) -> ClassScores:
    """The `ClassScores` of the possible observations of a box, trying each with both readings (the face
    is the object's side or its end) per class."""
    options = [observations] if isinstance(observations, Observation) else observations
    readings = []
    likelihood = np.zeros(len(PRIORS))
    evidence = np.zeros(len(PRIORS))
    for i, prior in enumerate(PRIORS):
        value, obs, end = max(
            ((_likelihood(o, prior, e), o, e) for o in options for e in (False, True)), key=lambda r: r[0]
        )
        readings.append((obs, end))
        likelihood[i] = value
        evidence[i] = value * _typicality(obs, prior, end)
    return ClassScores(likelihood, readings, evidence)


def complete_box(
    box: Cuboid,
    prior: ClassPrior,
    end_view: bool,
    obs: Observation,
    sensor_xy: tuple[float, float] = (0.0, 0.0),
) -> Cuboid:
    """The box turned so its length runs along the class's reading (the face for a side view, the depth
    for an end view) and grown to at least the class's typical length and width, keeping the sides
    nearer the sensor (the ones LiDAR saw) in place; sides the sensor is level with grow symmetrically.
    The height grows from the ground up: a top cut by the field of view is only a lower bound, so it grows
    to the typical one; a seen top is the last beam on the roof or head, and the surface lies on average
    half a beam gap above it (`Observation.height_slack`), plus `LABEL_MARGIN`, within the class's
    plausible heights (a tall SUV stays tall, a low saloon low). The heading keeps a +x component."""
    if (obs.face_axis == 1) != end_view:
        box = box.replace(size=(box.size[1], box.size[0], box.size[2]), yaw=box.yaw + math.pi / 2.0)
    length, width, height = box.size
    c, s = math.cos(box.yaw), math.sin(box.yaw)
    dx, dy = sensor_xy[0] - box.center[0], sensor_xy[1] - box.center[1]
    sensor_local = (c * dx + s * dy, -s * dx + c * dy)
    shift = [0.0, 0.0]
    new_size = [length, width]
    for axis, (seen, typical) in enumerate(zip((length, width), prior.typical[:2])):
        if seen >= typical:
            continue
        new_size[axis] = typical
        if abs(sensor_local[axis]) > seen / 2.0:
            shift[axis] = -math.copysign((typical - seen) / 2.0, sensor_local[axis])
    if obs.top_cut:
        new_height = max(height, prior.typical[2])
    else:
        new_height = min(max(height + obs.height_slack / 2.0 + LABEL_MARGIN, prior.low[2]), prior.high[2])
    bottom = box.center[2] - height / 2.0
    centre = (
        box.center[0] + c * shift[0] - s * shift[1],
        box.center[1] + s * shift[0] + c * shift[1],
        bottom + new_height / 2.0,
    )
    yaw = box.yaw + math.pi if math.cos(box.yaw) < 0 else box.yaw
    return Cuboid(centre, (new_size[0], new_size[1], new_height), yaw)


def surface_fraction(box: Cuboid, points: np.ndarray, band: float = 0.2) -> float:
    """Share of the points lying within ``band`` (m) of the box's sides or top: high for vehicles and
    people, lower for bushes and clutter that fill their box irregularly."""
    if len(points) == 0:
        return 0.0
    local = box.world_to_box(points).astype(np.float64)
    half = np.asarray(box.size) / 2.0
    gap_sides = np.min(half[:2] - np.abs(local[:, :2]), axis=1)
    gap_top = half[2] - local[:, 2]
    near = np.minimum(gap_sides, gap_top) <= max(band, 0.1 * float(min(half[:2])))
    return float(np.mean(near))
