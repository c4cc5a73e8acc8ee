"""The LiDAR points overlay of the image panel, computed in a worker thread.

Projecting a cloud into a camera and colouring the points by depth takes a few hundred milliseconds for a
large cloud, so it runs off the UI thread as a job (`annotator.qt.jobs.QtJobs`, one thread); it reads the
arrays and calibration it is given, never the project. Each request carries a key (frame, camera, cloud,
image size); only the answer for the latest request is announced, older ones are dropped (also before
they start).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from annotator.core.camera import CameraCalibration
from annotator.jobs import JobContext, Outcome
from annotator.qt.images.image_items import points_overlay
from annotator.qt.jobs import QtJobs

logger = logging.getLogger(__name__)


class PointsOverlayWorker(QObject):
    """Computes points overlays in a worker thread; `ready` announces the latest request's answer."""

    #: key, the overlay QImage (None when it failed), an error message.
    ready = Signal(object, object, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.latest: Hashable | None = None
        self.jobs = QtJobs(self, name="points-overlay")

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

        def work(_context: JobContext) -> QImage:
            return points_overlay(calibration, xyz if subset is None else xyz[subset], *size)

        self.jobs.submit(work, name="overlay", on_done=lambda outcome: self._finished(key, outcome))

    def forget(self) -> None:
        """Drop whatever is in flight (the overlay is off, or there is nothing to project)."""
        self.latest = None
        self.jobs.forget()

    def wait(self, msecs: int = 10_000) -> bool:
        """Wait for the worker (tests, snapshots, shutdown)."""
        return self.jobs.wait(msecs)

    def _finished(self, key: Hashable, outcome: Outcome) -> None:
        if key != self.latest:
            logger.debug("stale points overlay dropped")
        elif outcome.error:
            self.ready.emit(key, None, f"LiDAR points could not be projected: {outcome.error}")
        else:
            self.ready.emit(key, outcome.result, "")
