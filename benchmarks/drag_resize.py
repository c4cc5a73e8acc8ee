"""Drag-resize budget: each mouse-move update while dragging a corner of a box in the top view, with a
KITTI-size frame loaded, measured in the application's own window (offscreen Qt, VTK through EGL).

An update is one mouse-move event through the real widgets: the drag command (merged into one undo step
and written to the project database), the views' new box actors and crops, and the renders it causes,
until the event loop is idle again. Budget: median <= 30 ms.

Run: .venv/bin/python benchmarks/drag_resize.py [--moves 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.records import Annotation
from annotator.io.frames import frames_from_files
from annotator.io.pointcloud import write_kitti_bin
from annotator.io.workspace import Workspace
from annotator.qt.app.main_window import MainWindow
from annotator.qt.app.settings import AppSettings
from annotator.qt.frame_loader import FrameLoader
from annotator.render.offscreen import renderer_name

KITTI = Path(__file__).resolve().parents[1].parent / "shared/data/kitti_object/training/velodyne/000000.bin"
#: A car-sized box somewhere in the KITTI frame (the numbers do not matter for the timing).
BOX = Cuboid((8.5, 1.5, -0.9), (4.0, 1.7, 1.5), 0.1)


def kitti_size_cloud(scratch: Path) -> Path:
    """The real KITTI frame, or a generated cloud of the same size when the sample data is absent."""
    if KITTI.is_file():
        return KITTI
    rng = np.random.default_rng(0)
    xyz = rng.uniform((-40, -40, -2), (40, 40, 2), (120_000, 3))
    path = scratch / "kitti_size.bin"
    write_kitti_bin(path, np.column_stack([xyz, rng.random(len(xyz))]).astype(np.float32))
    return path


def make_project(root: Path, cloud: Path) -> Path:
    with Workspace.create(root) as workspace:
        frame_ids = workspace.push(AddFrames(frames_from_files(workspace.project, [cloud]))).ids
        workspace.push(AddAnnotations([Annotation(0, frame_ids[0], "Car", cuboid=BOX)]))
    return root


def widget_point(view, world: np.ndarray) -> QPoint:
    x, y = view.scene.world_to_display(world)
    ratio = view.canvas.device_pixel_ratio()
    return QPoint(round(x / ratio), round(view.canvas.height() - 1 - y / ratio))


def settle(app: QApplication, window: MainWindow | None = None) -> None:
    """Process pending events, and with ``window`` until its views have rendered what was asked
    (they render one per event-loop turn)."""
    for _ in range(3):
        app.processEvents()
    while window is not None and window.grid.scheduler.waiting:
        app.processEvents()


def click_fit_times(app: QApplication, window: MainWindow) -> tuple[list[float], list[float]]:
    """Time one-click fits in the perspective view on points of objects 5-25 m ahead: the UI thread's
    part of the click, and the click to the new box in the project (the fit runs in a worker)."""
    deadline = time.monotonic() + 10
    while window.mouse_tools.ground.model is None and time.monotonic() < deadline:
        app.processEvents()
    cloud = window.document.cloud
    ground = window.mouse_tools.ground.model
    xyz = cloud.xyz
    ahead = (xyz[:, 0] > 5) & (xyz[:, 0] < 25) & (np.abs(xyz[:, 1]) < 10)
    if ground is not None:
        ahead &= ground.height_above(xyz) > 0.4
    candidates = np.flatnonzero(ahead)
    rng = np.random.default_rng(1)
    view = window.grid.perspective
    view.render_now()
    window.actions["tools.click_fit"].trigger()
    ui, total = [], []
    for index in rng.choice(candidates, size=min(20, len(candidates)), replace=False):
        position = widget_point(view, xyz[index].astype(np.float64))
        begin = time.perf_counter()
        window.mouse_tools.fit_at(view, position)
        ui.append((time.perf_counter() - begin) * 1000.0)
        while window.mouse_tools.background.busy():
            time.sleep(0.001)  # a tight processEvents loop starves the worker (and trips PySide on 3.11)
            app.processEvents()
        total.append((time.perf_counter() - begin) * 1000.0)
    return ui, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=60, help="mouse-move updates to time")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        project = make_project(scratch / "project", kitti_size_cloud(scratch))
        settings = AppSettings(QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat))
        window = MainWindow(settings=settings, loader=FrameLoader())
        window.resize(1600, 1100)
        window.show()
        window.open_project(project)
        deadline = time.monotonic() + 30
        while window.document.cloud is None and time.monotonic() < deadline:
            app.processEvents()
        annotation = window.document.cuboids()[0]
        window.document.select(annotation.id)
        settle(app)
        window.grid.render_all_now()
        top = window.grid.ortho["top"]
        sizes = {
            name: view.canvas.size().toTuple()
            for name, view in zip(("perspective", "top", "side", "front"), window.grid.views, strict=True)
        }
        print(f"renderer: {renderer_name(top.canvas.render_window)}")
        print(
            f"cloud: {KITTI.name if KITTI.is_file() else 'generated'} ({len(window.document.cloud):,} points)"
        )
        print("view sizes (Qt px): " + ", ".join(f"{k} {w}x{h}" for k, (w, h) in sizes.items()))
        renders = {view: [] for view in window.grid.views}
        for view in window.grid.views:
            view.rendered.connect(lambda ms, v=view: renders[v].append(ms))
        start = widget_point(top, np.asarray(BOX.corners()[4]))
        QTest.mousePress(top.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
        times = []
        for k in range(1, args.moves + 1):
            offset = QPoint(round(12 * np.sin(k / 6.0)), -round(10 * np.sin(k / 9.0)) - 1)
            begin = time.perf_counter()
            QTest.mouseMove(top.canvas, start + offset)
            settle(app, window)
            times.append((time.perf_counter() - begin) * 1000.0)
        QTest.mouseRelease(top.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
        settle(app)
        steps = len(window.document.workspace.stack.entries)
        times = times[2:]  # the first moves start the drag
        p95 = float(np.percentile(times, 95))
        print(
            f"drag-resize update (mouse move -> views redrawn): median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms over {len(times)} moves (budget: median <= 30 ms)"
        )
        for name, view in zip(("perspective", "top", "side", "front"), window.grid.views, strict=True):
            drawn = renders[view]
            if drawn:
                print(f"  {name:11s} renders: {len(drawn):3d}, median {statistics.median(drawn):.1f} ms")
        print(f"undo steps after the drag: {steps} (1 frame + 1 box + 1 drag)")
        ui, total = click_fit_times(app, window)
        print(
            f"click fit: UI thread median {statistics.median(ui):.1f} ms (max {max(ui):.1f}), "
            f"click to box in the project median {statistics.median(total):.1f} ms, over {len(ui)} clicks"
        )
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
