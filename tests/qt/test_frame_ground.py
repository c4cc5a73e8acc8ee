"""The frame's ground is estimated in a worker; a worker finishing after its window closed stays quiet."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")

import shiboken6
from PySide6.QtCore import QObject

from annotator.qt.editing.ground import FrameGround
from annotator.render.cloud import prepare_cloud


def _street_cloud() -> object:
    rng = np.random.default_rng(0)
    ground = np.column_stack([rng.uniform(-20, 20, (4000, 2)), rng.normal(-1.7, 0.02, 4000)])
    return prepare_cloud(ground.astype(np.float32))


def test_the_ground_of_the_shown_cloud_arrives_from_a_worker(qtbot) -> None:
    ground = FrameGround()
    with qtbot.waitSignal(ground.ready, timeout=10_000):
        ground.set_cloud(_street_cloud())
    assert ground.model is not None
    heights = ground.near(np.array([5.0, 5.0])).height_at(np.array([[5.0, 5.0]]))
    assert float(np.ravel(heights)[0]) == pytest.approx(-1.7, abs=0.1)


def test_a_job_finishing_after_its_window_closed_does_not_raise(qtbot) -> None:
    window = QObject()
    ground = FrameGround(window)
    runner = ground.jobs.runner
    ground.set_cloud(_street_cloud())
    window.deleteLater()  # closing the window while the estimate runs
    qtbot.waitUntil(lambda: not shiboken6.isValid(ground), timeout=5000)
    assert runner.wait(10.0)  # once raised "Signal source has been deleted" from the worker thread
    qtbot.wait(20)
