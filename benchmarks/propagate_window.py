"""Tracks > Propagate forward in the real window (offscreen Qt) on the shared Argoverse log: how long the
UI thread is held while a track is carried frame by frame, against simply stepping through the same frames.

The log is imported with its ego poses (``max_range=50, min_points=10``). The car track with a box on every
sweep that is nearest the ego at sweep ``--start`` keeps its boxes up to that sweep only; the window, at
1600x1000 with the track strip shown, selects it and runs Propagate forward for ``--frames`` frames while
a 5 ms timer on the UI thread measures the event-loop gaps (`preannotate_stall.GapMeter`). Printed:
the planning time per frame in the worker, the UI thread's time per step (the push of the step's
command, showing the new frame, selecting the carried box), the longest and median gaps, the frames per
second, and the median BEV IoU of the carried boxes with the true ones. Then the baseline: the same
frames stepped with Frame > Next, the track's box selected on each, with the same meter (showing a frame
is the viewer's cost; the propagation adds its push and nothing else on the UI thread).

``--all`` carries every track with a box on every sweep instead (Propagate all tracks forward).

Run: .venv/bin/python benchmarks/propagate_window.py [--start 10] [--frames 15] [--no-strip] [--all]
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from annotator.cli import main as cli
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.edits import RemoveAnnotations
from annotator.io.workspace import Workspace
from annotator.qt.app.main_window import MainWindow
from annotator.qt.app.settings import AppSettings
from annotator.qt.frame_loader import FrameLoader

sys.path.insert(0, str(Path(__file__).resolve().parent))
from preannotate_stall import GapMeter

ARGOVERSE = Path(__file__).resolve().parents[2] / "shared" / "data" / "argoverse1_sample_log"


def _timed(owner: object, name: str, into: dict[str, list[float]]) -> None:
    """Wrap ``owner.name`` so each call's duration (ms) lands in ``into[name]``."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            into.setdefault(name, []).append((time.perf_counter() - start) * 1000.0)

    setattr(owner, name, wrapper)


def _settle(app: QApplication, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def _open(app: QApplication, project: Path, frame: int, strip: bool, scratch: str) -> MainWindow:
    settings = AppSettings(QSettings(f"{scratch}/settings.ini", QSettings.Format.IniFormat))
    window = MainWindow(settings=settings, loader=FrameLoader())
    window.resize(1600, 1000)
    window.show()
    workspace = Workspace.open(project)
    window.adopt_workspace(workspace, workspace.project.frames_in_order()[frame].id, wait=True)
    _settle(app, 0.5)
    return window


def _select_track(window: MainWindow, track: int) -> None:
    window.document.select(next(a.id for a in window.document.cuboids() if a.track_id == track))


def _gaps(text: str, gaps: list[float], frames: int, seconds: float) -> None:
    print(
        f"{text}: longest gap {max(gaps):.0f} ms, median gap {statistics.median(gaps):.0f} ms, "
        f"{frames / seconds:.1f} frames/s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=int, default=10)
    parser.add_argument("--frames", type=int, default=15)
    parser.add_argument("--no-strip", action="store_true")
    parser.add_argument("--all", action="store_true", help="propagate every track of the frame")
    args = parser.parse_args()
    if not ARGOVERSE.is_dir():
        print(f"no Argoverse log at {ARGOVERSE}", file=sys.stderr)
        return 1
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch) / "argo"
        options = ["-o", "max_range=50", "-o", "min_points=10"]
        if cli(["import", str(project), str(ARGOVERSE), "--format", "argoverse", *options]) != 0:
            return 1
        with Workspace.open(project) as workspace:
            p = workspace.project
            frames = p.frames_in_order()
            full = [t for t in p.tracks if len(p.annotations_of_track(t)) == len(frames)]
            at_start = [a for a in p.annotations_of(frames[args.start].id, "cuboid") if a.track_id in full]
            car = min(
                (a for a in at_start if a.class_name == "Car"), key=lambda a: np.hypot(*a.cuboid.center[:2])
            )
            track = car.track_id
            truth = {a.frame_id: a.cuboid for a in p.annotations_of_track(track)}
            later = [
                a.id
                for a in p.annotations_of_track(track)
                if p.frames[a.frame_id].index > frames[args.start].index
            ]
            workspace.push(RemoveAnnotations(later, "Forget the later boxes"))
        print(
            f"track {track} (Car, {np.hypot(*car.cuboid.center[:2]):.1f} m from the ego at sweep {args.start})"
        )

        window = _open(app, project, args.start, not args.no_strip, scratch)
        if not args.no_strip:
            window.actions["tracks.strip"].trigger()
            _settle(app, 1.0)
        _select_track(window, track)
        times: dict[str, list[float]] = {}
        for name in ("push", "set_frame", "select_many"):
            _timed(window.document, name, times)
        meter = GapMeter()
        meter.start()
        start = time.perf_counter()
        window.actions["tracks.propagate_forward_all" if args.all else "tracks.propagate_forward"].trigger()
        while window.propagation.running and window.document.frame_position() < args.start + args.frames:
            app.processEvents()
            time.sleep(0.001)
        seconds = time.perf_counter() - start
        window.propagation.stop()
        gaps = meter.stop()
        done = window.document.frame_position() - args.start
        p = window.document.project
        carried = [
            a for a in p.annotations_of_track(track) if p.frames[a.frame_id].index > frames[args.start].index
        ]
        ious = [bev_iou(a.cuboid, truth[a.frame_id]) for a in carried]
        plan = window.propagation.plan_ms
        print(f"propagate forward: {done} frames, plan in the worker median {statistics.median(plan):.0f} ms")
        print(
            "  UI thread per step (median ms): "
            + ", ".join(f"{name} {statistics.median(values):.0f}" for name, values in times.items())
        )
        _gaps("  event loop", gaps, done, seconds)
        print(f"  carried boxes vs true: median BEV IoU {statistics.median(ious):.3f} ({len(ious)} boxes)")
        window.close()

        window = _open(app, project, args.start, not args.no_strip, scratch)
        if not args.no_strip:
            window.actions["tracks.strip"].trigger()
            _settle(app, 1.0)
        _select_track(window, track)
        meter.start()
        start = time.perf_counter()
        for _ in range(done):
            window.actions["frame.next"].trigger()
            _select_track(window, track)
            app.processEvents()
            while window.grid.scheduler.waiting:
                app.processEvents()
                time.sleep(0.001)
        seconds = time.perf_counter() - start
        _gaps("baseline, Frame > Next and select the box", meter.stop(), done, seconds)
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
