"""Quality of the `pointpillars` plugin trained from scratch on CPU, side by side with `geometric`.

Run: .venv/bin/python benchmarks/pointpillars_quality.py [--train-seeds 100] [--epochs 12] [--threads 2]

1. Generates street scenes with `annotator.synth` (training: seeds 1000.., held apart: seeds 5000..; a
   few frames each, 1.5 s apart) and caches them under ``--cache`` (``.npz``; ~1 s per new frame).
2. Trains a fresh PointPillars detector on the training frames through the plugin's own ``fit`` and saves
   the checkpoint to ``--checkpoint`` (under /tmp, never in the repository).
3. Runs both plugins (loaded through the plugin registry) on the held-apart frames and prints recall and
   precision per class at bird's-eye-view IoU 0.5 (the class must agree; the "any" row ignores classes).

Counting follows benchmarks/geometric_plugin.py: an object counts when it has >= 10 points on it (and,
in the "moderate" rule, >= 50 points and occlusion <= 1); other objects and objects outside the
detector's grid are "don't care": detections on them (BEV IoU >= 0.3) are neither right nor wrong, and
detections of either plugin outside the grid are dropped, so both are judged on the same ground.
"""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.ml.protocol import CancelToken, Detections, FrameInput, LabelledFrame

logger = logging.getLogger(__name__)

CLASSES = ("Car", "Van", "Truck", "Pedestrian", "Cyclist")
DONT_CARE_IOU = 0.3
#: Counting rules: title -> (least points on an object, most occlusion).
#: Score thresholds at which the PointPillars detections are also counted.
SWEEP = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
RULES = {"objects with >= 10 points": (10, 3), "moderate: >= 50 points, occlusion <= 1": (50, 1)}


# -- data ----------------------------------------------------------------------------------------------
@dataclass
class SceneFrame:
    """A generated frame: points and its ground truth (9-DoF LiDAR-frame boxes)."""

    name: str
    points: np.ndarray
    labels: list[str]
    boxes: np.ndarray
    num_points: np.ndarray
    occlusion: np.ndarray


def generate(seeds: range, frames: int, interval: float) -> list[SceneFrame]:
    """Frames of generated street sequences, ``frames`` per seed, ``interval`` seconds apart."""
    from annotator.synth import SceneConfig, iter_frames

    result = []
    for seed in seeds:
        config = SceneConfig(seed=seed, n_frames=frames, frame_interval=interval)
        for frame in iter_frames(config, render_images=False):
            objects = frame.objects
            result.append(
                SceneFrame(
                    f"synth {seed}/{frame.index}",
                    frame.points,
                    [o.label for o in objects],
                    np.array([o.cuboid.to_array(nine_dof=True) for o in objects]).reshape(-1, 9),
                    np.array([o.num_points for o in objects], dtype=np.int64),
                    np.array([o.occlusion for o in objects], dtype=np.int64),
                )
            )
    return result


def save_frames(path: Path, frames: list[SceneFrame]) -> None:
    """All frames in one ``.npz`` (points concatenated, objects with their frame's number)."""
    owners = np.concatenate([np.full(len(f.labels), i) for i, f in enumerate(frames)]).astype(np.int64)
    np.savez(
        path,
        names=np.array([f.name for f in frames]),
        counts=np.array([len(f.points) for f in frames]),
        points=np.concatenate([f.points for f in frames]),
        owner=owners,
        labels=np.array([label for f in frames for label in f.labels]),
        boxes=np.concatenate([f.boxes for f in frames]),
        num_points=np.concatenate([f.num_points for f in frames]),
        occlusion=np.concatenate([f.occlusion for f in frames]),
    )


def load_frames(path: Path) -> list[SceneFrame]:
    """Inverse of `save_frames`."""
    with np.load(path) as npz:
        data = {name: npz[name] for name in npz.files}
    starts = np.concatenate([[0], np.cumsum(data["counts"])])
    frames = []
    for i, name in enumerate(data["names"]):
        mine = data["owner"] == i
        frames.append(
            SceneFrame(
                str(name),
                data["points"][starts[i] : starts[i + 1]],
                [str(label) for label in data["labels"][mine]],
                data["boxes"][mine],
                data["num_points"][mine],
                data["occlusion"][mine],
            )
        )
    return frames


