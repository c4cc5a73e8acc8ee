"""Aggregating K stochastic predictions of one frame (one camera) into per-object uncertainty measures.

Boxes of the K passes are matched greedily, highest score first: a box joins the object whose first
(highest-scoring) box it overlaps most, at IoU >= ``iou_threshold`` (rotated bird's-eye-view IoU for
cuboids, plain IoU for 2D boxes), and an object holds at most one box per pass.

Each pass gives an object a distribution over the C classes plus "no object": ``score * p`` for the
classes (``p`` the box's class probabilities, normalised, or one-hot of its label) and ``1 - score`` for
"no object"; a pass that did not find the object gives "no object" with certainty. From these:

- ``entropy``: predictive entropy of the mean distribution, divided by log(C + 1) (0..1);
- ``class_entropy``: entropy of the class distribution among the passes that found the object (mean of
  their ``p``), divided by log C (0..1; 0 with one class): how unsure the class is, given an object;
- ``mutual_information``: BALD, the predictive entropy minus the mean entropy of the passes, also
  divided by log(C + 1) (0..1): high when the passes disagree;
- ``presence``: the share of passes that found the object;
- ``centre_variance`` (m² or px²: the trace of the centres' covariance), ``size_variance`` (likewise
  for l, w, h or the 2D width/height), ``heading_variance`` (circular variance of yaw, 0..1, 3D only);
- ``stability``: the mean IoU of the object's boxes to the mean box (1 when they agree exactly);
- ``uncertainty`` = 1 - score * stability * (1 - class_entropy), in 0..1, where ``score`` is the mean
  score over all K passes (0 for a pass that missed the object): doubt whether it is an object, where it
  is, and what it is each raise it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from annotator.core.box2d import Box2D
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.cuboids.rotation import wrap_angle, wrap_angles
from annotator.ml.protocol import Detections

logger = logging.getLogger(__name__)

DEFAULT_IOU_THRESHOLD = 0.3
MEASURES = (
    "uncertainty",
    "entropy",
    "class_entropy",
    "mutual_information",
    "presence",
    "stability",
    "centre_variance",
    "size_variance",
    "heading_variance",
)


@dataclass
class AggregatedBox:
    """One object found in some of the K passes, with its mean box and uncertainty measures."""

    box: np.ndarray
    label: int
    class_name: str
    score: float
    probabilities: np.ndarray
    measures: dict[str, float]
    members: dict[int, int] = field(default_factory=dict)
    camera: str | None = None
    #: A latent feature vector of the object, when the plugin gives one (diversity in the review queue).
    embedding: list[float] | None = None
    #: The latent vector of the whole frame (the same on each of its boxes), when the plugin gives one: the
    #: frame's scoring stores it for the OOD reference (`annotator.ml.uncertainty.verified_ood`).
    frame_embedding: list[float] | None = None

    @property
    def uncertainty(self) -> float:
        """The combined measure (0: sure, 1: not at all)."""
        return self.measures["uncertainty"]


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two boxes of the protocol's layout: rotated BEV IoU for cuboids, plain IoU for 2D boxes."""
    if len(a) == 4:
        return Box2D(*a).iou(Box2D(*b))
    first, second = Cuboid.from_array(a), Cuboid.from_array(b)
    reach = math.hypot(a[3], a[4]) / 2 + math.hypot(b[3], b[4]) / 2
    if math.hypot(a[0] - b[0], a[1] - b[1]) > reach:  # footprints cannot touch
        return 0.0
    return bev_iou(first, second)


def match_passes(
    samples: Sequence[Detections], iou_threshold: float = DEFAULT_IOU_THRESHOLD
) -> list[dict[int, int]]:
    """Group the passes' boxes into objects: a list of {pass: box index}, each with at most one box per pass."""
    pool = [(float(score), k, i) for k, result in enumerate(samples) for i, score in enumerate(result.scores)]
    pool.sort(key=lambda item: (-item[0], item[1], item[2]))
    objects: list[dict[int, int]] = []
    anchors: list[np.ndarray] = []
    for _, k, i in pool:
        box = samples[k].boxes[i]
        best, best_iou = -1, iou_threshold
        for position, (members, anchor) in enumerate(zip(objects, anchors, strict=True)):
            if k in members:
                continue
            overlap = box_iou(anchor, box)
            if overlap >= best_iou:
                best, best_iou = position, overlap
        if best < 0:
            objects.append({k: i})
            anchors.append(box)
        else:
            objects[best][k] = i
    return objects


def pass_distribution(result: Detections, index: int) -> np.ndarray:
    """One pass's distribution over the classes plus "no object" for box ``index``."""
    classes = len(result.class_names)
    if result.probabilities is not None:
        p = np.clip(result.probabilities[index], 0.0, None)
        total = p.sum()
        p = p / total if total > 0 else np.full(classes, 1.0 / classes)
    else:
        p = np.zeros(classes)
        p[int(result.labels[index])] = 1.0
    score = float(np.clip(result.scores[index], 0.0, 1.0))
    return np.append(score * p, 1.0 - score)


