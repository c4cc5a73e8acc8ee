"""From a LiDAR frame to object candidates: crop, ground model, clustering and cheap rejections."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.fitting import cluster_points
from annotator.core.ground import GroundModel, estimate_ground

logger = logging.getLogger(__name__)

#: Clusters whose bird's-eye bounding box has a longer diagonal than this (m) are walls or hedges.
MAX_FOOTPRINT = 19.0
#: Clusters starting higher than this above the ground (m) are canopies, signs or wires (the roof of a car
#: behind another car starts about a metre up).
MAX_FLOOR_GAP = 1.3
#: The coarse clustering that proposes merged hypotheses uses cells this many times the fine ones.
COARSE_FACTOR = 3
#: Clusters reaching less high than this above the ground (m) are kerbs, low bushes, debris.
MIN_TOP = 0.7
#: Points this far (m) beyond the maximum range still shape the ground and the clusters (an object on the
#: range limit is seen whole); only candidates centred within the range are kept.
CONTEXT = 10.0
#: The finer clustering that splits a cluster into the objects it may hold (people walking side by side, a
#: person next to a car) uses cells this share of the fine ones.
SPLIT_FACTOR = 0.6


@dataclass
class Candidate:
    """Object points (n, 3), the ground height under them, and the fine clusters they are made of
    (one for a single cluster; for a merged hypothesis those inside a coarse cluster, e.g. a car's bumper
    and cabin that the scanner saw as two strips, or a far car and the few points of its roof). ``split``
    marks a piece of a fine cluster found by the finer clustering (its ``parts`` name that cluster)."""

    points: np.ndarray
    ground_z: float
    parts: tuple[int, ...]
    merged: bool = False
    split: bool = False


class RaisedPoints:
    """All points above the ground with their cluster labels (-1: noise), indexed by bird's-eye cells."""

    def __init__(self, points: np.ndarray, labels: np.ndarray, cell: float = 1.0) -> None:
        self.points = points
        self.labels = labels
        self.cell = cell
        self._origin = points[:, :2].min(axis=0) if len(points) else np.zeros(2)
        ij = np.floor((points[:, :2] - self._origin) / cell).astype(np.int64)
        self._rows = int(ij[:, 1].max()) + 1 if len(points) else 1
        keys = ij[:, 0] * self._rows + ij[:, 1]
        self._order = np.argsort(keys, kind="stable")
        self._keys = keys[self._order]

    def near(self, box: Cuboid, margin: float) -> np.ndarray:
        """Indices of the raised points inside ``box`` grown by ``margin`` on every side."""
        corners = box.corners()[:, :2]
        lo = np.floor((corners.min(axis=0) - margin - self._origin) / self.cell).astype(np.int64)
        hi = np.floor((corners.max(axis=0) + margin - self._origin) / self.cell).astype(np.int64)
        lo[1], hi[1] = max(lo[1], 0), min(hi[1], self._rows - 1)
        if hi[1] < lo[1] or hi[0] < 0:
            return np.zeros(0, dtype=np.int64)
        ii, jj = np.meshgrid(np.arange(max(lo[0], 0), hi[0] + 1), np.arange(lo[1], hi[1] + 1))
        wanted = (ii * self._rows + jj).reshape(-1)
        starts = np.searchsorted(self._keys, wanted, "left")
        counts = np.searchsorted(self._keys, wanted, "right") - starts
        total = int(counts.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int64)
        # every index of every cell's run, without a Python loop: run starts repeated, plus 0, 1, 2, ...
        offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
        idx = self._order[offsets + np.arange(total)]
        return idx[box.points_inside(self.points[idx], margin)]

    def clutter(self, box: Cuboid, labels: tuple[int, ...], margin: float = 0.6) -> int:
        """Number of raised points of other clusters (or noise) inside ``box`` grown by ``margin``."""
        idx = self.near(box, margin)
        return int(np.count_nonzero(~np.isin(self.labels[idx], labels)))


@dataclass
class Segmentation:
    """The ground model of a frame, the clusters that may be objects, and all raised points."""

    ground: GroundModel
    candidates: list[Candidate]
    raised: RaisedPoints


