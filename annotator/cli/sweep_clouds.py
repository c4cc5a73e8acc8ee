"""The clouds `annotator fit` reads, kept for the neighbouring frames that lend their points.

Fitting a frame with its tracks' neighbouring frames (`annotator.core.cuboids.sweep_gathering`) needs the
points near a box in each of those frames; going through the frames in order, each cloud is read once
and kept (with a point index) while it is within reach.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.point_index import PointIndex
from annotator.core.errors import AnnotatorError
from annotator.core.model.project import Project
from annotator.core.model.records import Frame

logger = logging.getLogger(__name__)


class FrameClouds:
    """The last ``keep`` frames' clouds of a project, read on demand, each with a point index."""

    def __init__(self, project: Project, keep: int) -> None:
        self.project = project
        self.keep = max(int(keep), 1)
        self._clouds: OrderedDict[int, PointIndex] = OrderedDict()

    def index(self, frame: Frame) -> PointIndex:
        """The frame's points, indexed (read now unless kept); raises `AnnotatorError` on a bad cloud."""
        from annotator.io.pointcloud import read_point_cloud

        found = self._clouds.get(frame.id)
        if found is None:
            if not frame.cloud:
                raise AnnotatorError(f"frame {frame.name} has no point cloud")
            found = PointIndex(
                np.ascontiguousarray(read_point_cloud(self.project.resolve_path(frame.cloud)).xyz)
            )
            self._clouds[frame.id] = found
            while len(self._clouds) > self.keep:
                self._clouds.popitem(last=False)
        self._clouds.move_to_end(frame.id)
        return found

    def points_near(self, frame: Frame, box: Cuboid, margin: float) -> np.ndarray | None:
        """The frame's points within ``margin`` of ``box``, or None when its cloud cannot be read."""
        try:
            index = self.index(frame)
        except AnnotatorError as error:
            logger.warning("frame %s left out of the fit's neighbouring frames: %s", frame.name, error)
            return None
        return index.points[index.indices_inside(box, margin)]
