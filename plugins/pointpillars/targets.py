"""Training targets of one frame on the heatmap grid: class heatmaps, a loss-weight map, box values.

Each object draws an elliptical Gaussian, aligned with its box and peaking at 1 in the cell holding its
centre, on its class's heatmap; its box values are read at that cell. Objects of classes the detector does
not know (label -1) are "don't care": the loss ignores the cells around them. Objects with a weight below
1 (pseudo-labels) lower the loss weight around them to that weight. In a partial frame (an unverified
frame's confident pseudo-labels) the heatmap loss counts only around its boxes, which are not regressed
(they are the model's own outputs).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from plugins.pointpillars.config import REGRESSION_CHANNELS, PillarConfig

logger = logging.getLogger(__name__)

#: Smallest Gaussian spread (in heatmap cells) so that small objects still get a few soft neighbours.
MIN_SIGMA_CELLS = 0.75
#: Cells whose Gaussian value is at least this belong to an object's neighbourhood for the weight map.
FOOTPRINT = 0.05


@dataclass
class FrameTargets:
    """Targets of one frame. ``cells`` are flat indices into the (H, W) heatmap grid of the objects'
    centres; ``boxes`` (K, 8) their regression values, ``direction`` (K,) 1 when the heading is the axis
    angle + pi, ``weights`` (K,) their loss weights."""

    heatmap: np.ndarray
    weight_map: np.ndarray
    cells: np.ndarray
    boxes: np.ndarray
    direction: np.ndarray
    weights: np.ndarray


def axis_angle(yaw: np.ndarray) -> np.ndarray:
    """The heading modulo pi, in (-pi/2, pi/2] (what sin/cos of twice the yaw determine)."""
    return np.arctan2(np.sin(2.0 * yaw), np.cos(2.0 * yaw)) / 2.0


def encode_boxes(boxes: np.ndarray, config: PillarConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre cells (K, 2) int, regression values (K, 8) and direction bits (K,) of (K, 7) boxes."""
    cell = config.output_cell
    grid = (boxes[:, :2] - np.array([config.x_range[0], config.y_range[0]])) / cell
    cells = np.floor(grid).astype(np.int64)
    yaw = boxes[:, 6]
    values = np.column_stack(
        [
            grid - cells - 0.5,
            boxes[:, 2],
            np.log(np.maximum(boxes[:, 3:6], 1e-2)),
            np.sin(2.0 * yaw),
            np.cos(2.0 * yaw),
        ]
    )
    direction = (np.cos(yaw - axis_angle(yaw)) < 0).astype(np.float32)
    return cells, values.astype(np.float32), direction


def gaussian(box: np.ndarray, centre: np.ndarray, config: PillarConfig) -> tuple[slice, slice, np.ndarray]:
    """An object's Gaussian on the window of cells around its centre cell: (rows, columns, values)."""
    cell = config.output_cell
    sigma = np.maximum(box[3:5] / 6.0, MIN_SIGMA_CELLS * cell)
    radius = int(np.ceil(3.0 * sigma.max() / cell))
    h, w = config.output_shape
    rows = slice(max(centre[0] - radius, 0), min(centre[0] + radius + 1, h))
    cols = slice(max(centre[1] - radius, 0), min(centre[1] + radius + 1, w))
    dx = (np.arange(rows.start, rows.stop) - centre[0])[:, None] * cell
    dy = (np.arange(cols.start, cols.stop) - centre[1])[None, :] * cell
    c, s = np.cos(box[6]), np.sin(box[6])
    along, across = dx * c + dy * s, -dx * s + dy * c
    return rows, cols, np.exp(-0.5 * ((along / sigma[0]) ** 2 + (across / sigma[1]) ** 2))


def build_targets(
    boxes: np.ndarray, labels: np.ndarray, weights: np.ndarray, config: PillarConfig, partial: bool = False
) -> FrameTargets:
    """Targets from (M, 7+) LiDAR-frame boxes, labels indexing ``config.classes`` (-1: don't care) and
    per-object loss weights (M,). ``partial``: the heatmap loss counts only around the boxes (at their
    weights), elsewhere the frame is unknown, not background; the boxes are not regressed."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, boxes.shape[-1] if len(boxes) else 7)[:, :7]
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    weights = np.asarray(weights, dtype=np.float32).reshape(-1)
    h, w = config.output_shape
    heatmap = np.zeros((len(config.classes), h, w), dtype=np.float32)
    weight_map = np.full((h, w), 0.0 if partial else 1.0, dtype=np.float32)
    cells, values, direction = encode_boxes(boxes, config)
    inside = (cells[:, 0] >= 0) & (cells[:, 0] < h) & (cells[:, 1] >= 0) & (cells[:, 1] < w)
    for k in np.flatnonzero(inside):
        rows, cols, peak = gaussian(boxes[k], cells[k], config)
        near = peak >= FOOTPRINT
        region = weight_map[rows, cols]
        weight = 0.0 if labels[k] < 0 else weights[k]
        if partial and labels[k] >= 0:  # known around the box, at its weight
            weight_map[rows, cols] = np.where(near, np.maximum(region, weight), region)
        elif labels[k] < 0 or weights[k] < 1.0:
            weight_map[rows, cols] = np.where(near, np.minimum(region, weight), region)
        elif weights[k] > 1.0:  # emphasised (an object the model missed): its heatmap counts more
            weight_map[rows, cols] = np.where(near, np.maximum(region, weight), region)
        if labels[k] >= 0:
            np.maximum(heatmap[labels[k], rows, cols], peak, out=heatmap[labels[k], rows, cols])
    # a partial frame's boxes are the model's own: regressing to them would only reinforce its errors
    keep = inside & (labels >= 0) & (weights > 0) & (not partial)
    return FrameTargets(
        heatmap,
        weight_map,
        cells[keep, 0] * w + cells[keep, 1],
        values[keep].reshape(-1, REGRESSION_CHANNELS),
        direction[keep],
        weights[keep],
    )
