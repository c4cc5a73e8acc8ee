"""The selected box's inside points from its neighbourhood, as on every nudge: median milliseconds.

A cloud of ``--millions`` million points spread evenly over 12 x 12 x 3 m (so the points around a car are
as many as around a car near the sensor of a 100M-point scan), a car box, its neighbourhood copied out
as the views do (two margins, the inner one margin), then the box nudged back and forth: the query tests
the inner neighbourhood's points in the region's own axes (on the window's thread up to `AT_ONCE_POINTS`
of them, else in a worker); the stand-in drawn meanwhile tests an even sample of them.

Run: .venv/bin/python benchmarks/neighbourhood_query.py [--millions 6] [--repeats 15]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.render.camera import ortho_margin
from annotator.render.cloud import AT_ONCE_POINTS, prepare_cloud


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--millions", type=float, default=6.0, help="points in the cloud (millions)")
    parser.add_argument("--repeats", type=int, default=15, help="nudges measured")
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    count = round(args.millions * 1_000_000)
    xyz = rng.uniform((-6, -6, -2), (6, 6, 1), (count, 3)).astype(np.float32)
    cloud = prepare_cloud(xyz, lod_budget=10_000)
    box = Cuboid((0.0, 0.0, -0.5), (4.5, 1.9, 1.6), 0.3)
    margin = ortho_margin(box)
    near = cloud.focus(box, 2.0 * margin, inner=margin)
    assert near.inner is not None
    times, stand_ins, found, drawn = [], [], 0, 0
    for step in range(args.repeats):
        nudged = box.replace(center=(0.05 * (step % 3), 0.0, -0.5))
        start = time.perf_counter()
        found = len(near.inner.indices_inside(nudged))
        times.append((time.perf_counter() - start) * 1000.0)
        start = time.perf_counter()
        drawn = len(cloud.stand_in(nudged))  # what the window draws while a worker finds the exact set
        stand_ins.append((time.perf_counter() - start) * 1000.0)
    at_once = "on the window's thread" if len(near.inner.indices) <= AT_ONCE_POINTS else "in a worker"
    print(
        f"{count:,} points, {len(near.indices):,} around the box, {len(near.inner.indices):,} in the inner "
        f"neighbourhood, {found:,} inside: query median {statistics.median(times):.1f} ms ({at_once}); "
        f"stand-in of {drawn:,} points {statistics.median(stand_ins):.1f} ms"
    )


if __name__ == "__main__":
    main()
