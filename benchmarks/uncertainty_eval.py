"""How well do the uncertainty measures tell wrong proposals from right ones?

Run: .venv/bin/python benchmarks/uncertainty_eval.py [--plugin geometric] [--modes tta] [--passes 8]
     .venv/bin/python benchmarks/uncertainty_eval.py --plugin pointpillars --checkpoint /tmp/pp.pt --modes mc,ensemble,tta

1. Generates street scenes with `annotator.synth`: in-distribution frames and deliberately
   out-of-distribution ones (classes outside the schema - trailers, animals - heavy clutter and noise).
2. Samples the plugin K times per frame in each mode (`annotator.ml.uncertainty.sampling`), aggregates
   the passes (`aggregate`) and keeps the objects whose mean score is >= ``--min-score``.
3. A proposal is *wrong* when no ground-truth object of its class matches it at bird's-eye-view IoU
   >= 0.5 (one-to-one, greedy by score; out-of-schema objects can never be matched).
4. For each measure (and for the detector's own score from one plain prediction, the baseline) prints
   AUROC and AUPR for finding the wrong proposals, and the share of all wrong proposals caught when the
   10 / 20 / 30 % most uncertain proposals are flagged. With ``--kitti`` also the real KITTI frame(s).
"""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.ml.protocol import Detections, FrameInput
from annotator.ml.registry import PluginRegistry
from annotator.ml.uncertainty.aggregate import AggregatedBox, aggregate, box_iou
from annotator.ml.uncertainty.evaluation import ScoredBox, aupr, auroc, caught, wrong_proposals
from annotator.ml.uncertainty.sampling import sample_frame

logger = logging.getLogger(__name__)

FLAG_SHARES = (0.1, 0.2, 0.3)
#: Measure name -> how to read "more uncertain" from an aggregated box.
MEASURES = {
    "uncertainty": lambda b: b.measures["uncertainty"],
    "entropy": lambda b: b.measures["entropy"],
    "class_entropy": lambda b: b.measures["class_entropy"],
    "mutual_information": lambda b: b.measures["mutual_information"],
    "1 - presence": lambda b: 1.0 - b.measures["presence"],
    "1 - stability": lambda b: 1.0 - b.measures["stability"],
    "centre_variance": lambda b: b.measures["centre_variance"],
    "size_variance": lambda b: b.measures["size_variance"],
    "heading_variance": lambda b: b.measures["heading_variance"],
    "1 - mean score": lambda b: 1.0 - b.score,
}


@dataclass
class EvalFrame:
    """Points and ground truth (class names and LiDAR-frame cuboids) of one frame."""

    name: str
    points: np.ndarray
    classes: list[str]
    boxes: list[Cuboid]
    group: str


@dataclass
class Collected:
    """Per proposal: wrong or right, the measures and the baseline score, by frame group."""

    wrong: list[bool] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)

    def add(self, wrong: bool, values: dict[str, float], group: str) -> None:
        self.wrong.append(wrong)
        self.groups.append(group)
        for name, value in values.items():
            self.values.setdefault(name, []).append(value)


# -- data ----------------------------------------------------------------------------------------------
def generated_frames(seeds: range, frames_per_seed: int, ood: bool) -> list[EvalFrame]:
    """Frames of generated scenes; ``ood`` adds out-of-schema classes, clutter and noise."""
    from annotator.synth import SceneConfig, iter_frames

    out = []
    for seed in seeds:
        if ood:
            config = SceneConfig(
                seed=seed,
                n_frames=frames_per_seed,
                frame_interval=1.5,
                ood_classes=("Trailer", "Animal"),
                ood_rate=0.5,
                clutter=2.5,
                noise=2.0,
            )
        else:
            config = SceneConfig(seed=seed, n_frames=frames_per_seed, frame_interval=1.5)
        for frame in iter_frames(config):
            visible = [obj for obj in frame.objects if obj.num_points >= 5]
            out.append(
                EvalFrame(
                    f"{'ood' if ood else 'id'}-{seed}-{frame.index}",
                    frame.points,
                    [obj.label for obj in visible],
                    [obj.cuboid for obj in visible],
                    "out-of-distribution" if ood else "in-distribution",
                )
            )
    return out


def kitti_frames(root: Path) -> list[EvalFrame]:
    """The frames of a KITTI object folder with their labels (all classes kept as they are named)."""
    from annotator.io.importers import read_source
    from annotator.io.pointcloud import read_point_cloud

    dataset = read_source("kitti", root)
    out = []
    for frame in dataset.frames:
        if frame.cloud is None:
            continue
        cloud = read_point_cloud(frame.cloud)
        points = np.column_stack([cloud.xyz, cloud.fields.get("intensity", np.zeros(len(cloud.xyz)))])
        objects = [obj for obj in frame.objects if obj.cuboid is not None]
        out.append(
            EvalFrame(
                f"kitti-{frame.name}",
                points.astype(np.float32),
                [obj.class_name for obj in objects],
                [obj.cuboid for obj in objects],
                "KITTI (real)",
            )
        )
    return out


