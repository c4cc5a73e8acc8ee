"""Greedy rotated non-maximum suppression in bird's-eye view (numpy, CPU)."""

from __future__ import annotations

import logging

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou

logger = logging.getLogger(__name__)


def rotated_nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Indices of the (N, 7+) boxes kept, best score first: a box is dropped when it overlaps a kept,
    better-scoring box by more than ``iou_threshold`` (BEV IoU). Only pairs whose circumscribed circles
    meet are measured exactly."""
    boxes = np.asarray(boxes, dtype=np.float64)
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    if len(order) == 0:
        return order.astype(np.int64)
    centres = boxes[:, :2]
    radii = np.hypot(boxes[:, 3], boxes[:, 4]) / 2.0
    cuboids = [Cuboid(tuple(b[:3]), tuple(b[3:6]), float(b[6])) for b in boxes]
    alive = np.ones(len(boxes), dtype=bool)
    keep = []
    for rank, i in enumerate(order):
        if not alive[i]:
            continue
        keep.append(i)
        rest = order[rank + 1 :]
        rest = rest[alive[rest]]
        near = rest[np.hypot(*(centres[rest] - centres[i]).T) < radii[rest] + radii[i]]
        for j in near:
            if bev_iou(cuboids[i], cuboids[j]) > iou_threshold:
                alive[j] = False
    return np.array(keep, dtype=np.int64)
