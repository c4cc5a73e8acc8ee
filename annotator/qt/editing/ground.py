"""The current frame's ground model, estimated in a worker thread when its cloud arrives."""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import QObject, Signal

from annotator.core.cuboids.creation import local_ground, local_window
from annotator.core.ground import GroundModel, estimate_ground
from annotator.qt.jobs import QtJobs
from annotator.render.cloud import PreparedCloud

logger = logging.getLogger(__name__)


def frame_ground(cloud: PreparedCloud) -> GroundModel:
    """The whole-frame ground model of ``cloud`` from its coarse sample, the copy made when the cloud was
    prepared (runs as a job: reads the cloud only, never the project; gathering the sample afresh from a
    cloud out of core would bring most of its pages back)."""
    return estimate_ground(cloud.coarse_points().xyz)


class FrameGround(QObject):
    """Ground of the shown cloud: the whole-frame model once the worker has it, else a local estimate."""

    #: The whole-frame model of the current cloud is ready.
    ready = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = QtJobs(self, name="ground")
        self._cloud: PreparedCloud | None = None
        self.model: GroundModel | None = None

    def set_cloud(self, cloud: PreparedCloud | None) -> None:
        """Start estimating the ground of ``cloud`` (the previous model is dropped)."""
        if cloud is self._cloud:
            return
        self._cloud = cloud
        self.model = None
        if cloud is None or not len(cloud):
            self.jobs.forget()
            return
        # a later cloud's estimate supersedes this one; a failure leaves the local estimates in use
        self.jobs.submit(
            lambda _context: frame_ground(cloud),
            name="ground",
            on_done=lambda outcome: self._finished(cloud, outcome.result if outcome.ok else None),
        )

    def _finished(self, cloud: PreparedCloud, model: GroundModel | None) -> None:
        if cloud is self._cloud and model is not None:
            self.model = model
            self.ready.emit()

    def near(self, xy: np.ndarray) -> GroundModel:
        """The ground around bird's-eye point ``xy``: the frame model, or one estimated from nearby points."""
        if self.model is not None:
            return self.model
        cloud = self._cloud
        if cloud is None:
            return GroundModel.flat(0.0)
        nearby = cloud.index.indices_inside(local_window(xy))
        return local_ground(cloud.xyz[nearby])