# -- matching ----------------------------------------------------------------------------------------
def wrong_flags(found: list[AggregatedBox], frame: EvalFrame) -> list[bool]:
    """For each proposal: True when no unmatched ground-truth object of its class overlaps it by 0.5."""
    proposals = [ScoredBox(box.class_name, box.box, box.score) for box in found]
    truth = [(name, box.to_array()) for name, box in zip(frame.classes, frame.boxes, strict=True)]
    return wrong_proposals(proposals, truth)


def plain_score(found: AggregatedBox, plain: Detections) -> float:
    """The score of the plain prediction's box that overlaps ``found`` most (IoU >= 0.3), else 0."""
    best_score, best_iou = 0.0, 0.3
    for box, score in zip(plain.boxes, plain.scores, strict=True):
        overlap = box_iou(found.box[:7], box[:7])
        if overlap >= best_iou:
            best_score, best_iou = float(score), overlap
    return best_score


def report(title: str, collected: Collected, groups: tuple[str, ...] | None = None) -> None:
    """A table: one row per measure, AUROC, AUPR and errors caught at each flagged share."""
    chosen = np.array([groups is None or g in groups for g in collected.groups], dtype=bool)
    wrong = np.array(collected.wrong, dtype=bool)[chosen]
    print(
        f"\n{title}: {len(wrong)} proposals, {int(wrong.sum())} wrong ({wrong.mean() if len(wrong) else 0:.0%})"
    )
    header = f"  {'measure':<20} {'AUROC':>6} {'AUPR':>6}" + "".join(
        f" {f'caught@{s:.0%}':>11}" for s in FLAG_SHARES
    )
    print(header)
    for name, values in collected.values.items():
        v = np.array(values, dtype=float)[chosen]
        row = f"  {name:<20} {auroc(v, wrong):6.3f} {aupr(v, wrong):6.3f}"
        row += "".join(f" {caught(v, wrong, s):11.2f}" for s in FLAG_SHARES)
        print(row)


# -- the run -------------------------------------------------------------------------------------------
def collect(model, manifest, frames: list[EvalFrame], mode: str, passes: int, min_score: float) -> Collected:
    """Sample, aggregate, match and measure every frame in ``mode``."""
    params = manifest.parameter_values({})
    out = Collected()
    for frame in frames:
        inputs = FrameInput(frame.name, frame.points)
        plain = model.predict(inputs, params)
        groups = sample_frame(model, manifest, inputs, params, mode, passes)
        found = [box for box in aggregate(groups.get(None, [])) if box.score >= min_score]
        for box, wrong in zip(found, wrong_flags(found, frame), strict=True):
            values = {name: float(read(box)) for name, read in MEASURES.items()}
            values["baseline: 1 - score"] = 1.0 - plain_score(box, plain)
            out.add(wrong, values, frame.group)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--plugin", default="geometric")
    parser.add_argument("--checkpoint", type=Path, help="weights for a learned plugin")
    parser.add_argument("--modes", default="tta", help="comma-separated: tta, mc, ensemble")
    parser.add_argument("--passes", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=6, help="in-distribution scenes (and as many OOD)")
    parser.add_argument("--frames-per-seed", type=int, default=3)
    parser.add_argument("--min-score", type=float, default=0.1)
    parser.add_argument(
        "--kitti", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/kitti_object"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    registry = PluginRegistry.discover()
    manifest = registry.manifest(args.plugin)
    model = registry.load(args.plugin)
    if args.checkpoint is not None:
        model.load(str(args.checkpoint))
    started = time.perf_counter()
    frames = generated_frames(range(7000, 7000 + args.seeds), args.frames_per_seed, ood=False)
    frames += generated_frames(range(8000, 8000 + args.seeds), args.frames_per_seed, ood=True)
    if args.kitti.is_dir():
        frames += kitti_frames(args.kitti)
    print(
        f"{len(frames)} frames ready in {time.perf_counter() - started:.0f} s; plugin {args.plugin} {model.version}"
    )
    for mode in args.modes.split(","):
        started = time.perf_counter()
        collected = collect(model, manifest, frames, mode.strip(), args.passes, args.min_score)
        seconds = time.perf_counter() - started
        print(
            f"\n=== {args.plugin}, mode {mode}, {args.passes} passes ({seconds / len(frames):.2f} s per frame)"
        )
        report("all generated frames", collected, ("in-distribution", "out-of-distribution"))
        report("in-distribution", collected, ("in-distribution",))
        report("out-of-distribution (trailers, animals, clutter, noise)", collected, ("out-of-distribution",))
        if "KITTI (real)" in collected.groups:
            report("real KITTI frame", collected, ("KITTI (real)",))


if __name__ == "__main__":
    main()
