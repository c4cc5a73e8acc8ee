"""The current frame's ground model, estimated in a worker thread when its cloud arrives."""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from annotator.core.creation import local_ground, local_window
from annotator.core.ground import GroundModel, estimate_ground
from annotator.render.cloud import PreparedCloud

logger = logging.getLogger(__name__)


class _Relay(QObject):
    done = Signal(object, object)  # cloud, GroundModel


class _GroundJob(QRunnable):
    def __init__(self, cloud: PreparedCloud, relay: _Relay) -> None:
        super().__init__()
        self.cloud = cloud
        self.relay = relay

    def run(self) -> None:
        try:
            sample = self.cloud.xyz[self.cloud.coarse]
            model = estimate_ground(sample)
        except Exception:  # a worker must always answer; the editor falls back to local estimates
            logger.exception("ground estimate failed")
            model = None
        try:
            self.relay.done.emit(self.cloud, model)
        except RuntimeError:  # the window closed while the estimate ran: nobody is left to tell
            logger.debug("ground estimate finished after its window was closed")


class FrameGround(QObject):
    """Ground of the shown cloud: the whole-frame model once the worker has it, else a local estimate."""

    #: The whole-frame model of the current cloud is ready.
    ready = Signal()

    def __init__(self, pool: QThreadPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = pool if pool is not None else QThreadPool.globalInstance()
        self._relay = _Relay()  # no parent: a job still running when the window closes keeps it alive
        self._relay.done.connect(self._finished)
        self._cloud: PreparedCloud | None = None
        self.model: GroundModel | None = None

    def set_cloud(self, cloud: PreparedCloud | None) -> None:
        """Start estimating the ground of ``cloud`` (the previous model is dropped)."""
        if cloud is self._cloud:
            return
        self._cloud = cloud
        self.model = None
        if cloud is not None and len(cloud):
            self._pool.start(_GroundJob(cloud, self._relay))

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