def entropy(distribution: np.ndarray) -> float:
    """Shannon entropy in nats (0 log 0 = 0)."""
    p = distribution[distribution > 0]
    return float(-(p * np.log(p)).sum())


def mean_box(boxes: np.ndarray) -> np.ndarray:
    """The mean of boxes: coordinates averaged; for cuboids the angles as circular means.

    Yaws pointing the other way than the first box's (a heading flip) are turned by pi first, so that
    boxes that agree on the footprint but not the heading average to that footprint, not across it;
    the flip still shows in ``heading_variance``.
    """
    mean = boxes.mean(axis=0)
    if boxes.shape[1] >= 7:
        for column in range(6, boxes.shape[1]):
            angles = boxes[:, column].copy()
            if column == 6:
                flipped = np.abs(wrap_angles(angles - angles[0])) > math.pi / 2
                angles[flipped] += math.pi
            mean[column] = wrap_angle(math.atan2(np.sin(angles).mean(), np.cos(angles).mean()))
    return mean


def box_spread(boxes: np.ndarray) -> tuple[float, float, float]:
    """(centre variance, size variance, heading circular variance) of an object's boxes."""
    if boxes.shape[1] == 4:
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2
        sizes = boxes[:, 2:] - boxes[:, :2]
        heading = 0.0
    else:
        centres, sizes = boxes[:, :3], boxes[:, 3:6]
        yaw = boxes[:, 6]
        heading = float(1.0 - math.hypot(np.cos(yaw).mean(), np.sin(yaw).mean()))
    centre_variance = float(((centres - centres.mean(axis=0)) ** 2).sum(axis=1).mean())
    size_variance = float(((sizes - sizes.mean(axis=0)) ** 2).sum(axis=1).mean())
    return centre_variance, size_variance, max(heading, 0.0)


def aggregate(
    samples: Sequence[Detections], iou_threshold: float = DEFAULT_IOU_THRESHOLD
) -> list[AggregatedBox]:
    """Match the K passes' boxes into objects and measure each object's uncertainty (module docstring).

    All passes must share ``class_names``; the result is sorted by uncertainty, most uncertain first.
    """
    if not samples:
        return []
    class_names = samples[0].class_names
    if any(result.class_names != class_names for result in samples):
        raise ValueError("all passes must have the same class_names")
    passes = len(samples)
    norm = math.log(len(class_names) + 1)
    background = np.zeros(len(class_names) + 1)
    background[-1] = 1.0
    results = []
    for members in match_passes(samples, iou_threshold):
        distributions = [
            pass_distribution(samples[k], members[k]) if k in members else background for k in range(passes)
        ]
        mean_distribution = np.mean(distributions, axis=0)
        predictive = entropy(mean_distribution)
        expected = float(np.mean([entropy(d) for d in distributions]))
        by_score = sorted(members.items(), key=lambda item: -samples[item[0]].scores[item[1]])
        boxes = np.array([samples[k].boxes[i] for k, i in by_score])
        centre = mean_box(boxes)
        stability = float(np.mean([box_iou(box, centre) for box in boxes]))
        centre_variance, size_variance, heading_variance = box_spread(boxes)
        presence = len(members) / passes
        class_share = mean_distribution[:-1]
        probabilities = class_share / class_share.sum() if class_share.sum() > 0 else class_share
        label = int(np.argmax(probabilities))
        found_classes = np.mean(
            [distributions[k][:-1] / max(distributions[k][:-1].sum(), 1e-12) for k in members], axis=0
        )
        found_classes = found_classes / found_classes.sum() if found_classes.sum() > 0 else found_classes
        classes = len(class_names)
        class_entropy = entropy(found_classes) / math.log(classes) if classes > 1 else 0.0
        score = float(1.0 - mean_distribution[-1])
        measures = {
            "uncertainty": float(np.clip(1.0 - score * stability * (1.0 - class_entropy), 0.0, 1.0)),
            "entropy": predictive / norm,
            "class_entropy": class_entropy,
            "mutual_information": max(predictive - expected, 0.0) / norm,
            "presence": presence,
            "stability": stability,
            "centre_variance": centre_variance,
            "size_variance": size_variance,
            "heading_variance": heading_variance,
        }
        results.append(
            AggregatedBox(
                centre,
                label,
                class_names[label],
                score,
                probabilities,
                measures,
                dict(members),
                samples[0].camera,
            )
        )
    results.sort(key=lambda found: -found.uncertainty)
    return results


def frame_reductions(found: Sequence[AggregatedBox]) -> dict[str, float]:
    """A frame's uncertainty: max, mean and sum over its objects (0 for a frame without any)."""
    values = np.array([box.uncertainty for box in found], dtype=float)
    if values.size == 0:
        return {"max": 0.0, "mean": 0.0, "sum": 0.0}
    return {"max": float(values.max()), "mean": float(values.mean()), "sum": float(values.sum())}