def _groups(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point order grouping equal non-negative labels, and each group's start and end in that order."""
    member = np.flatnonzero(labels >= 0)
    order = member[np.argsort(labels[member], kind="stable")]
    starts = np.flatnonzero(np.diff(labels[order], prepend=-1))
    return order, starts, np.append(starts[1:], len(order))


def _plausible(points: np.ndarray, heights: np.ndarray, order: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per group: whether it may be an object (footprint, floor gap, top)."""
    if len(starts) == 0:
        return np.zeros(0, dtype=bool)
    xy, h = points[order, :2], heights[order]
    footprint = np.hypot(*(np.maximum.reduceat(xy, starts) - np.minimum.reduceat(xy, starts)).T)
    floor = np.minimum.reduceat(h, starts)
    top = np.maximum.reduceat(h, starts)
    return (footprint <= MAX_FOOTPRINT) & (floor <= MAX_FLOOR_GAP) & (top >= MIN_TOP)


def _one_behind_another(points: np.ndarray, labels: np.ndarray, parts: np.ndarray) -> bool:
    """True when clusters lie one behind another as seen from the sensor: together they span hardly
    more azimuth than the widest alone (a car's bumper and cabin; not two cars side by side)."""
    mean = np.arctan2(points[:, 1].mean(), points[:, 0].mean())
    azimuth = np.angle(np.exp(1j * (np.arctan2(points[:, 1], points[:, 0]) - mean)))
    widest = max(float(np.ptp(azimuth[labels == p])) for p in parts)  # noise points are no part
    return float(np.ptp(azimuth)) <= 1.3 * widest + np.radians(0.5)


def segment(
    points: np.ndarray,
    max_range: float,
    ground_cell: float,
    ground_tolerance: float,
    max_height: float,
    cluster_eps: float,
    min_points: int,
) -> Segmentation:
    """Ground model and object candidates of a cloud (N, >=3) in the sensor frame.

    Points above the ground are clustered finely in 3D (``cluster_eps``) and coarsely in bird's-eye view
    (`COARSE_FACTOR` times that, on the same grid, so every fine cluster lies in one coarse cluster). Candidates are the
    plausible fine clusters, except pieces of structures too large to be objects (walls), plus every
    plausible coarse cluster holding more than one fine cluster, as a merged hypothesis, when its pieces
    lie one behind another as seen from the sensor.
    """
    xyz = np.asarray(points)[:, :3]
    keep = np.all(np.isfinite(xyz), axis=1) & (np.hypot(xyz[:, 0], xyz[:, 1]) <= max_range + CONTEXT)
    xyz = xyz[keep]
    ground = estimate_ground(xyz, cell=ground_cell)
    above = ground.height_above(xyz)
    raised = (above > ground_tolerance) & (above < max_height)
    obj, obj_above = xyz[raised].astype(np.float64), above[raised]
    fine = cluster_points(obj, eps=cluster_eps, min_points=min_points)
    coarse = cluster_points(obj[:, :2], eps=COARSE_FACTOR * cluster_eps, min_points=min_points)
    raised_points = RaisedPoints(obj, fine)
    candidates = []

    def add(indices: np.ndarray, parts: tuple[int, ...], merged: bool = False, split: bool = False) -> None:
        centre = (obj[indices, :2].min(axis=0) + obj[indices, :2].max(axis=0)) / 2.0
        if float(np.hypot(*centre)) > max_range:
            return
        ground_z = float(np.median(obj[indices, 2] - obj_above[indices]))
        candidates.append(Candidate(obj[indices], ground_z, parts, merged, split))

    order, starts, ends = _groups(coarse)
    coarse_ok = _plausible(obj, obj_above, order, starts)
    for i in np.flatnonzero(coarse_ok):
        members = order[starts[i] : ends[i]]
        parts = np.unique(fine[members])
        parts = parts[parts >= 0]
        more = len(parts) > 1 or (len(parts) == 1 and np.any(fine[members] < 0))
        if more and _one_behind_another(obj[members], fine[members], parts):
            add(members, tuple(int(p) for p in parts), True)
    order, starts, ends = _groups(fine)
    fine_ok = _plausible(obj, obj_above, order, starts)
    for i in np.flatnonzero(fine_ok):
        members = order[starts[i] : ends[i]]
        add(members, (int(fine[members[0]]),), False)
    finer = cluster_points(obj, eps=SPLIT_FACTOR * cluster_eps, min_points=min_points)
    order, starts, ends = _groups(finer)
    finer_ok = _plausible(obj, obj_above, order, starts)
    pieces: dict[int, list[np.ndarray]] = {}
    for i in np.flatnonzero(finer_ok):
        members = order[starts[i] : ends[i]]
        parents = fine[members]
        if parents[0] >= 0 and np.all(parents == parents[0]):
            pieces.setdefault(int(parents[0]), []).append(members)
    for parent, groups in pieces.items():
        if len(groups) > 1:
            for members in groups:
                add(members, (parent,), split=True)
    logger.debug("segment: %d fine clusters, %d candidates", len(starts), len(candidates))
    return Segmentation(ground, candidates, raised_points)
