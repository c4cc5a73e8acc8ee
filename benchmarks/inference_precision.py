"""PointPillars inference on CPU in fp32, bf16, fp16 and int8: speed and quality side by side.

Run: nice .venv/bin/python benchmarks/inference_precision.py [--checkpoint FILE] [--project DIR]
     [--frames 10] [--repeats 3] [--threads 2]

The checkpoint defaults to the initial model of benchmarks/finetune_simulation.py and the frames to its
generated sequence (objects with >= 10 LiDAR points count, fewer are "don't care"). For each precision:
median seconds per frame (after a warm-up), recall and precision at BEV IoU 0.5, and how many fp32
detections the precision reproduces (same class, BEV IoU >= 0.7).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from pathlib import Path

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.io.store import ProjectStore
from annotator.ml.datasets import MIN_POINTS_MEASURED, ground_truth_labels
from annotator.ml.quality import measure_quality

logger = logging.getLogger(__name__)

PRECISIONS = ("fp32", "bf16", "fp16", "int8")
WORK = Path("/tmp/annotator-finetune-sim")


def agreement(reference, other) -> float:
    """Share of the reference detections that ``other`` reproduces (same class, BEV IoU >= 0.7)."""
    if not len(reference):
        return 1.0
    found = 0
    for box, label in zip(reference.boxes, reference.labels):
        a = Cuboid.from_array(box)
        if any(
            k == label and bev_iou(a, Cuboid.from_array(b)) >= 0.7 for b, k in zip(other.boxes, other.labels)
        ):
            found += 1
    return found / len(reference)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=WORK / "initial-24x25.pt")
    parser.add_argument("--project", type=Path, default=WORK / "sequence")
    parser.add_argument("--frames", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--score-threshold", type=float, default=0.4)
    args = parser.parse_args()

    from plugins.pointpillars.model import PointPillarsDetector

    model = PointPillarsDetector()
    model.load(str(args.checkpoint))
    store = ProjectStore.open(args.project, read_only=True)
    try:
        project = store.load()
    finally:
        store.close()
    frames = project.frames_in_order()[-args.frames :]
    held = ground_truth_labels(project, frames, model.config.classes, "detect3d", MIN_POINTS_MEASURED)
    base = {"score_threshold": args.score_threshold, "threads": args.threads}
    reference = [model.predict(h.labelled.frame, base) for h in held]
    print(
        f"{args.checkpoint.name}: grid {model.config.grid_shape}, {len(held)} frames, {args.threads} threads"
    )
    print("| precision | median s / frame | speed-up | recall | precision (BEV 0.5) | fp32 boxes kept |")
    print("| --- | --- | --- | --- | --- | --- |")
    fp32_time = None
    for precision in PRECISIONS:
        params = {**base, "precision": precision}
        model.predict(held[0].labelled.frame, params)  # warm-up (int8: builds the quantised copy)
        times, kept = [], []
        for h, ref in zip(held, reference):
            for _ in range(args.repeats):
                start = time.perf_counter()
                found = model.predict(h.labelled.frame, params)
                times.append(time.perf_counter() - start)
            kept.append(agreement(ref, found))
        median = statistics.median(times)
        fp32_time = fp32_time or median
        report = measure_quality(model, "detect3d", model.config.classes, held, params)
        print(f"| {precision} | {median:.3f} | {fp32_time / median:.2f}x | {report.overall['recall']:.3f} | "
              f"{report.overall['precision']:.3f} | {statistics.mean(kept):.3f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
