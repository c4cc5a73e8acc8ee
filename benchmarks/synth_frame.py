"""Scene generator budget: one LiDAR frame in under 1 s on 2 cores (camera image under ~1.5 s).

Run: .venv/bin/python benchmarks/synth_frame.py [--frames N] [--seed S]
Prints the median seconds per LiDAR sweep, per camera image and per whole frame, and points per frame.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from annotator.synth.camera import make_calibration, render
from annotator.synth.ground_truth import ground_truth
from annotator.synth.lidar import scan
from annotator.synth.scene import Scene, SceneConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    config = SceneConfig(seed=args.seed, n_frames=args.frames)
    start = time.perf_counter()
    scene = Scene(config)
    setup = time.perf_counter() - start
    camera = make_calibration(config.camera, np.random.default_rng(0)).camera("P2", 1242, 375)
    lidar_times, camera_times, frame_times, counts = [], [], [], []
    for index in range(args.frames):
        begin = time.perf_counter()
        state = scene.state(index)
        sweep = scan(state, scene.ground, config.lidar, config.noise, np.random.default_rng(index))
        after_lidar = time.perf_counter()
        render(state, scene.ground, camera, config.camera)
        after_camera = time.perf_counter()
        ground_truth(state, sweep, camera)
        end = time.perf_counter()
        lidar_times.append(after_lidar - begin)
        camera_times.append(after_camera - after_lidar)
        frame_times.append(end - begin)
        counts.append(len(sweep.points))
    print(
        f"scene set-up: {setup:.3f} s ({len(scene.static)} static primitives, {len(scene.actors)} road users)"
    )
    print(
        f"lidar sweep (state + ray cast): median {statistics.median(lidar_times):.3f} s per frame (budget 1 s)"
    )
    print(
        f"camera image {camera.width}x{camera.height}: median {statistics.median(camera_times):.3f} s (budget ~1.5 s)"
    )
    print(f"whole frame incl. ground truth: median {statistics.median(frame_times):.3f} s")
    print(f"points per frame: median {int(statistics.median(counts))} (min {min(counts)}, max {max(counts)})")


if __name__ == "__main__":
    main()
