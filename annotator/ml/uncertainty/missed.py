"""Possible missed objects: the point clusters of a frame that no proposal explains.

A detector that accepts its confident boxes unreviewed leaves out what it never proposed. Instead of
reviewing such frames whole, escalation also sends a person to each place where something stands on
the ground and no proposal is:

1. the ground (`annotator.core.ground.estimate_ground`) is removed, the points between
   ``ground_tolerance`` and ``max_height`` above it are clustered (`cluster_points`) and each plausible
   cluster (footprint, floor gap, top: as the geometric detector rejects walls, canopies and kerbs) gets
   an upright box fitted to it (`fit_oriented_box`); a cluster too large to be an object is clustered
   again with finer cells (a person beside a hedge, cars parked bumper to bumper);
2. a cluster is *explained* when its centre, or at least half of its points, lies in a proposal grown by
   ``explained_margin``: the detector already says something about it;
3. each unexplained cluster gets an *objectness* in 0..1: before any frame is verified a fixed prior
   (`prior_objectness`: inside the size envelope of a car, cyclist or person with enough points), after
   that an `ObjectnessModel` learned from the verified frames' unexplained clusters (which of them lay on
   a labelled object), a logistic regression on their size, points, height and range.

Clusters at or above the escalation rule's ``cluster_threshold`` become review items ("possible missed
object"): accepting one adds its fitted box, dismissing it does nothing.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.fitting import cluster_points, fit_oriented_box
from annotator.core.ground import estimate_ground
from annotator.ml.uncertainty.error_model import fit_logistic, sigmoid

logger = logging.getLogger(__name__)

#: Clusters at or above this objectness are flagged as possible missed objects (chosen on Argoverse sweeps
#: 0-29: see the README; the prior flags what lies inside the object envelope).
DEFAULT_CLUSTER_THRESHOLD = 0.15
#: Objectness the prior gives a cluster inside the object envelope, and one outside it.
PRIOR_INSIDE, PRIOR_OUTSIDE = 0.6, 0.1
#: The object envelope of the prior: (min, max) top height above the ground (m), the longest side and
#: the shortest side of the footprint (m), and the least number of points.
ENVELOPE_TOP = (0.8, 3.2)
ENVELOPE_LENGTH = 6.5
ENVELOPE_WIDTH = 2.8
ENVELOPE_POINTS = 15
#: A cluster lies on a labelled object when its centre is within this margin (m) of the object's box.
TRUTH_MARGIN = 0.5
#: Features of `MissedCluster.features` (standardised by the model before fitting).
FEATURES = ("log_points", "log_points_at_10m", "length", "width", "top", "floor", "range", "length2", "width2", "top2")  # fmt: skip
MIN_EXAMPLES = 10


@dataclass(frozen=True)
class ClusterSettings:
    """How a frame's raised points are clustered and which clusters count."""

    max_range: float = 50.0
    ground_cell: float = 2.0
    ground_tolerance: float = 0.3
    max_height: float = 4.0
    eps: float = 0.45
    #: Clusters too large to be objects (a person by a hedge, parked cars touching) are clustered again
    #: with a cell this share of the last one, down to ``min_eps``.
    split_factor: float = 0.6
    min_eps: float = 0.15
    min_points: int = 8
    max_footprint: float = 12.0
    max_floor_gap: float = 1.3
    min_top: float = 0.5
    explained_margin: float = 0.2
    explained_share: float = 0.5


@dataclass(frozen=True)
class MissedCluster:
    """One unexplained cluster: its fitted box, number of points, top and lowest point above the ground
    (m), range from the sensor (m), objectness, and the index of the labelled object it lies on (None:
    none, or not known)."""

    box: Cuboid
    points: int
    top: float
    floor: float
    distance: float
    objectness: float = 0.0
    truth: int | None = None

    def features(self) -> list[float]:
        """The raw features `FEATURES` of the cluster."""
        length, width = float(self.box.size[0]), float(self.box.size[1])
        at_10m = self.points * max(self.distance, 1.0) ** 2 / 100.0
        return [
            math.log1p(self.points), math.log1p(at_10m), length, width, self.top, self.floor,
            self.distance / 10.0, length**2, width**2, self.top**2,
        ]  # fmt: skip


def prior_objectness(cluster: MissedCluster) -> float:
    """The objectness before anything is learned: `PRIOR_INSIDE` inside the object envelope, else
    `PRIOR_OUTSIDE`."""
    inside = (
        ENVELOPE_TOP[0] <= cluster.top <= ENVELOPE_TOP[1]
        and float(cluster.box.size[0]) <= ENVELOPE_LENGTH
        and float(cluster.box.size[1]) <= ENVELOPE_WIDTH
        and cluster.points >= ENVELOPE_POINTS
    )
    return PRIOR_INSIDE if inside else PRIOR_OUTSIDE


