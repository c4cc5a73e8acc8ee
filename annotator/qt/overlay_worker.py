"""The LiDAR points overlay of the image panel, computed in a worker thread.

Projecting a cloud into a camera and colouring the points by depth takes a few hundred milliseconds for a
large cloud, so it runs off the UI thread (the same pattern as the panel's image loader: a one-thread pool,
answers over a queued signal). Each request carries a key (frame, camera, cloud, image size); only the
answer for the latest request is announced, older ones are dropped (also before they start).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage

from annotator.core.camera import CameraCalibration
from annotator.qt.image_items import points_overlay

logger = logging.getLogger(__name__)


class _Relay(QObject):
    done = Signal(object, object, str)  # key, QImage or None, error message


class _OverlayJob(QRunnable):
    def __init__(
        self,
        key: Hashable,
        calibration: CameraCalibration,
        xyz: np.ndarray,
        subset: np.ndarray | None,
        size: tuple[int, int],
        owner: PointsOverlayWorker,
    ) -> None:
        super().__init__()
        self.key, self.calibration, self.xyz, self.subset, self.size = key, calibration, xyz, subset, size
        self.owner = owner

    def run(self) -> None:
        if self.key != self.owner.latest:  # superseded while queued
            return
        try:
            xyz = self.xyz if self.subset is None else self.xyz[self.subset]
            image = points_overlay(self.calibration, xyz, *self.size)
        except Exception as error:  # a bad calibration must not take the app down
            logger.warning("points overlay failed: %s", error)
            self.owner.relay.done.emit(self.key, None, f"LiDAR points could not be projected: {error}")
            return
        self.owner.relay.done.emit(self.key, image, "")


class PointsOverlayWorker(QObject):
    """Computes points overlays in a worker thread; `ready` announces the latest request's answer."""

    #: key, the overlay QImage (None when it failed), an error message.
    ready = Signal(object, object, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.latest: Hashable | None = None
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self.relay = _Relay(self)
        self.relay.done.connect(self._finished)

    def request(
        self,
        key: Hashable,
        calibration: CameraCalibration,
        xyz: np.ndarray,
        size: tuple[int, int],
        subset: np.ndarray | None = None,
    ) -> None:
        """Start computing the overlay of ``xyz`` (rows ``subset`` when given) for an image of ``size``."""
        self.latest = key
        self._pool.start(_OverlayJob(key, calibration, xyz, subset, size, self))

    def forget(self) -> None:
        """Drop whatever is in flight (the overlay is off, or there is nothing to project)."""
        self.latest = None

    def wait(self, msecs: int = 10_000) -> bool:
        """Wait for the worker (tests, snapshots, shutdown)."""
        return self._pool.waitForDone(msecs)

    def _finished(self, key: Hashable, image: QImage | None, error: str) -> None:
        if key == self.latest:
            self.ready.emit(key, image, error)
        else:
            logger.debug("stale points overlay dropped")
