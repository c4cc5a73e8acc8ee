"""Proposal refinement by the geometric fitter: the detector's boxes placed on their points, and proposals
the points do not support dropped (the ``refine`` parameter, ``fit``).

The network places boxes from a coarse grid (0.32 m pillars, 0.64 m heatmap cells) and learned sizes, so
on real frames few of them fall within an annotator's tolerance. The partial-scan fitter of ``annotator
fit`` (`annotator.core.cuboids.box_fit.fit_frame`: ground and the neighbouring boxes' points left out,
visible faces on the points, sides the sensor does not see from the box's own size) places each proposal
on the object it covers; a fit below ``refine_min_confidence`` keeps the network's box. The same fit says
what the box holds, which is evidence against a proposal: fewer than ``refine_min_points`` object points
(the network fires on empty road and on a few returns of a kerb), or points that run on beyond the box (a
wall, a hedge, a fence: no object ends there). Such proposals are dropped.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import numpy as np

from annotator.core.cuboids.box_fit import FitOutcome, fit_frame
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.partial_fit import RUNS_ON_REASON
from annotator.ml.protocol import Detections

logger = logging.getLogger(__name__)

MODES = ("off", "fit", "drop")


@dataclass(frozen=True)
class RefineSettings:
    """``min_confidence``: the lowest fit confidence that moves a box; ``min_points``: the fewest object
    points a proposal keeps its place with; ``drop_walls``: drop proposals whose points run on beyond them."""

    min_confidence: float = 0.3
    min_points: int = 10
    drop_walls: bool = True


def supported(outcome: FitOutcome, settings: RefineSettings) -> bool:
    """Whether the points back a proposal: enough object points, and none running on beyond it."""
    if outcome.points < settings.min_points:
        return False
    return not (settings.drop_walls and RUNS_ON_REASON in outcome.reason)


def refine_detections(
    found: Detections, points: np.ndarray | None, settings: RefineSettings, move: bool = True
) -> Detections:
    """``found`` (LiDAR-frame cuboids) fitted to ``points`` (N, >=3, the same frame): confident fits replace
    their boxes (size, centre and heading; 9-DoF boxes keep their roll and pitch; ``move`` False: boxes are
    kept as they are), unsupported proposals are dropped; probabilities, labels and scores follow their
    boxes."""
    if points is None or len(found) == 0 or not found.is_3d:
        return found
    cuboids = [Cuboid.from_array(box) for box in found.boxes]
    report = fit_frame(cuboids, np.asarray(points)[:, :3])  # the fitter's own point floor, as annotator fit
    boxes = found.boxes.copy()
    keep = np.ones(len(found), dtype=bool)
    for position, outcome in enumerate(report.outcomes):
        keep[position] = supported(outcome, settings)
        if move and outcome.changed and not outcome.reason and outcome.confidence >= settings.min_confidence:
            boxes[position, :7] = outcome.cuboid.to_array()[:7]
    logger.debug("pointpillars: refine kept %d of %d proposals", int(keep.sum()), len(found))
    return dataclasses.replace(found, boxes=boxes).select(keep)
