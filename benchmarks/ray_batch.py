"""Pre-annotation of generated frames on Ray (2 model actors) against one process: frames/s.

Run: .venv/bin/python benchmarks/ray_batch.py [--frames 200] [--workers 2] [--points 30000] [--repeats 1]
     [--plugin geometric] [--address HOST:PORT]

Each frame is a generated street (a ring of ground returns and 12 boxes of points: cars, vans, people),
written as a KITTI ``.bin`` into a fresh project. The same frames are pre-annotated in this process
(``--in-process``'s path) and through Ray Data ``map_batches`` with ``--workers`` actors, both storing one
undoable step per frame through the driver. Ray's figures are given with and without the runtime start
(a local runtime with ``--workers`` CPUs, or the cluster at ``--address``). Medians over ``--repeats``.
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

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddFrames
from annotator.core.model.records import Frame
from annotator.io.workspace import Workspace
from annotator.ml.preannotate import preannotate
from annotator.ml.ray_batch import RaySettings, ray_runtime
from annotator.ml.registry import PluginRegistry

SIZES = {"Car": (4.2, 1.8, 1.5), "Van": (5.2, 2.0, 2.2), "Pedestrian": (0.6, 0.6, 1.7)}


def street_cloud(rng: np.random.Generator, points: int) -> np.ndarray:
    """Ground returns on a jittered grid plus the visible faces of 12 objects along a street: (N, 4) xyzi."""
    side = int(np.sqrt(points * 0.7))
    grid = np.stack(np.meshgrid(np.linspace(-40, 40, side), np.linspace(-20, 20, side)), -1).reshape(-1, 2)
    ground = np.column_stack([grid + rng.normal(0, 0.05, grid.shape), rng.normal(-1.7, 0.03, len(grid))])
    objects = [ground]
    per_object = max(50, (points - len(grid)) // 12)
    for k in range(12):
        name = ("Car", "Car", "Van", "Pedestrian")[k % 4]
        box = Cuboid(
            (rng.uniform(-35, 35), (1 if k % 2 else -1) * rng.uniform(3, 9), -1.7 + SIZES[name][2] / 2),
            SIZES[name],
            rng.uniform(-0.3, 0.3),
        )
        local = rng.uniform(-0.5, 0.5, (per_object, 3))
        face = rng.integers(0, 2, per_object)  # the face towards the sensor: -x or -y side of the box
        local[np.arange(per_object), face] = -0.5
        objects.append(box.box_to_world(local * np.asarray(box.size)))
    xyz = np.concatenate(objects)
    return np.column_stack([xyz, rng.random(len(xyz))]).astype(np.float32)


def make_project(root: Path, frames: int, points: int) -> Path:
    """A project of ``frames`` generated frames in ``root``."""
    rng = np.random.default_rng(0)
    with Workspace.create(root) as workspace:
        records = []
        for index in range(frames):
            street_cloud(rng, points).tofile(root / f"{index:06d}.bin")
            records.append(Frame(0, f"{index:06d}", index, cloud=f"{index:06d}.bin"))
        workspace.push(AddFrames(records))
    return root


def run(root: Path, registry: PluginRegistry, plugin: str, ray: RaySettings | None) -> tuple[float, int]:
    """Seconds to pre-annotate every frame of the project, and the proposals stored."""
    with Workspace.open(root, keep_history=False) as workspace:
        started = time.perf_counter()
        summary = preannotate(workspace, registry, plugin, workspace.project.frames_in_order(), ray=ray)
        seconds = time.perf_counter() - started
    if summary.failures:
        print(f"  failures: {summary.failures[:3]}", file=sys.stderr)
    return seconds, summary.proposals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options = (
        ("--frames", int, 200, "generated frames"),
        ("--workers", int, 2, "Ray model actors (a local runtime gets as many CPUs)"),
        ("--points", int, 30_000, "points per frame"),
        ("--repeats", int, 1, "runs of each, medians printed"),
        ("--plugin", str, "geometric", "the 3D plugin"),
        ("--address", str, None, "a Ray cluster to join (default: a local runtime)"),
    )
    for name, kind, default, text in options:
        parser.add_argument(name, type=kind, default=default, help=text)
    args = parser.parse_args()
    registry = PluginRegistry.discover()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{args.frames} generated frames of {args.points:,} points, plugin {args.plugin}, {cores} cores, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        template = make_project(Path(folder) / "frames", args.frames, args.points)
        print(f"generated in {time.perf_counter() - started:.1f} s")
        single, on_ray, with_start = [], [], []
        for repeat in range(args.repeats):
            seconds, proposals = run(template, registry, args.plugin, None)
            single.append(seconds)
            print(f"  one process     run {repeat + 1}: {seconds:6.1f} s, {proposals} proposals")
            started = time.perf_counter()
            with ray_runtime(args.address, args.workers):
                ready = time.perf_counter() - started
                seconds, proposals = run(
                    template, registry, args.plugin, RaySettings(args.address, args.workers)
                )
            on_ray.append(seconds)
            with_start.append(seconds + ready)
            print(f"  Ray {args.workers} workers   run {repeat + 1}: {seconds:6.1f} s (+ {ready:.1f} s runtime start), "
                  f"{proposals} proposals")  # fmt: skip
    rate = {name: args.frames / statistics.median(values) for name, values in
            (("one", single), ("ray", on_ray), ("ray_start", with_start))}  # fmt: skip
    print(f"one process:                 {rate['one']:6.2f} frames/s (median)")
    print(f"Ray, {args.workers} workers:                {rate['ray']:6.2f} frames/s (median), "
          f"x{rate['ray'] / rate['one']:.2f}")  # fmt: skip
    print(f"Ray, {args.workers} workers, with start-up: {rate['ray_start']:6.2f} frames/s (median)")


if __name__ == "__main__":
    main()
