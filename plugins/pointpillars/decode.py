"""Raw network output to boxes: heatmap peaks, box values at the peaks, per-class probabilities.

Peaks are taken class-agnostically (the best class per cell, local maxima of a 3x3 window), so one object
gives one candidate even when two classes light up; its per-class probabilities are the class sigmoids at
that cell normalised to sum to 1, its score the best sigmoid.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from plugins.pointpillars.config import REGRESSION_CHANNELS, PillarConfig

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


def decode(output: torch.Tensor, config: PillarConfig, threshold: float, limit: int) -> list[Candidates]:
    """Candidates of every frame of a raw output (B, C + 9, H, W), best first, at most ``limit`` each."""
    classes = len(config.classes)
    heat = torch.sigmoid(output[:, :classes])
    best = heat.max(dim=1).values
    peaks = best * (best == F.max_pool2d(best, 3, 1, 1))
    width = best.shape[2]
    cell = config.output_cell
    result = []
    for b in range(output.shape[0]):
        scores, cells = peaks[b].flatten().topk(min(limit, peaks[b].numel()))
        keep = scores >= threshold
        scores, cells = scores[keep], cells[keep]
        rows, cols = cells // width, cells % width
        probabilities = heat[b, :, rows, cols].T
        values = output[b, classes:, rows, cols].T
        box, direction = values[:, :REGRESSION_CHANNELS], values[:, REGRESSION_CHANNELS]
        x = config.x_range[0] + (rows + 0.5 + box[:, 0]) * cell
        y = config.y_range[0] + (cols + 0.5 + box[:, 1]) * cell
        size = torch.exp(box[:, 3:6].clamp(*LOG_SIZE_BOUNDS))
        yaw = torch.atan2(box[:, 6], box[:, 7]) / 2.0 + torch.pi * (direction > 0)
        yaw = torch.remainder(yaw + torch.pi, 2.0 * torch.pi) - torch.pi
        yaw = torch.where(yaw <= -torch.pi, yaw + 2.0 * torch.pi, yaw)
        boxes = torch.cat([x[:, None], y[:, None], box[:, 2:3], size, yaw[:, None]], dim=1)
        result.append(
            Candidates(
                boxes.double().numpy(),
                probabilities.argmax(dim=1).numpy(),
                scores.double().numpy(),
                (probabilities / probabilities.sum(dim=1, keepdim=True)).double().numpy(),
            )
        )
    return result
