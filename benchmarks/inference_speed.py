"""3D inference speed and quality side by side: fp32, each fast variant, and the Paddle port, on CPU.

Run: nice python benchmarks/inference_speed.py [--data generated,kitti,argoverse] [--generated 4]
                                              [--every 1] [--threads 1] [--repeats 1] [--score-threshold 0.3]
                                              [-p NAME=VALUE]

Variants (each with its shipped weights): ``pointpillars`` in fp32, int8 (dynamic: the encoder's linear
layer) and int8-static (the whole network, `plugins.pointpillars.fast`; its calibration is timed apart),
``paddle-det3d`` (the same weights converted) in fp32, and the pruned weights of ``python -m
plugins.pointpillars.prune`` (``--pruned FILE``, when present) and the distilled student of ``python -m
plugins.pointpillars.distill_run`` (``--student FILE``, when present) and the one distilled on real sweeps too
(``--student-real FILE``, ``distill_run --project``) in fp32. On a machine with CUDA, ``pointpillars`` fp16 on
the GPU is added. Data: generated frames the base model never saw (seed 9000, objects with >= 10 points
within 50 m), the KITTI frame (objects in the camera's view within 40 m, detections likewise), the
Argoverse sweeps 0-29 (development) and 30-49 (held out) with real_assist's labels, every ``--every``-th
sweep (``argoverse-dev`` or ``argoverse-held`` in ``--data`` takes one of the two), and with ``sustech`` in ``--data``
the SUSTechPOINTS example scene (another sensor; labels as real_assist reads them, within 50 m); ``--only`` names the variants
to run, e.g. ``--only "pointpillars fp32,pointpillars student fp32"``). Per variant and data set: frames/s by the process's CPU time (1 / median CPU seconds per frame after
a warm-up frame; with the default one thread this does not depend on what else loads the machine) and by
the wall clock (``--threads`` CPU threads), recall and precision at bird's-eye-view IoU 0.5 (classes agree; "any" ignores them) at
``--score-threshold``, and the share of fp32 detections a variant reproduces (same class, IoU >= 0.7).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_assist

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.ml.evaluation import ClassCounts, evaluate_frame
from annotator.ml.protocol import FrameInput
from annotator.ml.registry import PluginRegistry
from annotator.ml.shipped import base_weights

VARIANTS = (
    ("pointpillars", "fp32"),
    ("pointpillars", "int8"),
    ("pointpillars", "int8-static"),
    ("paddle-det3d", "fp32"),
)
PRUNED, STUDENT, STUDENT_REAL = "pointpillars pruned", "pointpillars student", "pointpillars student-real"
WEIGHTS = Path(__file__).resolve().parents[1] / "plugins/pointpillars/weights"
KITTI_RANGE, GENERATED_SEED, GENERATED_RANGE = 40.0, 9000, 50.0


@dataclass
class Result:
    """One variant on one data set."""

    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    counts: dict[str, ClassCounts] = field(default_factory=dict)
    kept: list[float] = field(default_factory=list)
    detections: list = field(default_factory=list)


def generated_samples(classes: list[str], count: int) -> list[real_assist.Sample]:
    """Generated frames: objects with >= 10 points within 50 m are labels, the others don't care."""
    from annotator.synth.replay import generated_frames

    samples = []
    for labelled in generated_frames(classes, count, GENERATED_SEED):
        targets, weights = labelled.targets, labelled.weights
        truths, ignore = [], []
        for box, label, weight in zip(targets.boxes, targets.labels, weights):
            cuboid = Cuboid.from_array(box)
            near = math.hypot(*cuboid.center[:2]) <= GENERATED_RANGE
            (
                truths.append((targets.class_names[int(label)], cuboid))
                if weight > 0 and near
                else ignore.append(cuboid)
            )
        keep = real_assist.within(GENERATED_RANGE)
        samples.append(real_assist.Sample(labelled.frame.name, labelled.frame.points, truths, ignore, keep))
    return samples


def kitti_samples(classes: list[str]) -> list[real_assist.Sample]:
    """The KITTI frame: labels and detections in the camera's view within 40 m."""
    samples, near = [], real_assist.within(KITTI_RANGE)
    for sample in real_assist.kitti_samples(classes):
        truths = [(c, b) for c, b in sample.truths if near(b)]
        ignore = sample.ignore + [b for c, b in sample.truths if not near(b)]
        in_view = sample.keep

        def keep(box: Cuboid, in_view=in_view, near=near) -> bool:
            return near(box) and (in_view is None or in_view(box))

        samples.append(real_assist.Sample(sample.name, sample.points, truths, ignore, keep))
    return samples


def data_sets(names: set[str], classes: list[str], generated: int, every: int) -> dict[str, list]:
    """The chosen data sets (real ones only when ../shared/data has them)."""
    sets: dict[str, list] = {}
    if "generated" in names:
        sets[f"generated ({generated} frames)"] = generated_samples(classes, generated)
    if "kitti" in names and real_assist.KITTI.is_dir():
        sets["KITTI 000000 (camera view, <= 40 m)"] = kitti_samples(classes)
    if names & {"argoverse", "argoverse-dev", "argoverse-held"} and real_assist.ARGOVERSE.is_dir():
        for name, title, frames in (
            ("argoverse-dev", "Argoverse 0-29 (development)", range(0, 30)),
            ("argoverse-held", "Argoverse 30-49 (held out)", range(30, 50)),
        ):
            if names & {"argoverse", name}:
                sets[title] = list(real_assist.argoverse_samples(classes, set(frames[::every])))
    if "sustech" in names and real_assist.SUSTECH.is_dir():
        sets["SUSTechPOINTS (another sensor, held out)"] = list(real_assist.sustech_samples(classes))
    return sets