def cached(folder: Path, seeds: range, frames: int, interval: float) -> list[SceneFrame]:
    """Generated frames, read from ``folder`` when generated before with the same arguments."""
    path = folder / f"synth_{seeds.start}_{seeds.stop}_{frames}_{interval:g}.npz"
    if path.is_file():
        return load_frames(path)
    start = time.perf_counter()
    result = generate(seeds, frames, interval)
    folder.mkdir(parents=True, exist_ok=True)
    save_frames(path, result)
    print(f"generated {len(result)} frames in {time.perf_counter() - start:.0f} s -> {path}", flush=True)
    return result


def labelled(frames: list[SceneFrame]) -> list[LabelledFrame]:
    """Training frames as the plugin host hands them to ``fit`` (7-DoF boxes, every generated object)."""
    result = []
    for frame in frames:
        index = {name: i for i, name in enumerate(sorted(set(frame.labels)))}
        names = tuple(sorted(index))
        targets = Detections(
            frame.boxes[:, :7], [index[n] for n in frame.labels], np.ones(len(frame.labels)), names, "truth"
        )
        result.append(LabelledFrame(FrameInput(frame.name, frame.points), targets))
    return result


# -- scoring -------------------------------------------------------------------------------------------
def score(frame: SceneFrame, found: Detections, inside, rule: tuple[int, int]) -> dict:
    """Per-class counts of one frame under ``rule`` (objects it leaves out are don't care)."""
    from annotator.ml.evaluation import evaluate_frame

    cuboids = [Cuboid.from_array(box) for box in frame.boxes]
    on_grid = inside(frame.boxes[:, :2]) if len(frame.boxes) else np.zeros(0, bool)
    counted = [
        n >= rule[0] and o <= rule[1] and label in CLASSES and g
        for n, o, label, g in zip(frame.num_points, frame.occlusion, frame.labels, on_grid)
    ]
    truths = [(label, c) for label, c, k in zip(frame.labels, cuboids, counted) if k]
    ignored = [c for c, k in zip(cuboids, counted) if not k]
    detections = [
        (found.class_names[label], Cuboid.from_array(box), float(s))
        for box, label, s in zip(found.boxes, found.labels, found.scores)
        if inside(box[None, :2])[0]
    ]
    detections = [d for d in detections if not any(bev_iou(d[1], c) >= DONT_CARE_IOU for c in ignored)]
    return evaluate_frame(truths, detections, CLASSES)


def evaluate(model, frames: list[SceneFrame], params: dict, inside, thresholds=(0.0,)) -> tuple[dict, float]:
    """Counts of a plugin on ``frames`` as {score threshold: {rule: {class: counts}}} (detections are made
    once with ``params`` and then kept above each threshold) and its median seconds per frame."""
    from annotator.ml.evaluation import ClassCounts

    tallies = {t: {rule: {} for rule in RULES} for t in thresholds}
    times = []
    for frame in frames:
        start = time.perf_counter()
        found = model.predict(FrameInput(frame.name, frame.points), params)
        times.append(time.perf_counter() - start)
        for threshold, by_rule in tallies.items():
            kept = found.select(found.scores >= threshold)
            for title, rule in RULES.items():
                for name, counts in score(frame, kept, inside, rule).items():
                    by_rule[title].setdefault(name, ClassCounts()).add(counts)
    return tallies, float(np.median(times))


def report(title: str, columns: dict[str, dict]) -> None:
    """One table: per class, truths, then detections/recall/precision of every column side by side."""
    from annotator.ml.evaluation import ClassCounts

    print(f"\n{title}")
    print(f"  {'class':<11} {'truths':>6}" + "".join(f" | {n[:18]:>18} dets recall prec." for n in columns))
    for cls in (*CLASSES, "any"):
        row = [counts.get(cls, ClassCounts()) for counts in columns.values()]
        line = f"  {cls:<11} {row[0].truths:>6}"
        for c in row:
            line += f" | {'':>18} {c.detections:>4} {c.recall:>6.2f} {c.precision:>5.2f}"
        print(line)


