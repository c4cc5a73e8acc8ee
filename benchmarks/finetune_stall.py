"""The window's longest event-loop stall while the Training dock runs a fine-tuning job (budget < 50 ms).

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/finetune_stall.py [--frames 200] [--runs 3]

Builds a scratch project of ``--frames`` verified frames (raised points, labelled boxes), opens it in the
main window at 1200x800 with the Training dock in front, and fine-tunes the centroid example plugin
(tests/ml/example_plugins/centroid, one step per frame, so every frame sends a progress message that the
panel plots) from the panel. A 5 ms QTimer measures how late the event loop gets from the click to the
recorded version (spawning the child, polling, plotting, the gate and the record step), next to the same
loop idle. Prints medians over ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames, SetFrameStatus
from annotator.core.model.records import Annotation, Frame, FrameStatus
from annotator.io.workspace import Workspace

logger = logging.getLogger(__name__)

EXAMPLE = Path(__file__).parents[1] / "tests" / "ml" / "example_plugins" / "centroid"
TICK_MS = 5


def make_project(root: Path, frames: int) -> None:
    """``frames`` verified frames of four raised points each, labelled with their extent grown 0.5 m."""
    points = np.array([[0, 0, 1, 0], [2, 2, 1, 0], [4, 4, 2, 0], [1, 3, 1.5, 0]], dtype=np.float32)
    with Workspace.create(root) as workspace:
        for index in range(frames):
            shifted = points.copy()
            shifted[:, 0] += 10 * index
            shifted.tofile(root / f"f{index}.bin")
            frame_id = workspace.push(AddFrames([Frame(0, f"f{index}", index, cloud=f"f{index}.bin")])).ids[0]
            box = Cuboid((2 + 10 * index, 2, 1.5), (5.0, 5.0, 2.0), 0.0)
            workspace.push(AddAnnotations([Annotation(0, frame_id, "Object", cuboid=box)]))
            workspace.push(SetFrameStatus(frame_id, FrameStatus.VERIFIED))


def measure(app, seconds: float | None, done=lambda: False) -> list[float]:
    """Lateness (ms) of a 5 ms timer's ticks until ``done()`` (or for ``seconds``)."""
    from PySide6.QtCore import QTimer

    gaps: list[float] = []
    last = [time.perf_counter()]
    timer = QTimer()
    timer.setInterval(TICK_MS)

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(max(0.0, (now - last[0]) * 1000 - TICK_MS))
        last[0] = now

    timer.timeout.connect(tick)
    timer.start()
    start = time.perf_counter()
    while not done() and (seconds is None or time.perf_counter() - start < seconds):
        app.processEvents()
        time.sleep(0.001)
    tail = time.perf_counter()
    while time.perf_counter() - tail < 0.3:  # the turn that recorded the version is counted too
        app.processEvents()
        time.sleep(0.001)
    timer.stop()
    return gaps


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from annotator.ml.registry import PluginRegistry
    from annotator.qt.app.main_window import MainWindow
    from annotator.qt.app.settings import AppSettings

    app = QApplication.instance() or QApplication(sys.argv)
    scratch = Path(tempfile.mkdtemp(prefix="annotator-finetune-stall-"))
    try:
        shutil.copytree(EXAMPLE, scratch / "plugins" / "centroid")
        os.environ["ANNOTATOR_PLUGIN_PATH"] = str(scratch / "plugins")
        make_project(scratch / "project", args.frames)
        settings = AppSettings(QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat))
        registry = PluginRegistry.discover([scratch / "plugins"], entry_points_too=False)
        window = MainWindow(settings=settings, plugins=registry)
        window.resize(1200, 800)
        window.show()
        window.open_project(scratch / "project")
        window.docks["training"].raise_()
        panel = window.docks["training"].widget().widget()
        panel.refresh_plugins()
        panel.held_apart.setValue(0.2)
        measure(app, 3.0)  # the first frame is drawn, docks settle
        idle = measure(app, 2.0)
        worst, medians, seconds = [], [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            panel.start_button.click()
            clicked = (time.perf_counter() - start) * 1000
            gaps = measure(app, None, lambda: not window.training.running)
            seconds.append(time.perf_counter() - start)
            worst.append(max(max(gaps, default=0.0), clicked))
            medians.append(statistics.median(gaps) if gaps else 0.0)
            print(f"run: click {clicked:.1f} ms, longest stall {worst[-1]:.1f} ms, "
                  f"{panel.loss_plot.point_count()} loss points, {panel.table.rowCount()} versions, "
                  f"{seconds[-1]:.2f} s", flush=True)  # fmt: skip
        print(f"idle loop: longest lateness {max(idle):.1f} ms, median {statistics.median(idle):.2f} ms")
        print(f"with a job ({args.frames} frames, {args.runs} runs): longest stall median "
              f"{statistics.median(worst):.1f} ms (max {max(worst):.1f}), tick lateness median "
              f"{statistics.median(medians):.2f} ms, job to record median {statistics.median(seconds):.2f} s")  # fmt: skip
        window.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