@dataclass(frozen=True)
class ObjectnessModel:
    """A logistic regression of "lies on an object" on the standardised `FEATURES`."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    examples: int

    @classmethod
    def fit(cls, clusters: Sequence[MissedCluster]) -> ObjectnessModel | None:
        """Fitted on clusters whose ``truth`` is known (None: fewer than `MIN_EXAMPLES`, or all of one kind)."""
        y = np.array([c.truth is not None for c in clusters], dtype=float)
        if len(clusters) < MIN_EXAMPLES or y.min() == y.max():
            return None
        x = np.array([c.features() for c in clusters], dtype=float)
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale < 1e-9] = 1.0
        design = np.column_stack([np.ones(len(x)), (x - mean) / scale])
        return cls(mean, scale, fit_logistic(design, y), len(y))

    def predict(self, clusters: Sequence[MissedCluster]) -> np.ndarray:
        """Objectness of each cluster."""
        if not clusters:
            return np.zeros(0)
        x = (np.array([c.features() for c in clusters], dtype=float) - self.mean) / self.scale
        return sigmoid(np.column_stack([np.ones(len(x)), x]) @ self.weights)


def scored(clusters: Sequence[MissedCluster], model: ObjectnessModel | None) -> list[MissedCluster]:
    """The clusters with their objectness from ``model`` (None: the prior)."""
    values = model.predict(clusters) if model is not None else [prior_objectness(c) for c in clusters]
    return [replace(c, objectness=float(v)) for c, v in zip(clusters, values, strict=True)]


def _footprint(xy: np.ndarray) -> float:
    return float(np.hypot(*(xy.max(axis=0) - xy.min(axis=0))))


def _plausible(above: np.ndarray, xy: np.ndarray, settings: ClusterSettings) -> bool:
    return (
        _footprint(xy) <= settings.max_footprint
        and float(above.min()) <= settings.max_floor_gap
        and float(above.max()) >= settings.min_top
    )


def _clusters(
    points: np.ndarray, above: np.ndarray, eps: float, settings: ClusterSettings
) -> list[np.ndarray]:
    """Index arrays of the plausible clusters of ``points``; too large ones clustered again, finer."""
    labels = cluster_points(points, eps=eps, min_points=settings.min_points)
    found = []
    for label in range(int(labels.max()) + 1 if len(labels) else 0):
        members = np.flatnonzero(labels == label)
        too_large = _footprint(points[members, :2]) > settings.max_footprint
        if _plausible(above[members], points[members, :2], settings):
            found.append(members)
        elif too_large and eps * settings.split_factor >= settings.min_eps:
            finer = _clusters(points[members], above[members], eps * settings.split_factor, settings)
            found += [members[part] for part in finer]
    return found


def _explained(
    box: Cuboid, points: np.ndarray, proposals: Sequence[Cuboid], settings: ClusterSettings
) -> bool:
    centre = np.array([box.center])
    margin = settings.explained_margin
    inside = np.zeros(len(points), dtype=bool)
    reach = float(np.hypot(*box.size[:2])) / 2.0 + margin
    for proposal in proposals:
        gap = float(np.hypot(proposal.center[0] - box.center[0], proposal.center[1] - box.center[1]))
        if gap > reach + float(np.hypot(*proposal.size[:2])) / 2.0:
            continue
        tall = proposal.replace(size=(proposal.size[0], proposal.size[1], proposal.size[2] + 2 * margin))
        if tall.points_inside(centre, margin)[0]:
            return True
        inside |= tall.points_inside(points, margin)
    return bool(inside.mean() >= settings.explained_share) if len(points) else False


def unexplained_clusters(
    points: np.ndarray, proposals: Sequence[Cuboid], settings: ClusterSettings | None = None
) -> list[MissedCluster]:
    """The plausible non-ground clusters of a cloud (N, >=3; sensor at the origin) that no proposal
    explains (module docstring), objectness 0 (see `scored`)."""
    settings = settings or ClusterSettings()
    xyz = np.asarray(points, dtype=np.float64)[:, :3] if len(points) else np.zeros((0, 3))
    xyz = xyz[np.all(np.isfinite(xyz), axis=1)]
    xyz = xyz[np.hypot(xyz[:, 0], xyz[:, 1]) <= settings.max_range + 5.0]
    if len(xyz) < settings.min_points:
        return []
    ground = estimate_ground(xyz, cell=settings.ground_cell)
    above = ground.height_above(xyz)
    raised = (above > settings.ground_tolerance) & (above < settings.max_height)
    obj, obj_above = xyz[raised], above[raised]
    groups = _clusters(obj, obj_above, settings.eps, settings)
    found = []
    for members in groups:
        pts, heights = obj[members], obj_above[members]
        ground_z = float(np.median(pts[:, 2] - heights))
        box = fit_oriented_box(pts, ground_z=ground_z)
        distance = float(np.hypot(box.center[0], box.center[1]))
        if distance > settings.max_range or _explained(box, pts, proposals, settings):
            continue
        found.append(MissedCluster(box, len(pts), float(heights.max()), float(heights.min()), distance))
    logger.debug("%d plausible clusters, %d unexplained", len(groups), len(found))
    return found


def with_truths(clusters: Sequence[MissedCluster], truths: Sequence[Cuboid]) -> list[MissedCluster]:
    """The clusters with ``truth`` set to the labelled object whose box (grown by `TRUTH_MARGIN`) holds
    the cluster's centre (the nearest such centre when several do; None when none)."""
    result = []
    for cluster in clusters:
        centre = np.array([cluster.box.center])
        holding = [
            (float(np.hypot(*(np.asarray(t.center[:2]) - centre[0, :2]))), j)
            for j, t in enumerate(truths)
            if t.replace(size=(t.size[0], t.size[1], t.size[2] + 2 * TRUTH_MARGIN)).points_inside(centre, TRUTH_MARGIN)[0]
        ]  # fmt: skip
        result.append(replace(cluster, truth=min(holding)[1] if holding else None))
    return result


def guess_class(box: Cuboid, default_sizes: Mapping[str, Sequence[float]]) -> str | None:
    """The class whose default size (length, width, height) is nearest the box's (sum of squared log
    ratios; None without classes)."""
    size = np.maximum(np.asarray(box.size[:3], dtype=float), 0.05)

    def distance(item: tuple[str, Sequence[float]]) -> float:
        default = np.maximum(np.asarray(item[1][:3], dtype=float), 0.05)
        return float(np.sum(np.log(size / default) ** 2))

    return min(default_sizes.items(), key=distance)[0] if default_sizes else None
