"""The non-render cost of one keyboard box nudge in the main window, stage by stage.

A project with one frame (a LiDAR-like cloud of ``--points``) and ``--boxes`` cuboids is opened in the
main window (offscreen); one box is selected and nudged ``--nudges`` times (Move forward / back, each a key
run of its own, as a user pausing between presses). Printed: the median milliseconds per nudge of

  total     the whole keyboard handler (command, store write, events and every slot they reach);
  then      the event-loop turns after it until the views are idle, with their renders left out;
  render    the views' renders (shown apart: issue 25a's part);
  and each stage inside: the command, the store's transaction, and each panel's / view's slot.

``--profile`` adds cProfile's top functions by cumulative time over the nudges.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import importlib
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.pop("DISPLAY", None)

HERE = Path(__file__).resolve().parent

#: (module, class, method, label): the stages timed inside one nudge.
STAGES = [
    ("annotator.qt.keyboard_editing", "KeyboardEditor", "move", "total"),
    ("annotator.core.cuboids.cuboid_ops", None, "edit_cuboids", "command"),
    ("annotator.io.store", "ProjectStore", "write", "store write"),
    ("annotator.session.session", "Session", "_on_batch", "session events"),
    ("annotator.qt.document", "Document", "_on_project_changed", "document signals"),
    ("annotator.qt.panels.objects", "ObjectsPanel", "refresh", "objects panel"),
    ("annotator.qt.panels.objects", "ObjectsPanel", "_annotations_changed", "objects panel"),
    ("annotator.qt.panels.properties", "PropertiesPanel", "refresh", "properties panel"),
    ("annotator.qt.panels.classes", "ClassesPanel", "refresh", "classes panel"),
    ("annotator.qt.panels.timeline", "TrackTimeline", "refresh", "track timeline"),
    ("annotator.qt.panels.track_strip", "TrackStrip", "_on_batch", "track strip"),
    ("annotator.qt.panels.review_queue", "ReviewQueuePanel", "_project_changed", "review queue"),
    ("annotator.qt.panels.training", "TrainingPanel", "_update_stale", "training panel"),
    ("annotator.qt.editing.controller", "EditController", "refresh_handles", "handles"),
    ("annotator.qt.images.image_panel", "ImagePanel", "refresh_overlays", "image overlays"),
    ("annotator.qt.app.main_window", "MainWindow", "_update_undo_actions", "undo actions"),
    ("annotator.qt.views.view_grid", "ViewGrid", "_annotations_changed", "views: boxes (sync)"),
    ("annotator.qt.views.view_base", "SceneView", "render_now", "render"),
]


def instrument(spent: dict[str, float]) -> None:
    """Wrap each stage so its time (ms) adds up in ``spent`` (outermost call of a label only)."""
    depths: dict[str, list[int]] = defaultdict(lambda: [0])
    for module_name, class_name, method, label in STAGES:
        module = importlib.import_module(module_name)
        owner = module if class_name is None else getattr(module, class_name, None)
        if owner is None or not hasattr(owner, method):
            print(f"  (no {module_name}.{class_name}.{method})", file=sys.stderr)
            continue
        original = getattr(owner, method)
        setattr(owner, method, _timed(original, label, spent, depths[label]))
        if class_name is None:  # functions imported by name elsewhere
            for other in list(sys.modules.values()):
                if getattr(other, method, None) is original:
                    setattr(other, method, getattr(owner, method))


def _timed(function: Callable, label: str, spent: dict[str, float], depth: list[int]) -> Callable:
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        depth[0] += 1
        begin = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                spent[label] += (time.perf_counter() - begin) * 1000.0

    return wrapper


def make_project(root: Path, points: int, boxes: int) -> None:
    """One frame of ``points`` LiDAR-like points and ``boxes`` cuboids on a grid, half of them tracked."""
    sys.path.insert(0, str(HERE))
    from viewer_lod import lidar_like  # sibling script

    from annotator.core.cuboids.cuboid import Cuboid
    from annotator.core.edits import AddAnnotations, AddFrames
    from annotator.core.model.records import Annotation
    from annotator.io.frames import frames_from_files
    from annotator.io.workspace import Workspace

    cloud = root.parent / "cloud.bin"
    lidar_like(points).tofile(cloud)
    with Workspace.create(root) as workspace:
        frame = workspace.push(AddFrames(frames_from_files(workspace.project, [cloud]))).ids[0]
        annotations = [
            Annotation(
                0,
                frame,
                "Car" if i % 3 else "Pedestrian",
                cuboid=Cuboid((-40.0 + 8.0 * (i % 10), -40.0 + 8.0 * (i // 10), -1.0), (4.0, 1.8, 1.5), 0.1),
            )
            for i in range(boxes)
        ]
        workspace.push(AddAnnotations(annotations))


def measure(points: int, boxes: int, nudges: int, profile: bool) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from annotator.qt.app.main_window import MainWindow
    from annotator.qt.app.settings import AppSettings
    from annotator.qt.frame_loader import FrameLoader

    app = QApplication.instance() or QApplication(sys.argv[:1])
    spent: dict[str, float] = defaultdict(float)
    instrument(spent)
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        make_project(scratch / "project", points, boxes)
        settings = AppSettings(QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat))
        window = MainWindow(settings=settings, loader=FrameLoader())
        window.resize(1600, 1100)
        window.show()
        window.open_project(scratch / "project")
        grid = window.grid

        def idle() -> bool:
            return window.document.cloud is not None and not getattr(grid.scheduler, "waiting", False)

        def drain(timeout: float = 60.0) -> None:
            end = time.perf_counter() + timeout
            app.processEvents()
            while not idle() and time.perf_counter() < end:
                app.processEvents()
                time.sleep(0.0005)
            for _ in range(3):
                app.processEvents()

        drain()
        while getattr(window.document.cloud, "partial", False):
            drain()
        document = window.document
        document.select(document.cuboids()[len(document.cuboids()) // 2].id)
        drain()
        profiler = cProfile.Profile() if profile else None
        per_nudge: dict[str, list[float]] = defaultdict(list)
        for step in range(nudges):
            spent.clear()
            if profiler:
                profiler.enable()
            window.editing.move(0.05 if step % 2 == 0 else -0.05, 0.0, 0.0)
            total = spent["total"]
            begin, render_before = time.perf_counter(), spent["render"]
            drain()
            after = (time.perf_counter() - begin) * 1000.0 - (spent["render"] - render_before)
            if profiler:
                profiler.disable()
            window.editing.run += 1  # the key was released: the next nudge is a step of its own
            for label in dict.fromkeys(s[3] for s in STAGES):
                per_nudge[label].append(spent.get(label, 0.0))
            per_nudge["total"][-1] = total
            per_nudge["then (no render)"].append(after)
        print(f"{points:,} points, {boxes} boxes, {nudges} nudges: median ms per nudge")
        for label in ["total", "then (no render)", *dict.fromkeys(s[3] for s in STAGES[1:])]:
            values = per_nudge[label]
            print(f"  {label:22s} {statistics.median(values):7.2f}   (max {max(values):6.2f})")
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(
                os.environ.get("EDIT_PATH_FILTER", ""), 40
            )
            if os.environ.get("EDIT_PATH_DUMP"):
                profiler.dump_stats(os.environ["EDIT_PATH_DUMP"])
        window.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=1_000_000, help="points in the frame's cloud")
    parser.add_argument("--boxes", type=int, default=80, help="cuboids in the frame")
    parser.add_argument("--nudges", type=int, default=21, help="nudges measured")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions too")
    args = parser.parse_args()
    measure(args.points, args.boxes, args.nudges, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
