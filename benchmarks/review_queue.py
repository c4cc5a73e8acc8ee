"""UI-thread cost of the review-queue dock and flagging (medians), in the real window (offscreen).

Run: .venv/bin/python benchmarks/review_queue.py [--frames 200] [--boxes 40] [--repeat 5]

A generated project of F frames (no point clouds) with B scored proposals each is opened in the main
window; measured on the UI thread: rebuilding the queue (read the project, fill the tree, histogram),
moving the flag threshold (tree marks + every view's cuboids), the snapshot of scored cuboids taken before
ground-truth matching in a worker, and one U step (next uncertain box, which changes frame).
Budget: each under ~50 ms for the 10-frame demo (~600 boxes).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def make_project(root: Path, frames: int, boxes: int, seed: int = 0) -> Path:
    """A project of ``frames`` empty frames with ``boxes`` scored car proposals each."""
    from annotator.core.cuboids.cuboid import Cuboid
    from annotator.core.edits import AddAnnotations, AddFrames
    from annotator.core.model.records import Annotation, Frame, Provenance, Review, Source
    from annotator.io.workspace import Workspace

    rng = np.random.default_rng(seed)
    with Workspace.create(root) as workspace:
        ids = workspace.push(AddFrames([Frame(0, f"{i:06d}", i) for i in range(frames)])).ids
        annotations = []
        for frame_id in ids:
            for _ in range(boxes):
                u = float(rng.random())
                record = {"uncertainty": u, "presence": 1 - u / 2, "stability": 1 - u / 3, "entropy": u / 4}
                record |= {"mode": "tta", "passes": 8, "model_version": "bench-1"}
                annotations.append(
                    Annotation(
                        0,
                        frame_id,
                        "Car",
                        cuboid=Cuboid(
                            (*rng.uniform(-40, 40, 2), 0.0), (4.0, 1.8, 1.5), float(rng.uniform(-3, 3))
                        ),
                        provenance=Provenance(Source.MODEL, "bench", "bench-1", float(rng.random())),
                        review=Review.UNREVIEWED,
                        attributes={"uncertainty": record},
                    )
                )
        workspace.push(AddAnnotations(annotations))
    return root


def median_ms(work, repeat: int) -> float:
    """Median wall time of ``work()`` in milliseconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(window, repeat: int) -> str:
    """The medians of one opened project, as a line of text."""
    from annotator.ml.uncertainty.evaluation import scored_cuboids

    queue = window.review_queue
    names = {f.name for f in window.document.frames()}
    thresholds = iter(np.linspace(0.2, 0.8, 1000))
    rebuild = median_ms(queue.rebuild, repeat)
    threshold = median_ms(lambda: window.document.flags.set_threshold(next(thresholds)), repeat)
    snapshot = median_ms(lambda: scored_cuboids(window.document.project, names), repeat)
    step = median_ms(lambda: window.actions["models.next_uncertain"].trigger(), repeat)
    return (
        f"queue rebuild {rebuild:.0f} ms, threshold move {threshold:.0f} ms, "
        f"scored-cuboid snapshot {snapshot:.0f} ms, U step {step:.0f} ms (medians)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, nargs="*", default=[10, 200])
    parser.add_argument("--boxes", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from annotator.qt.app.main_window import MainWindow
    from annotator.qt.app.settings import AppSettings

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as scratch:
        for frames in args.frames:
            root = make_project(Path(scratch) / f"p{frames}", frames, args.boxes)
            settings = AppSettings(
                QSettings(str(Path(scratch) / f"s{frames}.ini"), QSettings.Format.IniFormat)
            )
            window = MainWindow(settings=settings)
            window.resize(1600, 1000)
            window.show()
            window.open_project(root)
            app.processEvents()
            print(f"{frames} frames x {args.boxes} scored boxes: " + measure(window, args.repeat))
            window.close()
            app.processEvents()


if __name__ == "__main__":
    main()