# -- main ----------------------------------------------------------------------------------------------
def train(args, registry, frames: list[SceneFrame]):
    """A fresh PointPillars model (from the registry) trained on ``frames``; prints progress."""
    model = registry.load("pointpillars")
    if args.resume is not None:  # go on training a saved model (e.g. a few more epochs)
        model.load(str(args.resume))
    params = registry.manifest("pointpillars").parameter_values(
        {
            "epochs": args.epochs,
            "threads": args.threads,
            "from_scratch": args.resume is None,
            "seed": args.seed,
        }
    )
    start = time.perf_counter()
    losses: list[float] = []
    every = max(1, args.print_every)
    for progress in model.fit(labelled(frames), params, CancelToken()):
        losses.append(progress.metrics["loss"])
        if progress.step % every == 0 or progress.step == progress.total:
            recent = np.mean(losses[-every:])
            minutes = (time.perf_counter() - start) / 60.0
            print(
                f"  step {progress.step}/{progress.total}  loss {recent:.3f}  {minutes:.1f} min", flush=True
            )
    minutes = (time.perf_counter() - start) / 60.0
    tail = float(np.mean(losses[-min(50, len(losses)) :]))
    print(f"trained on {len(frames)} frames, {args.epochs} epochs, {len(losses)} steps in {minutes:.1f} min; "
          f"mean loss of the last 50 steps {tail:.3f} (first 50: {np.mean(losses[:50]):.3f})")  # fmt: skip
    model.save(str(args.checkpoint))
    print(f"checkpoint: {args.checkpoint} (version {model.version})")
    return model, params


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--train-seeds", type=int, default=100, help="training sequences (seeds 1000..)")
    parser.add_argument("--train-frames", type=int, default=3, help="frames per training sequence")
    parser.add_argument("--test-seeds", type=int, default=20, help="held-apart sequences (seeds 5000..)")
    parser.add_argument("--test-frames", type=int, default=2, help="frames per held-apart sequence")
    parser.add_argument("--interval", type=float, default=1.5, help="seconds between frames of a sequence")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--print-every", type=int, default=100, help="steps between progress lines")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/pointpillars_bench"))
    parser.add_argument("--checkpoint", type=Path, default=Path("/tmp/pointpillars_bench/pointpillars.pt"))
    parser.add_argument("--load", type=Path, help="evaluate this checkpoint instead of training")
    parser.add_argument("--resume", type=Path, help="train this checkpoint further instead of a fresh model")
    parser.add_argument(
        "--score-threshold", type=float, help="pointpillars score threshold (default: manifest)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from annotator.ml.registry import PluginRegistry

    registry = PluginRegistry.discover(dropin_folders=[])
    test = cached(args.cache, range(5000, 5000 + args.test_seeds), args.test_frames, args.interval)
    if args.load:
        model = registry.load("pointpillars")
        model.load(str(args.load))
        params = registry.manifest("pointpillars").parameter_values({"threads": args.threads})
        print(f"loaded {args.load} (version {model.version})")
    else:
        frames = cached(args.cache, range(1000, 1000 + args.train_seeds), args.train_frames, args.interval)
        print(f"training on {len(frames)} generated frames ({args.train_seeds} sequences), "
              f"{args.threads} threads", flush=True)  # fmt: skip
        args.checkpoint.parent.mkdir(parents=True, exist_ok=True)
        model, params = train(args, registry, frames)
    if args.score_threshold is not None:
        params["score_threshold"] = args.score_threshold
    inside = model.config.contains
    chosen = params["score_threshold"]
    sweep = sorted({chosen, *SWEEP})
    results = {
        "pointpillars": evaluate(model, test, {**params, "score_threshold": min(sweep)}, inside, sweep)
    }
    entry = registry.get("geometric") if "geometric" in {e.id for e in registry.entries()} else None
    if entry is not None and entry.available:
        geometric = registry.load("geometric")
        results["geometric"] = evaluate(
            geometric, test, registry.manifest("geometric").parameter_values(), inside
        )
    else:
        print("\n(the geometric plugin is not installed: PointPillars alone)")
    print(f"\nheld-apart frames: {len(test)} ({args.test_seeds} sequences), grid x {model.config.x_range} "
          f"y {model.config.y_range} m; BEV IoU 0.5, classes must agree")  # fmt: skip
    for name, (_, seconds) in results.items():
        print(f"  {name}: median {seconds * 1000:.0f} ms per frame")
    for rule in RULES:
        columns = {f"pointpillars >={chosen:g}": results["pointpillars"][0][chosen][rule]}
        if "geometric" in results:
            columns["geometric"] = results["geometric"][0][0.0][rule]
        report(rule, columns)
    rule = next(iter(RULES))
    print(f"\npointpillars by score threshold ({rule}): recall / precision")
    print(f"  {'class':<11}" + "".join(f" {f'>={t:g}':>11}" for t in sweep))
    for cls in (*CLASSES, "any"):
        cells = [results["pointpillars"][0][t][rule].get(cls) for t in sweep]
        print(f"  {cls:<11}" + "".join(f" {c.recall:5.2f}/{c.precision:4.2f}" for c in cells))


if __name__ == "__main__":
    main()
