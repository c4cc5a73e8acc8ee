"""Partial views for distillation: objects seen only from their near side, with fewer points.

Real sweeps show many cars as a near face with a few sparse returns (Argoverse's far cars), where the
generated frames show them more completely; on such cars the student's boxes come out shorter than the
teacher's (`benchmarks/student_gap.py`). `partial_views` removes, from a share of a training sample's
objects, the points beyond the box centre as seen from the sensor and thins the rest, so that the teacher's
soft targets on the same cloud teach the student the teacher's boxes for partial objects (the labels stay
the whole, amodal boxes).
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np

from plugins.pointpillars.base_augment import points_in_box
from plugins.pointpillars.training import TrainSample

logger = logging.getLogger(__name__)

#: Share of an object's near-side points kept: drawn uniformly from this range.
KEPT_RANGE = (0.3, 1.0)


def partial_views(sample: TrainSample, share: float, rng: np.random.Generator) -> TrainSample:
    """``sample`` with each object (probability ``share``) cut to its near half and thinned."""
    boxes = np.asarray(sample.boxes, dtype=np.float64).reshape(-1, 7)
    chosen = boxes[rng.random(len(boxes)) < share]
    if share <= 0.0 or len(chosen) == 0:
        return sample
    points = np.asarray(sample.points)
    drop = np.zeros(len(points), dtype=bool)
    for box in chosen:
        inside = np.flatnonzero(points_in_box(points, box))
        if len(inside) == 0:
            continue
        toward = box[:2] / max(float(np.hypot(*box[:2])), 1e-6)
        far = (points[inside, :2] - box[:2]) @ toward > 0.0
        thinned = rng.random(len(inside)) > rng.uniform(*KEPT_RANGE)
        drop[inside[far | thinned]] = True
    return replace(sample, points=points[~drop])
