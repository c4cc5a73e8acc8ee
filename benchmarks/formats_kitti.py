"""KITTI export and import of 1,000 frames x 30 cuboids (budget: under 5 s each).

Run: .venv/bin/python benchmarks/formats_kitti.py [--frames N] [--repeats R]
Frames get a synthetic KITTI-like calibration. Prints the median of each step:
export (project -> label_2 + calib files), read (files -> parsed dataset) and import (read, then one
undoable command written to a new project's database).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame
from annotator.io.formats.export import export_project
from annotator.io.formats.kitti_objects import synthetic_calibration
from annotator.io.importers import apply_dataset, read_source
from annotator.io.workspace import Workspace

BUDGET_S = 5.0
CLASSES = ("Car", "Pedestrian", "Cyclist", "Van")


def median_time(function: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def synthetic_project(frames: int, per_frame: int) -> Project:
    """A project of ``frames`` frames with ``per_frame`` random upright cuboids and a calibration each."""
    rng = np.random.default_rng(0)
    camera = synthetic_calibration()
    project = Project()
    stack = UndoStack(project)
    added = stack.push(
        AddFrames([Frame(0, f"{i:06d}", i, cameras={"image_2": camera}) for i in range(frames)])
    )
    annotations = [
        Annotation(
            0,
            frame_id,
            CLASSES[k % len(CLASSES)],
            cuboid=Cuboid(
                (rng.uniform(0, 70), rng.uniform(-30, 30), rng.uniform(-2, 0)),
                (rng.uniform(3, 5), rng.uniform(1.5, 2), rng.uniform(1.4, 1.8)),
                rng.uniform(-np.pi, np.pi),
            ),
        )
        for frame_id in added.ids
        for k in range(per_frame)
    ]
    stack.push(AddAnnotations(annotations))
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--per-frame", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    project = synthetic_project(args.frames, args.per_frame)
    objects = args.frames * args.per_frame
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "kitti"
        export_s = median_time(lambda: export_project(project, "kitti", out), args.repeats)
        read_s = median_time(lambda: read_source("kitti", out), args.repeats)
        counter = iter(range(10**6))

        def import_into_new_project() -> None:
            dataset = read_source("kitti", out)
            with Workspace.create(Path(tmp) / f"project{next(counter)}") as workspace:
                apply_dataset(workspace, dataset)

        import_s = median_time(import_into_new_project, args.repeats)
    print(
        f"KITTI, {args.frames} frames x {args.per_frame} cuboids ({objects} objects), median of {args.repeats}:"
    )
    for name, seconds in (("export", export_s), ("read", read_s), ("import (read + store)", import_s)):
        verdict = "ok" if seconds < BUDGET_S else "OVER BUDGET"
        print(
            f"  {name:<22} {seconds:6.2f} s  ({seconds / objects * 1e6:5.1f} us/object; budget {BUDGET_S:.0f} s: {verdict})"
        )


if __name__ == "__main__":
    main()
