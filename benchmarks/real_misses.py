"""What a 3D detector misses and invents on the real Argoverse sweeps, by class, points and track.

For each weights file (``--weights``, repeatable; ``shipped``: the plugin's shipped weights), on the
Argoverse sweeps (``--frames``, every ``--every``-th; labels filtered as `real_assist` does: <= 50 m,
>= 10 points), at score >= ``--threshold``:

1. **Labels** by class and points inside: found (a proposal at BEV IoU >= 0.5, any class), near (best
   proposal at 0.1-0.5: the scripted annotator adjusts it) or none (the annotator draws it: 30 s).
2. **Proposals on no label** (BEV IoU < 0.1 with every label, not on a "don't care" box) by the class
   proposed and the points inside: what the annotator deletes.
3. **Tracks missed in most sweeps**: the log's objects (track uuids) left without a proposal at BEV IoU >=
   0.1 in at least half the sweeps they are labelled in, with their size, points and range: objects the
   detector cannot see, rather than noise.

    python benchmarks/real_misses.py [--weights shipped] [--weights OTHER.pt] [--frames 0-29] [--every 2]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_assist
from base_detector import load_plugin

from annotator.core.cuboids.overlap import bev_iou
from annotator.ml.finetune.edits import MATCH_IOU
from annotator.ml.protocol import FrameInput

CLASSES = ["Car", "Van", "Truck", "Pedestrian", "Cyclist"]
BUCKETS = ((0, 10), (10, 30), (30, 100), (100, 10**9))
FOUND_IOU = 0.5


def bucket(points: int) -> str:
    """The points bucket's name, e.g. ``10-29`` or ``>=100``."""
    for low, high in BUCKETS:
        if low <= points < high:
            return f">={low}" if high == 10**9 else f"{low}-{high - 1}"
    raise ValueError(points)


@dataclass
class TrackRecord:
    """One labelled track over the sweeps measured."""

    name: str
    size: tuple[float, float, float]
    seen: int = 0
    missed: int = 0
    points: list[int] = field(default_factory=list)
    ranges: list[float] = field(default_factory=list)


@dataclass
class Misses:
    """What one weights file found, missed and invented."""

    labels: dict[tuple[str, str], Counter] = field(default_factory=lambda: defaultdict(Counter))
    invented: Counter = field(default_factory=Counter)
    tracks: dict[str, TrackRecord] = field(default_factory=dict)


def measure(model, floor_key: str, frames: set[int], threshold: float) -> Misses:
    """Count one model's labels found / near / missed, proposals on nothing and missed tracks."""
    result = Misses()
    for sample in real_assist.argoverse_samples(CLASSES, frames):
        found = model.predict(FrameInput(sample.name, sample.points), {floor_key: threshold})
        proposals = [(name, box) for name, box, _ in real_assist.proposals(found, sample)]
        xyz = sample.points[:, :3]
        for (name, truth), track in zip(sample.truths, sample.tracks):
            points = int(truth.points_inside(xyz).sum())
            best = max((bev_iou(p, truth) for _, p in proposals), default=0.0)
            outcome = "found" if best >= FOUND_IOU else "near" if best >= MATCH_IOU else "none"
            result.labels[(name, bucket(points))][outcome] += 1
            if track is not None:
                record = result.tracks.setdefault(track, TrackRecord(name, tuple(truth.size)))
                record.seen += 1
                record.missed += outcome == "none"
                record.points.append(points)
                record.ranges.append(math.hypot(*truth.center[:2]))
        for name, proposal in proposals:
            if all(bev_iou(proposal, truth) < MATCH_IOU for _, truth in sample.truths):
                result.invented[(name, bucket(int(proposal.points_inside(xyz).sum())))] += 1
    return result


def report(title: str, misses: Misses) -> None:
    """Print one model's three tables."""
    print(f"\n== {title}")
    print("labels: found (BEV IoU >= 0.5) / near (0.1-0.5) / none, by class and points inside")
    for key in sorted(misses.labels):
        c = misses.labels[key]
        print(f"  {key[0]:10s} {key[1]:>6s}: {c['found']:4d} / {c['near']:4d} / {c['none']:4d}")
    totals = Counter()
    for c in misses.labels.values():
        totals.update(c)
    print(f"  {'all':10s} {'':>6s}: {totals['found']:4d} / {totals['near']:4d} / {totals['none']:4d}")
    print("proposals on no label, by class proposed and points inside:")
    by_class: dict[str, list[str]] = defaultdict(list)
    class_totals: Counter = Counter()
    for (name, points), count in sorted(misses.invented.items()):
        by_class[name].append(f"{points} {count}")
        class_totals[name] += count
    for name in CLASSES:
        if name in by_class:
            print(f"  {name:10s} {', '.join(by_class[name])} (total {class_totals[name]})")
    print(f"  all: {sum(misses.invented.values())}")
    stubborn = [r for r in misses.tracks.values() if r.seen and r.missed * 2 >= r.seen]
    missed = sum(r.missed for r in misses.tracks.values())
    print(f"tracks without a proposal in at least half their sweeps: {len(stubborn)} "
          f"({sum(r.missed for r in stubborn)} of the {missed} misses)")  # fmt: skip
    for r in sorted(stubborn, key=lambda r: -r.missed):
        size = " x ".join(f"{v:.2f}" for v in r.size)
        print(f"  {r.name:10s} {size} m: missed {r.missed} of {r.seen} sweeps, "
              f"median {statistics.median(r.points):.0f} points at {statistics.median(r.ranges):.1f} m")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--weights", action="append", help="pointpillars weights, or 'shipped' (repeatable)")
    parser.add_argument("--frames", default="0-29", help="Argoverse sweeps, e.g. 0-29")
    parser.add_argument("--every", type=int, default=2, help="every n-th sweep of --frames")
    parser.add_argument("--threshold", type=float, default=0.3, help="score threshold of the proposals")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()
    import torch

    from annotator.ml.registry import PluginRegistry

    torch.set_num_threads(args.threads)
    low, _, high = args.frames.partition("-")
    frames = set(range(int(low), int(high or low) + 1, args.every))
    registry = PluginRegistry.discover()
    for name in args.weights or ["shipped"]:
        weights = None if name == "shipped" else Path(name)
        model, _, chosen, floor_key = load_plugin(registry, "pointpillars", weights)
        print(
            f"weights {chosen}; Argoverse sweeps {args.frames} every {args.every}; score >= {args.threshold}"
        )
        report(str(chosen), measure(model, floor_key, frames, args.threshold))


if __name__ == "__main__":
    main()
