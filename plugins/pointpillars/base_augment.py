"""Augmentations that make the base detector sensor-agnostic.

On top of the global flips, rotation and scale of `plugins.pointpillars.augment`: ground-truth sampling
(objects cut from other generated frames pasted where they collide with nothing), beam down-sampling
(every 2nd or 4th beam, so a 64-beam frame looks like a 32- or 16-beam one), random point dropout, and a
height jitter that stands for the ground estimate's error. Pasted pedestrians and cyclists are often moved to
stand just in front of a wall, hedge, pole or trunk, and every pasted object hides what stands behind it
(`plugins.pointpillars.base_placement`). Half the pasted objects are first turned about the sensor to a
random azimuth: what the sensor sees of them is unchanged, but they no longer run along the street (cars
across it, in driveways and side streets, as real scenes hold them). Frames arrive ground-levelled
(`plugins.pointpillars.base_data`), so pasted objects stand on the ground whatever sensor saw them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from plugins.pointpillars.augment import augment, rotate_about_sensor
from plugins.pointpillars.base_data import BASE_GROUND_Z, CachedFrame
from plugins.pointpillars.base_placement import against_structure, polar, shadow, structure_points
from plugins.pointpillars.config import CLASSES
from plugins.pointpillars.training import TrainSample

logger = logging.getLogger(__name__)

#: Objects pasted per frame (at most), and the fewest points a pasted object brings.
PASTE_COUNT = 12
PASTE_MIN_POINTS = 15
#: Chances of beam down-sampling and point dropout, the dropout's largest share, the height jitter (m).
BEAM_DROP_CHANCE = 0.5
MIN_BEAMS = 16
POINT_DROP_CHANCE = 0.3
POINT_DROP_MAX = 0.3
Z_JITTER = 0.1
#: Objects left with fewer points than this after down-sampling become "don't care".
MIN_LABEL_POINTS = 5
#: Classes whose pasted objects are moved in front of a structure, and the chance that one is.
STANDING_CLASSES = tuple(CLASSES.index(name) for name in ("Pedestrian", "Cyclist"))
AGAINST_STRUCTURE_CHANCE = 0.5
#: The chance that a pasted object is turned about the sensor to a random azimuth first.
TURN_CHANCE = 0.5


@dataclass
class BankObject:
    """One object's points (K, 4), beams, box (7,), label and the beam count of its sensor."""

    points: np.ndarray
    ring: np.ndarray
    box: np.ndarray
    label: int
    beams: int


class ObjectBank:
    """Labelled objects of the training frames, by class, for ground-truth sampling."""

    def __init__(self, frames: Sequence[CachedFrame], classes: int) -> None:
        self.by_class: list[list[BankObject]] = [[] for _ in range(classes)]
        for frame in frames:
            counts = np.bincount(frame.owner[frame.owner >= 0], minlength=len(frame.boxes))
            for k in np.flatnonzero((frame.labels >= 0) & (counts >= PASTE_MIN_POINTS)):
                mine = frame.owner == k
                self.by_class[int(frame.labels[k])].append(
                    BankObject(
                        frame.points[mine],
                        frame.ring[mine],
                        frame.boxes[k],
                        int(frame.labels[k]),
                        frame.beams,
                    )
                )

    def __len__(self) -> int:
        return sum(len(objects) for objects in self.by_class)

    def draw(self, rng: np.random.Generator, count: int) -> list[BankObject]:
        """``count`` objects, classes drawn evenly (rare classes as often as cars)."""
        present = [objects for objects in self.by_class if objects]
        if not present:
            return []
        chosen = []
        for _ in range(count):
            objects = present[int(rng.integers(len(present)))]
            chosen.append(objects[int(rng.integers(len(objects)))])
        return chosen


def _footprint_radius(boxes: np.ndarray) -> np.ndarray:
    return 0.5 * np.hypot(boxes[:, 3], boxes[:, 4])


def points_in_box(points: np.ndarray, box: np.ndarray) -> np.ndarray:
    """A mask of the ``points`` inside ``box`` (x, y, z, length, width, height, yaw; centre at mid-height)."""
    radius = float(_footprint_radius(box[None])[0])
    near = np.flatnonzero(
        (np.abs(points[:, 0] - box[0]) <= radius) & (np.abs(points[:, 1] - box[1]) <= radius)
    )
    d = points[near, :2] - box[:2]
    c, s = np.cos(box[6]), np.sin(box[6])
    along, across = d[:, 0] * c + d[:, 1] * s, -d[:, 0] * s + d[:, 1] * c
    inside = np.zeros(len(points), dtype=bool)
    inside[near] = (
        (np.abs(along) <= box[3] / 2)
        & (np.abs(across) <= box[4] / 2)
        & (np.abs(points[near, 2] - box[2]) <= box[5] / 2)
    )
    return inside


