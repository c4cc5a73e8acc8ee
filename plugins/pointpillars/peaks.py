"""Raw network output to boxes in numpy (framework-free): heatmap peaks, box values at the peaks,
per-class probabilities. `plugins.pointpillars.decode` runs it on PyTorch output, the Paddle detector on its.

Peaks are taken class-agnostically (the best class per cell, local maxima of a 3x3 window), so one object
gives one candidate even when two classes light up; its per-class probabilities are the class sigmoids at
that cell normalised to sum to 1, its score the best sigmoid.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from annotator.ml.protocol import Detections
from plugins.pointpillars.config import REGRESSION_CHANNELS, PillarConfig
from plugins.pointpillars.nms import rotated_nms

logger = logging.getLogger(__name__)

#: Bounds of the predicted log sizes (about 5 cm to 55 m).
LOG_SIZE_BOUNDS = (-3.0, 4.0)


@dataclass
class Candidates:
    """Decoded boxes of one frame before NMS: (N, 7) boxes, labels, scores, (N, C) probabilities."""

    boxes: np.ndarray
    labels: np.ndarray
    scores: np.ndarray
    probabilities: np.ndarray

    def where(self, keep: np.ndarray) -> Candidates:
        """The candidates ``keep`` (a boolean mask) selects."""
        return Candidates(self.boxes[keep], self.labels[keep], self.scores[keep], self.probabilities[keep])


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, without overflow warnings for large negative logits."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def local_maxima(best: np.ndarray) -> np.ndarray:
    """``best`` (H, W) where it equals the maximum of its 3x3 neighbourhood, else 0."""
    padded = np.pad(best, 1, constant_values=-np.inf)
    h, w = best.shape
    window = np.max([padded[i : i + h, j : j + w] for i in range(3) for j in range(3)], axis=0)
    return np.where(best == window, best, 0.0).astype(best.dtype)


def decode_frame(output: np.ndarray, config: PillarConfig, threshold: float, limit: int) -> Candidates:
    """Candidates of one frame's raw output (C + 9, H, W), best first, at most ``limit``."""
    classes = len(config.classes)
    output = np.asarray(output, dtype=np.float32)
    heat = sigmoid(output[:classes])
    peaks = local_maxima(heat.max(axis=0)).ravel()
    width = heat.shape[2]
    count = min(limit, peaks.size)
    cells = np.argpartition(-peaks, count - 1)[:count] if count < peaks.size else np.arange(peaks.size)
    cells = cells[np.argsort(-peaks[cells], kind="stable")]
    cells = cells[peaks[cells] >= threshold]
    scores = peaks[cells].astype(np.float64)
    rows, cols = cells // width, cells % width
    probabilities = heat[:, rows, cols].T.astype(np.float64)
    values = output[classes:, rows, cols].T.astype(np.float64)
    box, direction = values[:, :REGRESSION_CHANNELS], values[:, REGRESSION_CHANNELS]
    cell = config.output_cell
    x = config.x_range[0] + (rows + 0.5 + box[:, 0]) * cell
    y = config.y_range[0] + (cols + 0.5 + box[:, 1]) * cell
    size = np.exp(np.clip(box[:, 3:6], *LOG_SIZE_BOUNDS))
    yaw = np.arctan2(box[:, 6], box[:, 7]) / 2.0 + np.pi * (direction > 0)
    yaw = np.remainder(yaw + np.pi, 2.0 * np.pi) - np.pi
    yaw = np.where(yaw <= -np.pi, yaw + 2.0 * np.pi, yaw)
    boxes = np.column_stack([x, y, box[:, 2], size, yaw]).reshape(-1, 7)
    total = probabilities.sum(axis=1, keepdims=True)
    return Candidates(
        boxes,
        probabilities.argmax(axis=1) if len(cells) else np.zeros(0, np.int64),
        scores,
        probabilities / np.where(total > 0, total, 1.0),
    )


def decode_arrays(output: np.ndarray, config: PillarConfig, threshold: float, limit: int) -> list[Candidates]:
    """Candidates of every frame of a raw output (B, C + 9, H, W), best first, at most ``limit`` each."""
    return [decode_frame(frame, config, threshold, limit) for frame in output]


def detections(
    candidates: Candidates, nms_iou: float, shift: float, classes: tuple[str, ...], version: str
) -> Detections:
    """The candidates left by rotated NMS at ``nms_iou``, moved back down by the ground ``shift`` the
    points were lifted by, as the protocol's `Detections`."""
    keep = rotated_nms(candidates.boxes, candidates.scores, nms_iou)
    boxes = candidates.boxes[keep].copy()
    boxes[:, 2] -= shift
    return Detections(
        boxes,
        candidates.labels[keep],
        candidates.scores[keep],
        classes,
        version,
        candidates.probabilities[keep],
    )
