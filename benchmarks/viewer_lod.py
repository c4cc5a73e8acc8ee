"""Viewer budgets, measured in the application's own window (offscreen Qt, VTK through EGL).

Prints medians for:
  1. a camera-move frame in the perspective view of a 1M-point cloud: level of detail against the
     full cloud, in the same run (budget: <= 150 ms with LOD under software GL);
  2. opening a KITTI-size frame to the first full picture in all four views (budget: < 1 s);
  3. a 10M-point cloud: opening it, its first full picture, and moving the camera with LOD.

Run: .venv/bin/python benchmarks/viewer_lod.py [--frames 15] [--skip-10m]
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

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from annotator.core.edits import AddFrames
from annotator.io.frames import frames_from_files
from annotator.io.pointcloud import write_kitti_bin
from annotator.io.workspace import Workspace
from annotator.qt.app.launch import freeze_startup_objects
from annotator.qt.app.main_window import MainWindow
from annotator.qt.app.settings import AppSettings
from annotator.qt.frame_loader import FrameLoader
from annotator.render.offscreen import renderer_name

KITTI = Path(__file__).resolve().parents[1].parent / "shared/data/kitti_object/training/velodyne/000000.bin"


def lidar_like(count: int, seed: int = 0) -> np.ndarray:
    """A LiDAR-like scan (N, 4): 64 rings on the ground out to ~80 m, plus walls and objects."""
    rng = np.random.default_rng(seed)
    ground = int(count * 0.65)
    elevation = np.radians(rng.uniform(-24.8, -2.0, ground))
    distance = np.minimum(1.73 / np.tan(-elevation), 80.0) * rng.normal(1.0, 0.01, ground)
    azimuth = rng.uniform(-np.pi, np.pi, ground)
    parts = [
        np.column_stack(
            [distance * np.cos(azimuth), distance * np.sin(azimuth), rng.normal(-1.73, 0.03, ground)]
        )
    ]
    rest = count - ground
    centres = rng.uniform(-60, 60, (200, 2))
    which = rng.integers(0, len(centres), rest)
    local = rng.uniform(-2.0, 2.0, (rest, 3)) * np.array([1.0, 0.5, 0.8])
    parts.append(np.column_stack([centres[which] + local[:, :2], local[:, 2] - 0.5]))
    xyz = np.concatenate(parts)
    return np.column_stack([xyz, rng.random(len(xyz))]).astype(np.float32)


def make_project(root: Path, cloud: Path) -> Path:
    with Workspace.create(root) as workspace:
        workspace.push(AddFrames(frames_from_files(workspace.project, [cloud])))
    return root


def open_window(app: QApplication, scratch: Path) -> MainWindow:
    settings = AppSettings(QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings=settings, loader=FrameLoader())
    window.resize(1600, 1100)
    window.show()
    for _ in range(5):
        app.processEvents()
    freeze_startup_objects()  # as the application does before a project opens
    return window


def show_frame(app: QApplication, window: MainWindow, project: Path) -> dict[str, float]:
    """Open the project and time it (seconds from the start): the cloud read and prepared in the worker
    (``ready``), the first picture in all four views (``first``, coarse for a cloud over the LOD
    budget) and the full picture (``full``, not counting the rest timer's idle wait)."""
    start = time.perf_counter()
    counts: list[int] = []

    def cloud_arrived() -> None:  # renders counted from here on show the new cloud
        if window.document.cloud is not None and not counts:
            counts.extend(view.render_count for view in window.grid.views)

    window.document.cloud_changed.connect(cloud_arrived)
    window.open_project(project)
    while window.document.cloud is None:
        app.processEvents()
        time.sleep(0.001)
    ready = time.perf_counter()
    cloud_arrived()
    window.document.cloud_changed.disconnect(cloud_arrived)
    # The views render one per event-loop turn: one may already have drawn the cloud in the turn it came.
    while any(view.render_count == count for view, count in zip(window.grid.views, counts)):
        app.processEvents()
    first = time.perf_counter()
    perspective = window.grid.perspective
    full_render = 0.0
    if perspective.detail != "full":
        perspective.lod.rest()  # what the rest timer does once the first picture is up
        full_render = perspective.render_now() / 1000.0
    return {
        "load": window.document.load_ms / 1000.0,
        "ready": ready - start,
        "first": first - start,
        "full": first - start + full_render,
    }


class StallMeter:
    """The longest gap between ticks of a 5 ms timer: how long the event loop was blocked."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.longest = 0.0
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now

    def start(self) -> None:
        self.longest, self._last = 0.0, time.perf_counter()
        self._timer.start()

    def stop(self) -> float:
        self._timer.stop()
        return self.longest


def move_frames(window: MainWindow, frames: int, lod: bool, preset: str = "reset") -> list[float]:
    """Milliseconds per camera-move frame in the perspective view (orbiting a little each frame)."""
    view = window.grid.perspective
    view.bird_eye() if preset == "bird-eye" else view.reset_camera()
    camera = view.scene.renderer.GetActiveCamera()
    times = []
    for _ in range(frames):
        if lod:
            view.begin_motion()
        else:
            view.scene.set_detail(True)
        camera.Azimuth(2.0)
        times.append(view.render_now())
    view.lod.rest()
    return times


def report(title: str, values: list[float], unit: str = "ms") -> str:
    return f"{title:<52} median {statistics.median(values):8.1f} {unit}  (min {min(values):.1f}, max {max(values):.1f}, n={len(values)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=15, help="camera-move frames per measurement")
    parser.add_argument("--skip-10m", action="store_true", help="skip the 10M-point cloud")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        window = open_window(app, scratch)
        canvas = window.grid.perspective.canvas
        print(
            f"perspective view {canvas.width()}x{canvas.height()} px, ortho views "
            f"{window.grid.ortho['top'].canvas.width()}x{window.grid.ortho['top'].canvas.height()} px"
        )

        # 1. 1M points: LOD against full
        million = scratch / "million.bin"
        write_kitti_bin(million, lidar_like(1_000_000))
        make_project(scratch / "p1m", million)
        show_frame(app, window, scratch / "p1m")
        print(f"OpenGL renderer: {renderer_name(canvas.render_window)}")
        budget = window.loader.lod_budget
        for preset in ("reset", "bird-eye"):
            full = move_frames(window, args.frames, lod=False, preset=preset)
            coarse = move_frames(window, args.frames, lod=True, preset=preset)
            print(report(f"1M points, {preset} view, camera move, full cloud", full))
            print(report(f"1M points, {preset} view, camera move, LOD {budget // 1000}k", coarse))

        # 2. a KITTI-size frame to its first full picture (read + prepare + 4 views rendered)
        kitti = KITTI if KITTI.is_file() else scratch / "kitti_size.bin"
        if not KITTI.is_file():
            write_kitti_bin(kitti, lidar_like(120_000, seed=1))
        openings, loads = [], []
        for attempt in range(5):
            make_project(scratch / f"kitti{attempt}", kitti)
            timing = show_frame(app, window, scratch / f"kitti{attempt}")
            openings.append(timing["full"] * 1000.0)
            loads.append(timing["load"] * 1000.0)
        print(f"KITTI-size frame: {kitti.name} ({len(window.document.cloud):,} points)")
        print(report("  read + prepare (worker)", loads))
        print(report("  open project -> first full picture, 4 views", openings))

        # 3. 10M points
        if not args.skip_10m:
            ten = scratch / "ten_million.bin"
            write_kitti_bin(ten, lidar_like(10_000_000, seed=2))
            make_project(scratch / "p10m", ten)
            meter = StallMeter()
            meter.start()
            timing = show_frame(app, window, scratch / "p10m")
            stall = meter.stop()
            print(
                f"10M points: read + prepare {timing['load']:.2f} s (worker), cloud ready {timing['ready']:.2f} s, "
                f"first picture (coarse, 4 views) {timing['first']:.2f} s, full picture {timing['full']:.2f} s"
            )
            print(f"  longest event-loop stall until the first picture: {stall * 1000:.0f} ms")
            for preset in ("reset", "bird-eye"):
                coarse = move_frames(window, args.frames, lod=True, preset=preset)
                print(report(f"10M points, {preset} view, camera move, LOD {budget // 1000}k", coarse))
            full = move_frames(window, 3, lod=False)
            print(report("10M points, reset view, camera move, full cloud", full))
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
