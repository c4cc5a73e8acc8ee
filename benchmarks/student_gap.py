"""Where a fast pointpillars variant loses recall against fp32 on real sweeps (and generated frames).

Run: nice python benchmarks/student_gap.py [--data argoverse-dev] [--every 2]
                                          [--weights plugins/pointpillars/weights/student.pt ...]

Every labelled object of the chosen data (`inference_speed.data_sets`) is matched, per model, to that
model's detections (greedy, best score first, BEV IoU >= 0.5, any class: the benchmark's "recall any").
Printed per model: recall by class, by distance from the sensor and by the object's point count; recall
at several score thresholds (a calibration shift shows as a student that catches up at a lower threshold);
and, for the objects fp32 finds and the variant misses, why: the variant's best box on the object at any
score >= 0.05 has BEV IoU < 0.1 (nothing there), 0.1-0.3, 0.3-0.5 (a box, badly placed) or >= 0.5 with a
score under the threshold (a score shift).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import inference_speed as bench
import real_assist

from annotator.core.cuboids.overlap import bev_iou
from annotator.ml.protocol import FrameInput
from annotator.ml.registry import PluginRegistry

WEIGHTS = Path(__file__).resolve().parents[1] / "plugins/pointpillars/weights"
LOWEST_SCORE = 0.05
THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
DISTANCES = ((0, 15), (15, 30), (30, 50), (50, 1000))
POINTS = ((0, 20), (20, 50), (50, 200), (200, 100_000))
CAUSES = ("IoU < 0.1", "IoU 0.1-0.3", "IoU 0.3-0.5", "IoU >= 0.5, score low")


@dataclass
class Truth:
    """One labelled object with what describes it."""

    frame: int
    name: str
    cuboid: object
    distance: float
    points: int


def matched(truths: list[Truth], detections: list, threshold: float) -> np.ndarray:
    """Which truths a frame's detections (class, cuboid, score) at ``score >= threshold`` find: greedy,
    best score first, each detection to the free truth it overlaps most (BEV IoU >= 0.5)."""
    free = np.ones(len(truths), dtype=bool)
    for _, box, _ in sorted((d for d in detections if d[2] >= threshold), key=lambda d: -d[2]):
        ious = [bev_iou(box, t.cuboid) if free[j] else 0.0 for j, t in enumerate(truths)]
        if ious and max(ious) >= 0.5:
            free[int(np.argmax(ious))] = False
    return ~free


def best_overlap(truth: Truth, detections: list) -> tuple[float, float]:
    """The detection overlapping ``truth`` most: (BEV IoU, its score); (0, 0) when none."""
    pairs = [(bev_iou(box, truth.cuboid), score) for _, box, score in detections]
    return max(pairs, default=(0.0, 0.0))


def share(found: np.ndarray, mask: np.ndarray) -> str:
    """'recall (n)' of the truths in ``mask``."""
    n = int(mask.sum())
    return f"{found[mask].mean():.2f} ({n})" if n else "- (0)"


def predictions(model, samples: list) -> list[list]:
    """Per sample, the model's detections at score >= `LOWEST_SCORE` (`real_assist.proposals`)."""
    params = {"score_threshold": LOWEST_SCORE, "threads": 1}
    return [real_assist.proposals(model.predict(FrameInput(s.name, s.points), params), s) for s in samples]


def describe(samples: list) -> list[list[Truth]]:
    """Per frame, its truths with distance and point count."""
    frames = []
    for k, sample in enumerate(samples):
        frames.append(
            [
                Truth(k, name, box, math.hypot(*box.center[:2]), int(box.points_inside(sample.points).sum()))
                for name, box in sample.truths
            ]
        )
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="argoverse-dev")
    parser.add_argument("--every", type=int, default=2)
    parser.add_argument("--generated", type=int, default=4)
    parser.add_argument("--threshold", type=float, default=0.3)
    parser.add_argument("--weights", nargs="*", type=Path, default=[WEIGHTS / "student.pt"])
    args = parser.parse_args()

    registry = PluginRegistry.discover([])
    base, manifest = bench.load(registry, "pointpillars")
    classes = list(manifest.classes)
    models = {"fp32": base}
    for path in args.weights:
        models[path.stem] = type(base)()
        models[path.stem].load(str(path))
    for title, samples in bench.data_sets(
        set(args.data.split(",")), classes, args.generated, args.every
    ).items():
        frames = describe(samples)
        truths = [t for f in frames for t in f]
        detections = {name: predictions(model, samples) for name, model in models.items()}
        found = {
            name: {t: np.concatenate([matched(f, d, t) for f, d in zip(frames, dets)]) for t in THRESHOLDS}
            for name, dets in detections.items()
        }
        print(f"## {title}: {len(truths)} objects, score >= {args.threshold}, BEV IoU 0.5, any class\n")
        report(truths, found, args.threshold, classes)
        for name in list(models)[1:]:
            causes(name, frames, truths, found, detections, args.threshold)


def report(truths: list[Truth], found: dict, threshold: float, classes: list[str]) -> None:
    """Recall tables by class, distance, point count and score threshold."""
    names = list(found)
    print("| group | " + " | ".join(names) + " |")
    print("| --- |" + " --- |" * len(names))
    groups = [("all", np.ones(len(truths), bool))]
    groups += [(c, np.array([t.name == c for t in truths])) for c in classes]
    groups += [(f"{lo}-{hi} m", np.array([lo <= t.distance < hi for t in truths])) for lo, hi in DISTANCES]
    groups += [(f"{lo}-{hi} points", np.array([lo <= t.points < hi for t in truths])) for lo, hi in POINTS]
    for label, mask in groups:
        if mask.any():
            print(f"| {label} | " + " | ".join(share(found[n][threshold], mask) for n in names) + " |")
    print("\n| score >= | " + " | ".join(names) + " |")
    print("| --- |" + " --- |" * len(names))
    for t in THRESHOLDS:
        print(f"| {t} | " + " | ".join(f"{found[n][t].mean():.3f}" for n in names) + " |")
    print()


def causes(name: str, frames, truths: list[Truth], found: dict, detections: dict, threshold: float) -> None:
    """Why ``name`` misses what fp32 finds (and the reverse count)."""
    lost = found["fp32"][threshold] & ~found[name][threshold]
    gained = found[name][threshold] & ~found["fp32"][threshold]
    tally: dict[str, list[int]] = defaultdict(list)
    for index in np.flatnonzero(lost):
        truth = truths[index]
        iou, _ = best_overlap(truth, detections[name][truth.frame])
        cause = CAUSES[0] if iou < 0.1 else CAUSES[1] if iou < 0.3 else CAUSES[2] if iou < 0.5 else CAUSES[3]
        tally[cause].append(truth.points)
    print(f"{name}: fp32 finds {int(lost.sum())} objects it misses, it finds {int(gained.sum())} fp32 misses")
    for cause in CAUSES:
        points = tally.get(cause, [])
        median = f", median {int(np.median(points))} points" if points else ""
        print(f"  {cause}: {len(points)}{median}")
    print()


if __name__ == "__main__":
    main()
