"""Image panel budgets: deriving 2D boxes for many frames (one command), the LiDAR points overlay, and
the longest UI stall while the overlay is toggled (it is computed in a worker thread).

Prints medians of repeats. Run: ``python benchmarks/images_2d.py``.
"""

from __future__ import annotations

import logging
import statistics
import time

import numpy as np

from annotator.core.camera import CameraCalibration
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.derive import DeriveBoxes2D, plan_frame
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame

logger = logging.getLogger(__name__)

AXES = ((0.0, -1.0, 0.0, 0.0), (0.0, 0.0, -1.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 1.0))
K = ((721.5, 0.0, 609.6), (0.0, 721.5, 172.9), (0.0, 0.0, 1.0))


def _boxes_project(stack: UndoStack, frames: int, cuboids: int) -> list[int]:
    """``frames`` calibrated frames with ``cuboids`` random cars each, pushed on ``stack``."""
    rng = np.random.default_rng(0)
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
    return ids


def _median_ms(function, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def bench_derive(frames: int = 1000, cuboids: int = 30) -> float:
    """Deriving boxes for ``frames`` x ``cuboids`` in one command (replacing the previous run's)."""
    project = Project()
    stack = UndoStack(project)
    ids = _boxes_project(stack, frames, cuboids)
    return _median_ms(lambda: stack.push(DeriveBoxes2D(ids)), repeats=3)


def bench_derive_split(frames: int = 1000, cuboids: int = 30) -> tuple[float, float]:
    """ "Derive in all frames" as the app runs it: planning (worker thread) and applying the plans as one
    command on the UI thread, written to a real project database. Returns (plan ms, apply ms)."""
    import tempfile
    from pathlib import Path

    from annotator.io.workspace import Workspace

    with tempfile.TemporaryDirectory() as scratch, Workspace.create(Path(scratch) / "p") as workspace:
        ids = _boxes_project(workspace.stack, frames, cuboids)
        project = workspace.project
        plans_ms, apply_ms = [], []
        for _ in range(3):
            start = time.perf_counter()
            plans = [plan_frame(project.frames[i], project.annotations_of(i)) for i in ids]
            plans_ms.append((time.perf_counter() - start) * 1000.0)
            start = time.perf_counter()
            workspace.push(DeriveBoxes2D(ids, plans=plans))
            apply_ms.append((time.perf_counter() - start) * 1000.0)
        return statistics.median(plans_ms), statistics.median(apply_ms)


def bench_points_overlay(points: int = 150_000) -> float:
    """Projecting and splatting a level-of-detail cloud into a 1242 x 375 overlay (UI thread)."""
    from PySide6.QtWidgets import QApplication

    from annotator.qt.images.image_items import points_overlay

    _app = QApplication.instance() or QApplication([])
    rng = np.random.default_rng(1)
    xyz = np.column_stack(
        [rng.uniform(-60, 60, points), rng.uniform(-40, 40, points), rng.uniform(-2, 2, points)]
    )
    camera = CameraCalibration("image_2", K, AXES, 1242, 375)
    return _median_ms(lambda: points_overlay(camera, xyz, 1242, 375))


def bench_overlay_stall(points: int = 150_000, toggles: int = 10) -> tuple[float, float]:
    """The longest gap between ticks of a 2 ms QTimer while the image panel's points overlay is switched
    on (and shown when the worker is done) and off ``toggles`` times, with a ``points`` cloud and a
    1242 x 375 image. Returns (longest stall ms, median ms from switching on to the points shown)."""
    import tempfile
    from pathlib import Path

    from PIL import Image
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from annotator.core.edits import UpdateFrame
    from annotator.io.frames import frames_from_files
    from annotator.io.pointcloud import write_kitti_bin
    from annotator.io.workspace import Workspace
    from annotator.qt.document import Document
    from annotator.qt.frame_loader import FrameLoader
    from annotator.qt.images.image_panel import ImagePanel

    _app = QApplication.instance() or QApplication([])
    rng = np.random.default_rng(2)
    xyz = np.column_stack(
        [rng.uniform(2, 70, points), rng.uniform(-30, 30, points), rng.uniform(-2, 1, points)]
    )
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        write_kitti_bin(root / "000000.bin", np.column_stack([xyz, rng.random(points)]).astype(np.float32))
        Image.fromarray(np.full((375, 1242, 3), 80, np.uint8)).save(root / "000000.png")
        with Workspace.create(root / "p") as workspace:
            frames = frames_from_files(workspace.project, [root / "000000.bin"])
            frame_id = workspace.push(AddFrames(frames)).ids[0]
            camera = CameraCalibration("image_2", K, AXES, 1242, 375)
            workspace.push(
                UpdateFrame(
                    frame_id, images={"image_2": str(root / "000000.png")}, cameras={"image_2": camera}
                )
            )
            document = Document(FrameLoader())
            panel = ImagePanel(document)
            panel.resize(1300, 450)
            panel.show()
            document.open(workspace, wait=True)
            panel.wait_for_image()
            # One event loop runs the whole measurement; a 2 ms timer's ticks both time the loop and
            # step the toggling (calling processEvents in a Python loop instead would distort it).
            ticks: list[float] = []
            shown_ms: list[float] = []
            state = {"toggles": 0, "since": 0.0, "on": False}
            loop = QEventLoop()

            def tick() -> None:
                now = time.perf_counter()
                ticks.append(now)
                if not state["on"]:
                    if now - state["since"] < 0.05:  # let the loop settle between toggles
                        return
                    if state["toggles"] == toggles:
                        loop.quit()
                        return
                    state.update(on=True, since=now)
                    panel.set_points_visible(True)
                elif panel.view.points_item.isVisible():
                    shown_ms.append((now - state["since"]) * 1000.0)
                    panel.set_points_visible(False)
                    state.update(on=False, since=time.perf_counter(), toggles=state["toggles"] + 1)

            timer = QTimer()
            timer.setTimerType(Qt.TimerType.PreciseTimer)
            timer.setInterval(2)
            timer.timeout.connect(tick)
            timer.start()
            loop.exec()
            timer.stop()
            panel.overlay_worker.wait()
            document.close()
            panel.close()
            stall = float(np.max(np.diff(ticks))) * 1000.0 if len(ticks) > 1 else float("nan")
            return stall, statistics.median(shown_ms)


if __name__ == "__main__":
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(f"derive 2D boxes, 1,000 frames x 30 cuboids, one command: {bench_derive():.0f} ms (median of 3)")
    print(f"derive 2D boxes, 1 frame x 30 cuboids:                   {bench_derive(1):.1f} ms (median of 3)")
    plan_ms, apply_ms = bench_derive_split()
    print(f"derive in all frames (app): planning in the worker:     {plan_ms:.0f} ms (median of 3)")
    print(
        f"derive in all frames (app): applying, one command + DB: {apply_ms:.0f} ms on the UI thread (median of 3)"
    )
    print(
        f"LiDAR points overlay, 150,000 points into 1242x375:     {bench_points_overlay():.1f} ms (median of 5; "
        "now in a worker thread)"
    )
    stall, shown = bench_overlay_stall()
    print(
        f"points overlay toggled 10x: longest UI stall {stall:.0f} ms (2 ms QTimer gaps); shown after {shown:.0f} ms (median)"
    )