def turned(cloud: np.ndarray, box: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Copies of an object's points and box turned by ``angle`` about the sensor (its range, and the side
    the sensor sees, stay the same)."""
    cloud, boxes = cloud.copy(), np.asarray(box, dtype=np.float64)[None, :7].copy()
    rotate_about_sensor(cloud, boxes, angle)
    return cloud, boxes[0]


def paste_objects(frame: CachedFrame, bank: ObjectBank, rng: np.random.Generator) -> CachedFrame:
    """``frame`` with up to `PASTE_COUNT` bank objects added where their footprint is free (by `TURN_CHANCE`
    turned to another azimuth; pedestrians and cyclists, by `AGAINST_STRUCTURE_CHANCE`, then moved just in
    front of a structure of the frame); the frame's own
    points inside a pasted box, or in its shadow, are removed; the frame's objects left with fewer than
    `MIN_LABEL_POINTS` points become "don't care"."""
    boxes, labels = frame.boxes, frame.labels
    taken = [boxes]
    points, ring, owner = [frame.points], [frame.ring], [frame.owner]
    keep = np.ones(len(frame.points), dtype=bool)
    structure = frame.points[structure_points(frame.points, frame.owner, BASE_GROUND_Z)]
    seen = polar(frame.points)
    total = len(boxes)
    for obj in bank.draw(rng, PASTE_COUNT):
        cloud, box = obj.points, obj.box
        if rng.random() < TURN_CHANCE:
            cloud, box = turned(cloud, box, float(rng.uniform(-np.pi, np.pi)))
        if obj.label in STANDING_CLASSES and rng.random() < AGAINST_STRUCTURE_CHANCE:
            moved = against_structure(cloud, box, structure, rng)
            if moved is not None:
                cloud, box = moved
        placed = np.concatenate(taken)
        gap = np.hypot(*(placed[:, :2] - box[:2]).T) if len(placed) else np.zeros(0)
        if np.any(gap < _footprint_radius(placed) + _footprint_radius(box[None])[0] + 0.3):
            continue
        keep &= ~points_in_box(frame.points, box) & ~shadow(seen, cloud)
        taken.append(box[None])
        labels = np.append(labels, obj.label)
        points.append(cloud)
        ring.append(obj.ring if obj.beams == frame.beams else np.zeros(len(obj.ring), np.uint8))
        owner.append(np.full(len(cloud), total, dtype=np.int64))
        total += 1
    kept = frame.owner[keep]
    counts = np.bincount(kept[kept >= 0], minlength=len(boxes))[: len(boxes)]
    labels = np.concatenate(
        [np.where(counts >= MIN_LABEL_POINTS, labels[: len(boxes)], -1), labels[len(boxes) :]]
    )
    keep_all = np.concatenate([keep, np.ones(sum(len(p) for p in points[1:]), dtype=bool)])
    return CachedFrame(
        np.concatenate(points)[keep_all],
        np.concatenate(ring)[keep_all],
        np.concatenate(owner)[keep_all],
        np.concatenate(taken),
        labels,
        frame.beams,
    )


def thin(frame: CachedFrame, rng: np.random.Generator) -> CachedFrame:
    """Beam down-sampling and point dropout at random; objects left with too few points become "don't
    care"."""
    keep = np.ones(len(frame.points), dtype=bool)
    factors = [f for f in (2, 4) if frame.beams // f >= MIN_BEAMS]
    if factors and rng.random() < BEAM_DROP_CHANCE:
        factor = factors[int(rng.integers(len(factors)))]
        keep &= frame.ring % factor == rng.integers(factor)
    if rng.random() < POINT_DROP_CHANCE:
        keep &= rng.random(len(keep)) >= rng.uniform(0.0, POINT_DROP_MAX)
    if keep.all():
        return frame
    owner = frame.owner[keep]
    counts = np.bincount(owner[owner >= 0], minlength=len(frame.boxes))
    labels = np.where(counts >= MIN_LABEL_POINTS, frame.labels, -1)
    return CachedFrame(frame.points[keep], frame.ring[keep], owner, frame.boxes, labels, frame.beams)


def base_sample(frame: CachedFrame, bank: ObjectBank | None, rng: np.random.Generator) -> TrainSample:
    """One augmented training sample of a cached frame."""
    if bank is not None:
        frame = paste_objects(frame, bank, rng)
    frame = thin(frame, rng)
    points, boxes = augment(frame.points, frame.boxes, rng)
    dz = np.float32(rng.normal(0.0, Z_JITTER))
    points[:, 2] += dz
    boxes[:, 2] += dz
    return TrainSample(points, boxes, frame.labels, np.ones(len(boxes), dtype=np.float32))
