"""Base training's speed with and without worker processes (`annotator train-base --workers`).

1. Frame generation: ``--frames`` frames of every sensor preset generated into fresh caches by one process
   and by ``--workers`` processes (wall clock, ratio), and whether the files are the same.
2. Training steps: one epoch over those frames, the batches prepared here and by the workers (median
   seconds a step and for the whole epoch, ratio); the median time to prepare one batch alone beside the
   median step without preparation, which says how much workers can save (on a GPU, where a step takes
   milliseconds, preparing the batches is what bounds the speed).

Run: python benchmarks/base_training_speed.py [--frames 24] [--workers 2] [--batch-size 4] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from plugins.pointpillars.base_augment import ObjectBank
from plugins.pointpillars.base_batches import EpochBatches, epoch_batches
from plugins.pointpillars.base_data import build_cache, load_frame
from plugins.pointpillars.base_training import base_config, base_step
from plugins.pointpillars.network import PointPillarsNet
from plugins.pointpillars.sensors import SENSORS


def generation(folder: Path, frames: int, workers: int) -> tuple[float, list[Path]]:
    """Seconds to generate ``frames`` frames into a fresh ``folder``, and their files."""
    started = time.perf_counter()
    paths = build_cache(folder, frames, SENSORS, seed=11, workers=workers)
    return time.perf_counter() - started, paths


def same_files(first: list[Path], second: list[Path]) -> bool:
    """True when the two caches hold the same arrays."""
    for a, b in zip(first, second):
        with np.load(a) as x, np.load(b) as y:
            if x.files != y.files or not all(np.array_equal(x[k], y[k]) for k in x.files):
                return False
    return len(first) == len(second)


def epoch_steps(batches: EpochBatches, workers: int, threads: int) -> tuple[list[float], float]:
    """Seconds of each training step (waiting for its batch included) and of the whole epoch."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = PointPillarsNet(batches.config)
    optimiser = torch.optim.AdamW(net.parameters(), lr=1e-3)
    net.train()
    steps, started = [], time.perf_counter()
    last = started
    for batch in epoch_batches(batches, workers):
        base_step(net, optimiser, batch, len(batches.config.classes))
        now = time.perf_counter()
        steps.append(now - last)
        last = now
    return steps, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2, help="torch threads of the training process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        alone, paths = generation(Path(tmp) / "alone", args.frames, 0)
        pooled, pooled_paths = generation(Path(tmp) / "pooled", args.frames, args.workers)
        print(f"1. generating {args.frames} frames ({', '.join(SENSORS)}): one process {alone:.1f} s, "
              f"{args.workers} workers {pooled:.1f} s (x{alone / pooled:.2f}); same files: "
              f"{same_files(paths, pooled_paths)}")  # fmt: skip
        frames = [load_frame(p) for p in paths]
    config = base_config()
    batches = EpochBatches(frames, ObjectBank(frames, len(config.classes)), config, args.batch_size, 0, 0)
    preparing = []
    for index in range(len(batches)):
        started = time.perf_counter()
        batches[index]
        preparing.append(time.perf_counter() - started)
    here, here_epoch = epoch_steps(batches, 0, args.threads)
    forked, forked_epoch = epoch_steps(batches, args.workers, args.threads)
    print(f"2. one epoch, {len(batches)} steps of {args.batch_size} frames, {args.threads} training threads:")
    print(f"   preparing a batch alone: median {statistics.median(preparing):.3f} s")
    print(
        f"   batches prepared here: median {statistics.median(here):.3f} s a step, epoch {here_epoch:.1f} s"
    )
    print(f"   {args.workers} workers: median {statistics.median(forked):.3f} s a step, epoch {forked_epoch:.1f} s "
          f"(x{here_epoch / forked_epoch:.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
