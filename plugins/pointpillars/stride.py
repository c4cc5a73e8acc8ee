"""A walker's heading from his legs: pedestrian proposals turned to the axis of a wide stride.

The network places a pedestrian's box well but reads its heading from a 0.64 m grid; on real walkers it
falls back on a prior (KITTI's walker crossing 8 m ahead, his feet 1.1 m apart across the line of sight,
gets a box along it: BEV IoU 0.33, and 0.66 turned). Legs in mid-stride are direct evidence: the points of
the leg zone (`LEG_ZONE`: above the ankles, below the hips) of a person striding spread along the walking
direction, much farther than a body is deep or wide. Where they spread at least `MIN_STRIDE` m (5-95 %
percentiles along their principal axis) and at least `ELONGATION` times as far as across it, the box is
turned to that axis (keeping the front the network chose; its place and size stay). A person standing
(feet together) or too few leg points (`MIN_LEG_POINTS`) leave the box as it was.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence

import numpy as np

from annotator.ml.protocol import Detections

logger = logging.getLogger(__name__)

#: Classes whose proposals are turned to a stride.
STRIDE_CLASSES = ("Pedestrian",)
#: The leg zone: from this height (m) above the box bottom to this share of the box height.
LEG_ZONE = (0.15, 0.45)
#: Beyond the box's half length, how far (m) around its centre the legs' points are gathered.
REACH = 0.15
#: The smallest spread (m) of the legs that counts as a stride, and its smallest ratio to the spread across.
MIN_STRIDE = 0.7
ELONGATION = 2.0
#: Fewer leg points than this say nothing.
MIN_LEG_POINTS = 10


def stride_heading(box: np.ndarray, points: np.ndarray) -> float | None:
    """The heading of the stride of the legs in ``box`` (x, y, z, l, w, h, yaw; centre at mid-height),
    the end nearer the box's own heading, or None when its leg points show no clear stride."""
    reach = max(float(box[3]), float(box[4])) / 2.0 + REACH
    near = points[np.abs(points[:, 0] - np.float32(box[0])) < reach]  # a strip first: cheap
    height = float(box[5])
    bottom = float(box[2]) - height / 2.0
    offsets = np.asarray(near[:, :2], dtype=np.float64) - np.asarray(box[:2], dtype=np.float64)
    legs = (
        (np.hypot(offsets[:, 0], offsets[:, 1]) < reach)
        & (near[:, 2] > bottom + LEG_ZONE[0])
        & (near[:, 2] < bottom + LEG_ZONE[1] * height)
    )
    if int(legs.sum()) < MIN_LEG_POINTS:
        return None
    spread = offsets[legs] - offsets[legs].mean(axis=0)
    # The principal axis of the 2x2 covariance in closed form (cheaper than eigh and percentile calls).
    (xx, xy), (_, yy) = spread.T @ spread
    heading = 0.5 * math.atan2(2.0 * float(xy), float(xx - yy))
    axis = np.array([math.cos(heading), math.sin(heading)])
    length = percentile_span(spread @ axis)
    width = percentile_span(spread @ np.array([-axis[1], axis[0]]))
    if length < MIN_STRIDE or length < ELONGATION * width:
        return None
    if math.cos(heading - float(box[6])) < 0.0:
        heading = math.remainder(heading + math.pi, 2.0 * math.pi)
    return heading


def percentile_span(values: np.ndarray) -> float:
    """The distance between the 5th and the 95th percentile of ``values`` (linear interpolation, as
    ``np.percentile``'s default)."""
    ordered = np.sort(values)
    last = len(ordered) - 1

    def at(share: float) -> float:
        position = share * last
        below = int(position)
        above = min(below + 1, last)
        return float(ordered[below] + (position - below) * (ordered[above] - ordered[below]))

    return at(0.95) - at(0.05)


def leg_band(points: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """The ``points`` at the height of any of ``boxes``' leg zones (one pass over the cloud, so that each
    box then searches a slice of it)."""
    bottoms = boxes[:, 2] - boxes[:, 5] / 2.0
    low = float(np.min(bottoms)) + LEG_ZONE[0]
    high = float(np.max(bottoms + LEG_ZONE[1] * boxes[:, 5]))
    z = points[:, 2]
    return points[(z > low) & (z < high)]


def align_to_strides(
    found: Detections, points: np.ndarray | None, classes: Sequence[str] = STRIDE_CLASSES
) -> Detections:
    """``found`` with the proposals of ``classes`` turned to their legs' stride where one shows
    (`stride_heading`); the others, and everything when there are no points, as they were."""
    if points is None or not len(found) or not found.is_3d:
        return found
    wanted = [i for i, name in enumerate(found.class_names) if name in classes]
    rows = np.flatnonzero(np.isin(found.labels, wanted))
    if not len(rows):
        return found
    boxes = found.boxes.copy()
    points = leg_band(points, boxes[rows])
    turned = 0
    for row in rows:
        heading = stride_heading(boxes[row], points)
        if heading is not None:
            boxes[row, 6] = heading
            turned += 1
    if not turned:
        return found
    logger.debug("%d of %d proposals turned to their stride", turned, len(found))
    return dataclasses.replace(found, boxes=boxes)
