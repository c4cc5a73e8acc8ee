"""Foundation budgets: points-inside, command throughput through the store, opening a large project.

Run: .venv/bin/python benchmarks/foundation.py
Prints medians (and the budget each figure is held to).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.point_index import points_in_cuboids
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.records import Annotation, Frame
from annotator.io.workspace import Workspace


def median_time(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def random_cuboids(rng: np.random.Generator, count: int) -> list[Cuboid]:
    return [
        Cuboid((*rng.uniform(-40, 40, 2), rng.uniform(-1, 1)), (4.0, 1.8, 1.6), rng.uniform(-np.pi, np.pi))
        for _ in range(count)
    ]


def bench_points_inside() -> None:
    rng = np.random.default_rng(0)
    points = rng.uniform(-50, 50, (1_000_000, 3)).astype(np.float32)
    boxes = random_cuboids(rng, 50)
    per_box = median_time(lambda: [b.points_inside(points) for b in boxes], 5)
    indexed = median_time(lambda: points_in_cuboids(points, boxes), 5)
    print(f"points-inside 1M points x 50 cuboids, one mask per cuboid: {per_box:.3f} s (budget < 0.5 s)")
    print(f"points-inside 1M points x 50 cuboids, owner per point (PointIndex): {indexed:.3f} s")


def bench_add_commands(root: Path) -> None:
    with Workspace.create(root) as workspace:
        frame_id = workspace.push(AddFrames([Frame(0, "000000", 0)])).ids[0]
        rng = np.random.default_rng(1)
        boxes = random_cuboids(rng, 10_000)
        start = time.perf_counter()
        for box in boxes:
            workspace.push(AddAnnotations([Annotation(0, frame_id, "Car", cuboid=box)]))
        elapsed = time.perf_counter() - start
    print(f"10,000 add-cuboid commands through the store: {elapsed:.2f} s (budget < 2 s)")


def bench_open(root: Path) -> None:
    rng = np.random.default_rng(2)
    with Workspace.create(root) as workspace:
        frames = [Frame(0, f"{i:06d}", i, cloud=f"velodyne/{i:06d}.bin") for i in range(1000)]
        frame_ids = workspace.push(AddFrames(frames)).ids
        with workspace.stack.group("Import"):
            for frame_id in frame_ids:
                annotations = [Annotation(0, frame_id, "Car", cuboid=b) for b in random_cuboids(rng, 50)]
                workspace.push(AddAnnotations(annotations))
        workspace.store.clear_history()

    def open_once() -> None:
        Workspace.open(root).close()

    elapsed = median_time(open_once, 5)
    print(f"open a project of 1,000 frames x 50 annotations: {elapsed:.3f} s median of 5 (budget < 1 s)")


def main() -> None:
    bench_points_inside()
    with tempfile.TemporaryDirectory() as tmp:
        bench_add_commands(Path(tmp) / "commands")
        bench_open(Path(tmp) / "open")


if __name__ == "__main__":
    main()
