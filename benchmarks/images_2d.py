"""Image panel budgets: deriving 2D boxes for many frames (one command) and the LiDAR points overlay.

Prints medians of repeats. Run: ``python benchmarks/images_2d.py``.
"""

from __future__ import annotations

import logging
import statistics
import time

import numpy as np

from annotator.core.camera import CameraCalibration
from annotator.core.commands import UndoStack
from annotator.core.derive import DeriveBoxes2D
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.geometry import Cuboid
from annotator.core.project import Project
from annotator.core.records import Annotation, Frame

logger = logging.getLogger(__name__)

AXES = ((0.0, -1.0, 0.0, 0.0), (0.0, 0.0, -1.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 1.0))
K = ((721.5, 0.0, 609.6), (0.0, 721.5, 172.9), (0.0, 0.0, 1.0))


def _median_ms(function, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def bench_derive(frames: int = 1000, cuboids: int = 30) -> float:
    """Deriving boxes for ``frames`` x ``cuboids`` in one command (replacing the previous run's)."""
    rng = np.random.default_rng(0)
    project = Project()
    stack = UndoStack(project)
    camera = CameraCalibration("image_2", K, AXES, 1242, 375)
    ids = stack.push(
        AddFrames(
            [
                Frame(0, f"{i:06d}", i, images={"image_2": "x.png"}, cameras={"image_2": camera})
                for i in range(frames)
            ]
        )
    ).ids
    boxes = [
        Annotation(
            0,
            fid,
            "Car",
            cuboid=Cuboid(
                (rng.uniform(-40, 60), rng.uniform(-20, 20), -0.9), (4.0, 1.8, 1.5), rng.uniform(-3, 3)
            ),
        )
        for fid in ids
        for _ in range(cuboids)
    ]
    stack.push(AddAnnotations(boxes))
    return _median_ms(lambda: stack.push(DeriveBoxes2D(ids)), repeats=3)


def bench_points_overlay(points: int = 150_000) -> float:
    """Projecting and splatting a level-of-detail cloud into a 1242 x 375 overlay (UI thread)."""
    from PySide6.QtGui import QGuiApplication

    from annotator.qt.image_items import points_overlay

    _app = QGuiApplication.instance() or QGuiApplication([])
    rng = np.random.default_rng(1)
    xyz = np.column_stack(
        [rng.uniform(-60, 60, points), rng.uniform(-40, 40, points), rng.uniform(-2, 2, points)]
    )
    camera = CameraCalibration("image_2", K, AXES, 1242, 375)
    return _median_ms(lambda: points_overlay(camera, xyz, 1242, 375))


if __name__ == "__main__":
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(f"derive 2D boxes, 1,000 frames x 30 cuboids, one command: {bench_derive():.0f} ms (median of 3)")
    print(f"derive 2D boxes, 1 frame x 30 cuboids:                   {bench_derive(1):.1f} ms (median of 3)")
    print(
        f"LiDAR points overlay, 150,000 points into 1242x375:     {bench_points_overlay():.1f} ms (median of 5)"
    )