def agreement(reference: list, other: list) -> float:
    """Share of the reference detections reproduced by ``other`` (same class, BEV IoU >= 0.7)."""
    if not reference:
        return 1.0
    hits = sum(any(c == k and bev_iou(b, o) >= 0.7 for k, o, _ in other) for c, b, _ in reference)
    return hits / len(reference)


def load(registry: PluginRegistry, plugin: str):
    """The plugin's model with its shipped weights."""
    manifest = registry.manifest(plugin)
    model = registry.load(plugin)
    model.load(str(base_weights(manifest)))
    return model, manifest


def run(model, params: dict, samples: list, classes: list[str], repeats: int) -> Result:
    """Predict every sample (after one warm-up), timing each ``repeats`` times."""
    result = Result()
    model.predict(FrameInput(samples[0].name, samples[0].points), params)
    for sample in samples:
        frame = FrameInput(sample.name, sample.points)
        times, cpu = [], []
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            detections = model.predict(frame, params)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        result.seconds.append(statistics.median(times))
        result.cpu.append(statistics.median(cpu))
        found = real_assist.proposals(detections, sample)
        result.detections.append(found)
        for name, counts in evaluate_frame(sample.truths, found, classes, 0.5).items():
            result.counts.setdefault(name, ClassCounts()).add(counts)
    return result


def variants(gpu: bool) -> tuple[tuple[str, str], ...]:
    """The variants this machine can run."""
    return VARIANTS + ((("pointpillars", "fp16-gpu"),) if gpu else ())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="generated,kitti,argoverse")
    parser.add_argument("--generated", type=int, default=4)
    parser.add_argument("--every", type=int, default=1, help="every n-th Argoverse sweep")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1)
    for name, default, what in (
        ("pruned", "pruned.pt", "pruned pointpillars weights"),
        ("student", "student.pt", "distilled pointpillars weights"),
        ("student-real", "student_real.pt", "pointpillars weights distilled on real sweeps too"),
    ):
        parser.add_argument(f"--{name}", type=Path, default=WEIGHTS / default,
                            help=f"{what} to measure as one more variant (when the file exists)")  # fmt: skip
    parser.add_argument("--only", default="", help="comma-separated variants to run (default: all)")
    parser.add_argument("--score-threshold", type=float, default=0.3)
    parser.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE",
                        help="a plugin parameter for every variant, e.g. -p refine=fit")  # fmt: skip
    args = parser.parse_args()

    import torch

    registry = PluginRegistry.discover([])
    wanted = {p for p, _ in VARIANTS if p == "pointpillars" or not args.only or p in args.only}
    models = {plugin: load(registry, plugin) for plugin in wanted}
    for name, weights in ((PRUNED, args.pruned), (STUDENT, args.student), (STUDENT_REAL, args.student_real)):
        if weights.is_file():  # pruned (plugins.pointpillars.prune) or distilled weights, another instance
            model, manifest = models["pointpillars"]
            models[name] = (type(model)(), manifest)
            models[name][0].load(str(weights))
    classes = list(models["pointpillars"][1].classes)
    sets = data_sets(set(args.data.split(",")), classes, args.generated, args.every)
    gpu = torch.cuda.is_available()
    extra = [(name, "fp32") for name in (PRUNED, STUDENT, STUDENT_REAL)]
    chosen = [v for v in (*variants(gpu), *extra) if v[0] in models]
    if args.only:
        chosen = [v for v in chosen if " ".join(v) in {name.strip() for name in args.only.split(",")}]
    print(
        f"CPU threads {args.threads} (fp16-gpu: the GPU), score >= {args.score_threshold}, BEV IoU 0.5; GPU: {gpu}"
    )
    print(
        "| data | variant | frames/s (CPU time) | speed-up | frames/s (wall) | recall any | precision any "
        "| recall Car | fp32 boxes kept |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for title, samples in sets.items():
        if not samples:
            continue
        reference = None
        for plugin, precision in chosen:
            model, manifest = models[plugin]
            params = {"score_threshold": args.score_threshold, "threads": args.threads}
            params |= dict(p.split("=", 1) for p in args.param)
            if "precision" in {p.name for p in manifest.parameters}:
                params["precision"] = precision
            start = time.perf_counter()
            model.predict(FrameInput("warm", samples[0].points), params)  # builds a quantised copy once
            build = time.perf_counter() - start
            result = run(model, params, samples, classes, args.repeats)
            rate, wall = 1.0 / statistics.median(result.cpu), 1.0 / statistics.median(result.seconds)
            if reference is None:
                reference, base_rate, base_wall = result, rate, wall
            kept = statistics.mean(agreement(r, o) for r, o in zip(reference.detections, result.detections))
            counts = result.counts
            car = counts.get("Car", ClassCounts())
            note = f" (first call {build:.1f} s)" if precision == "int8-static" else ""
            print(
                f"| {title} | {plugin} {precision}{note} | {rate:.2f} | {rate / base_rate:.2f}x | "
                f"{wall:.2f} ({wall / base_wall:.2f}x) | "
                f"{counts['any'].recall:.3f} ({counts['any'].found}/{counts['any'].truths}) | "
                f"{counts['any'].precision:.2f} | {car.recall:.2f} | {kept:.2f} |"
            )
            sys.stdout.flush()


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
