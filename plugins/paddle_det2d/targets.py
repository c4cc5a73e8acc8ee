"""Training targets on the stride-4 output grid, built in numpy (TTFNet-style, Liu et al. 2020).

Each object puts an elliptical Gaussian (sigma = alpha * size / 6 per axis, alpha = 0.54) on its class's
heatmap, peaking at 1 in the cell holding its centre, and asks the cells where its Gaussian is at least
`BOX_AREA` to regress its box, weighted by the Gaussian normalised over the object times log(area), so
large and small objects count alike. Smaller objects win cells shared with larger ones. Objects with
weight 0 are "ignore" regions: cells inside them give no negative heatmap loss.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from plugins.paddle_det2d.config import STRIDE

logger = logging.getLogger(__name__)

GAUSSIAN_ALPHA = 0.54
#: Cells whose Gaussian value reaches this regress the object's box.
BOX_AREA = 0.3
#: Inside ignored objects, cells where a labelled object's Gaussian reaches this still give negatives.
NEAR_OBJECT = 0.1


@dataclass
class Targets:
    """Targets of one image on a (h, w) grid; boxes are in cell units (x1, y1, x2, y2)."""

    heatmap: np.ndarray  # (C, h, w) Gaussian peaks, 1 at centres
    centers: np.ndarray  # (C, h, w) the object's weight at its centre cell, 0 elsewhere
    negatives: np.ndarray  # (h, w) 1 where negative heatmap loss counts (0 inside ignored objects)
    boxes: np.ndarray  # (4, h, w) the box a cell regresses
    box_weights: np.ndarray  # (h, w)


def build_targets(
    boxes: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    classes: int,
    grid: tuple[int, int],
    partial: bool = False,
) -> Targets:
    """Targets for boxes (N, 4) in network-input pixels, class indices and per-object weights (0: ignore).
    ``partial``: negatives count only near the boxes (the rest of a pseudo-labelled image is unknown) and
    the boxes are not regressed."""
    height, width = grid
    targets = Targets(
        np.zeros((classes, height, width), np.float32),
        np.zeros((classes, height, width), np.float32),
        np.full((height, width), 0.0 if partial else 1.0, np.float32),
        np.zeros((4, height, width), np.float32),
        np.zeros((height, width), np.float32),
    )
    cells = np.asarray(boxes, dtype=np.float64).reshape(-1, 4) / STRIDE
    sizes = np.clip(cells[:, 2:] - cells[:, :2], 1e-3, None)
    ys, xs = np.mgrid[0:height, 0:width]
    for index in np.argsort(-sizes.prod(axis=1), kind="stable"):
        box, (w, h) = cells[index], sizes[index]
        cx = int(np.clip((box[0] + box[2]) / 2, 0, width - 1))
        cy = int(np.clip((box[1] + box[3]) / 2, 0, height - 1))
        sx, sy = max(GAUSSIAN_ALPHA * w / 6, 0.3), max(GAUSSIAN_ALPHA * h / 6, 0.3)
        gaussian = np.exp(-((xs - cx) ** 2) / (2 * sx * sx) - ((ys - cy) ** 2) / (2 * sy * sy))
        gaussian = gaussian.astype(np.float32)
        if weights[index] <= 0:
            x1, y1 = np.floor(box[:2]).astype(int).clip(0)
            x2, y2 = np.ceil(box[2:]).astype(int)
            targets.negatives[y1:y2, x1:x2] = 0.0
            continue
        label = int(labels[index])
        np.maximum(targets.heatmap[label], gaussian, out=targets.heatmap[label])
        targets.centers[label, cy, cx] = max(targets.centers[label, cy, cx], float(weights[index]))
        if partial:  # pseudo boxes are the model's own: regressing to them would reinforce its errors
            continue
        area = gaussian >= BOX_AREA
        share = np.where(area, gaussian, 0.0) / gaussian[area].sum()
        targets.box_weights[area] = (share * np.log1p(w * h) * weights[index])[area]
        targets.boxes[:, area] = box[:, None]
    near_objects = targets.heatmap.max(axis=0) > NEAR_OBJECT
    targets.negatives[near_objects] = 1.0
    return targets


def stack_targets(items: list[Targets]) -> dict[str, np.ndarray]:
    """A batch of targets as arrays with a leading batch axis."""
    return {name: np.stack([getattr(t, name) for t in items]) for name in Targets.__dataclass_fields__}
