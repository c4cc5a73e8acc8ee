"""From network outputs to boxes: heatmap peaks, box-side distances, per-class probabilities, NMS."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from annotator.core.box2d import box2d_iou_matrix
from plugins.paddle_det2d.config import STRIDE

logger = logging.getLogger(__name__)


@dataclass
class Decoded:
    """Detections of one image in original-image pixels, best first."""

    boxes: np.ndarray  # (N, 4) x1, y1, x2, y2
    labels: np.ndarray  # (N,)
    scores: np.ndarray  # (N,)
    probabilities: np.ndarray  # (N, C) class heatmap values at the peak, normalised to sum 1


def sigmoid(values: np.ndarray) -> np.ndarray:
    """Logistic function, safe for large magnitudes."""
    return 0.5 * (1.0 + np.tanh(0.5 * values))


def local_maxima(scores: np.ndarray) -> np.ndarray:
    """Mask of cells of a (h, w) map that are the maximum of their 3x3 neighbourhood."""
    padded = np.pad(scores, 1, constant_values=-np.inf)
    height, width = scores.shape
    neighbourhood = [padded[dy : dy + height, dx : dx + width] for dy in range(3) for dx in range(3)]
    return scores >= np.max(neighbourhood, axis=0)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression (best first)."""
    order = np.argsort(-scores, kind="stable")
    iou = box2d_iou_matrix(boxes[order], boxes[order])
    suppressed = np.zeros(len(order), dtype=bool)
    keep = []
    for position in range(len(order)):
        if suppressed[position]:
            continue
        keep.append(order[position])
        suppressed |= iou[position] > iou_threshold
    return np.array(keep, dtype=np.int64)


def decode(
    heatmap: np.ndarray,
    distances: np.ndarray,
    scale: float,
    image_size: tuple[int, int],
    score_threshold: float,
    nms_iou: float,
    max_detections: int,
) -> Decoded:
    """Detections from one image's heatmap probabilities (C, h, w) and distances (4, h, w) in cells.

    A cell is a candidate when its best class is a 3x3 peak of the best-class map; its box is the cell
    centre minus/plus the distances, mapped back through the stride and ``scale`` and clipped to the
    image of ``image_size`` (height, width).
    """
    best = heatmap.max(axis=0)
    candidates = local_maxima(best) & (best >= score_threshold)
    rows, cols = np.nonzero(candidates)
    order = np.argsort(-best[rows, cols], kind="stable")[:max_detections]
    rows, cols = rows[order], cols[order]
    centre_x, centre_y = cols + 0.5, rows + 0.5
    left, top, right, bottom = distances[:, rows, cols]
    boxes = np.stack([centre_x - left, centre_y - top, centre_x + right, centre_y + bottom], axis=1)
    boxes = boxes.astype(np.float64) * (STRIDE / scale)
    height, width = image_size
    boxes[:, 0::2] = boxes[:, 0::2].clip(0, width)
    boxes[:, 1::2] = boxes[:, 1::2].clip(0, height)
    class_scores = heatmap[:, rows, cols].T.astype(np.float64)
    probabilities = class_scores / np.clip(class_scores.sum(axis=1, keepdims=True), 1e-12, None)
    labels = class_scores.argmax(axis=1) if len(rows) else np.zeros(0, dtype=np.int64)
    scores = best[rows, cols].astype(np.float64)
    valid = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    keep = np.nonzero(valid)[0]
    keep = keep[nms(boxes[keep], scores[keep], nms_iou)] if len(keep) else keep
    return Decoded(boxes[keep], labels[keep], scores[keep], probabilities[keep].reshape(-1, len(heatmap)))
