"""Export of generated frames on Ray (2 workers) against one process: frames/s per format, same run.

Run: .venv/bin/python benchmarks/ray_export.py [--frames 200] [--workers 2] [--repeats 3]
     [--formats kitti,openlabel,nuscenes,coco,yolo] [--address HOST:PORT]

The project is `annotator.testing.export_project.labelled_project`: per frame a cloud, two cameras'
images (one calibrated), an ego pose, three tracks with a cuboid and a 2D box each, and unreviewed
proposals on odd frames (exported with ``--include-unreviewed``). Each format is exported serially and
through `annotator.ml.ray_export` (tasks render, this process merges and writes) into the same folder,
and the two outputs are compared byte for byte. Ray's runtime is started once, before the runs, and its
start is printed apart. Medians over ``--repeats``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from annotator.core.model.project import Project
from annotator.io.formats.export import FrameRenderer, export_project
from annotator.io.workspace import Workspace
from annotator.ml.ray_batch import RaySettings, ray_runtime
from annotator.ml.ray_export import ray_renderer
from annotator.testing.export_project import labelled_project


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every file's bytes (a link: its target) by relative path."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        found[key] = os.readlink(path) if path.is_symlink() else path.read_bytes() if path.is_file() else ""
    return found


def timed_export(
    project: Project, format_id: str, out: Path, render: FrameRenderer | None
) -> tuple[float, dict[str, bytes | str]]:
    """Seconds for one export into ``out`` (emptied first) and what it wrote."""
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    report = export_project(project, format_id, out, include_unreviewed=True, render=render)
    seconds = time.perf_counter() - started
    if report.skipped:
        raise SystemExit(f"{format_id}: frames skipped: {report.skipped[:3]}")
    return seconds, snapshot(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200, help="generated frames")
    parser.add_argument(
        "--workers", type=int, default=2, help="Ray task slots (a local runtime gets as many CPUs)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, medians printed")
    parser.add_argument("--formats", default="kitti,openlabel,nuscenes,coco,yolo", help="comma separated")
    parser.add_argument("--address", default=None, help="a Ray cluster to join (default: a local runtime)")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{args.frames} generated frames, {cores} cores, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        root = labelled_project(Path(folder) / "project", args.frames)
        with Workspace.open(root) as workspace:
            project = workspace.project
        print(f"generated in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        with ray_runtime(args.address, args.workers):
            print(f"Ray runtime ready in {time.perf_counter() - started:.1f} s (not counted below)")
            render = ray_renderer(RaySettings(args.address, args.workers))
            print(
                f"{'format':<10} {'one process':>14} {'Ray, ' + str(args.workers) + ' workers':>16}  same bytes"
            )
            for format_id in args.formats.split(","):
                serial, on_ray, same = [], [], True
                for _repeat in range(args.repeats):
                    seconds, expected = timed_export(project, format_id, Path(folder) / "out", None)
                    serial.append(seconds)
                    seconds, written = timed_export(project, format_id, Path(folder) / "out", render)
                    on_ray.append(seconds)
                    same = same and written == expected
                one = args.frames / statistics.median(serial)
                ray = args.frames / statistics.median(on_ray)
                print(
                    f"{format_id:<10} {one:9.0f} fr/s {ray:11.0f} fr/s  {'yes' if same else 'NO'}  (x{ray / one:.2f})"
                )


if __name__ == "__main__":
    main()
