"""The shipped PointPillars base detector against the alternatives, on generated and on REAL LiDAR.

Run: python benchmarks/base_detector.py [--weights FILE] [--data argoverse,kitti,sustech] [--generated 4]
                                        [--online] [--every 5] [--epochs 30] [--threads 1] [--carry]

1. Generated frames the base model never saw (seed 9000, every simulated sensor): recall / precision at
   bird's-eye-view IoU 0.5 and 0.7, objects with >= 10 points within 50 m (fewer points: "don't care").
2. Real frames (`benchmarks/real_assist.py`'s data and counting): the base model (``--weights``, default
   the shipped ones) and the `geometric` plugin, Argoverse sweeps 0-29 (development) and 30-49 (held
   out) apart, the KITTI frame (camera view) and SUSTechPOINTS (held out): recall / precision at IoU 0.5
   and 0.7, edits and effort of ``fixed`` against ``manual``.
3. Speed: median pre-annotation time of the base model on a 120k-point frame (the KITTI frame's points,
   padded), CPU threads as ``--threads``.
4. ``--online``: `annotator simulate` on the Argoverse log imported as an annotator would (``-o
   max_range=50 -o min_points=10``): manual, base ``fixed``, base + ``online`` fine-tuning every
   ``--every`` frames and PointPillars ``online`` from scratch, in one run (edits, effort vs manual,
   forgetting on the first frames, each fine-tuned version's card: the learned box convention). Slow on a
   CPU: ``--epochs`` per fine-tuning run; ``-p NAME=VALUE`` plugin parameters go to every run;
   ``--fixed-class-thresholds`` adds base ``fixed`` with per-class score thresholds, ``--refine fit`` base
   ``fixed`` and base + ``online`` with the plugin's proposal refinement (``-p refine=fit``). ``propagate``
   is the baseline without a model: the previous sweep's verified boxes carried in by the window's propagation
   (`annotator.ml.finetune.carry`); ``--carry`` adds base ``fixed`` and ``online`` with the model proposing
   only where no carried box stands (``simulate --carry``).

``-p complement=geometric`` measures the hybrid pre-annotation (the geometric plugin's boxes plus the
network's proposals none of them explains) everywhere the base model is measured: real frames (at
``--threshold`` only), speed and the ``--online`` runs.
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_assist

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.ml.evaluation import ClassCounts, evaluate_frame
from annotator.ml.finetune.edits import EffortModel
from annotator.ml.protocol import FrameInput

PLUGIN = "pointpillars"
#: Detections are kept down to this score so the threshold sweep can count them.
FLOOR = 0.05
GENERATED_SEED = 9000
SPEED_POINTS = 120_000
#: The KITTI frame is measured in the camera's view within this range (the issue's measure).
KITTI_RANGE = 40.0


class AllScores:
    """A plugin model predicting down to `FLOOR` whatever threshold the benchmark passes; a hybrid run
    (``complement`` set) predicts at ``threshold`` itself, since it checks every network proposal it adds
    against the points (so its figures below ``threshold`` are not measured)."""

    def __init__(self, model, floor_key: str | None, threshold: float = FLOOR) -> None:
        self.model, self.floor_key, self.threshold = model, floor_key, threshold

    def predict(self, frame: FrameInput, params: dict):
        values = {k: v for k, v in params.items() if k != "min_score"}
        if self.floor_key is not None:
            hybrid = values.get("complement", "off") != "off"
            values[self.floor_key] = self.threshold if hybrid else FLOOR
        return self.model.predict(frame, values)


def load_plugin(registry, plugin: str, weights: Path | None):
    """The plugin's model with ``weights`` (else its shipped ones, hash-checked, when it ships some)."""
    from annotator.ml.shipped import base_weights

    manifest = registry.manifest(plugin)
    model = registry.load(plugin)
    chosen = weights or base_weights(manifest)
    if chosen is not None:
        model.load(str(chosen))
    floor_key = next(
        (k for k in ("score_threshold", "min_score") if k in {p.name for p in manifest.parameters}), None
    )
    return model, manifest, chosen, floor_key


# -- 1. generated frames -----------------------------------------------------------------------------------
def summary(counts: dict[float, dict[str, ClassCounts]]) -> dict[str, list[float]]:
    """Recall and precision per class (and "any") at IoU 0.5 and 0.7, rounded, for the model card."""
    result = {}
    for iou, rows in counts.items():
        for name, c in rows.items():
            if c.truths or (name == "any" and c.detections):
                result[f"{name} @{iou}"] = [round(c.recall, 2), round(c.precision, 2)]
    return result


def generated_samples(sensor: str, per_sensor: int, classes: list[str]):
    """Unseen generated frames of one sensor (seed 9000): (points, truths, ignore) with the real-data
    filters (>= 10 points, within 50 m; fewer points or other classes: "don't care")."""
    from annotator.synth import iter_frames
    from plugins.pointpillars.base_data import FRAMES_PER_SCENE, scene_for

    for scene in range(per_sensor):
        _, config = scene_for(scene * FRAMES_PER_SCENE, [sensor], GENERATED_SEED)
        frame = next(iter(iter_frames(config, render_images=False)))
        truths, ignore = [], []
        for obj in frame.objects:
            box = obj.cuboid
            near = math.hypot(*box.center[:2]) <= real_assist.MAX_RANGE
            (truths if obj.num_points >= 10 and near and obj.label in classes else ignore).append(
                (obj.label, box)
            )
        yield frame.points, truths, ignore


def generated_found(model, params: dict, points: np.ndarray, ignore: list, name: str) -> list:
    """The model's detections of a generated frame within 50 m, those on "don't care" objects left out."""
    result = model.predict(FrameInput(name, points), params)
    found = [(result.class_names[int(k)], Cuboid.from_array(b), float(s))
             for b, k, s in zip(result.boxes, result.labels, result.scores)]  # fmt: skip
    found = [d for d in found if math.hypot(*d[1].center[:2]) <= real_assist.MAX_RANGE]
    return [d for d in found if not any(bev_iou(d[1], b) >= 0.3 for _, b in ignore)]


def generated_quality(
    model, params: dict, threshold: float, per_sensor: int, classes: list[str], card: dict
) -> None:
    """Recall / precision per simulated sensor on generated frames of unseen scenes."""
    from plugins.pointpillars.sensors import SENSORS

    for sensor in SENSORS:
        counts: dict[float, dict[str, ClassCounts]] = {}
        done = 0
        for points, truths, ignore in generated_samples(sensor, per_sensor, classes):
            found = generated_found(model, params, points, ignore, f"{sensor} {done}")
            found = [d for d in found if d[2] >= threshold]
            for iou in (0.5, 0.7):
                for name, c in evaluate_frame(truths, found, classes, iou).items():
                    counts.setdefault(iou, {}).setdefault(name, ClassCounts()).add(c)
            done += 1
        card[f"generated {sensor}, {done} frames"] = {
            k: v for k, v in summary(counts).items() if k.startswith(("any", "Car", "Pedestrian"))
        }
        for iou, rows in counts.items():
            cells = "  ".join(
                f"{n} {c.recall:.2f}/{c.precision:.2f}" for n, c in rows.items() if c.truths or c.detections
            )
            print(f"  generated {sensor} ({done} frames) BEV IoU {iou}: {cells}", flush=True)


#: Per-class thresholds tried by `choose_class_thresholds`.
CLASS_CUTS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)


def choose_class_thresholds(model, params: dict, per_sensor: int, classes: list[str]) -> dict[str, float]:
    """Per class, the score threshold (of `CLASS_CUTS`) with the best F1 at BEV IoU 0.5 on unseen
    generated frames of every simulated sensor (never on real frames)."""
    from plugins.pointpillars.sensors import SENSORS

    counts: dict[float, dict[str, ClassCounts]] = {cut: {} for cut in CLASS_CUTS}
    for sensor in SENSORS:
        for index, (points, truths, ignore) in enumerate(generated_samples(sensor, per_sensor, classes)):
            found = generated_found(model, {**params, "score_threshold": FLOOR}, points, ignore, f"{index}")
            for cut in CLASS_CUTS:
                kept = [d for d in found if d[2] >= cut]
                for name, c in evaluate_frame(truths, kept, classes, 0.5).items():
                    counts[cut].setdefault(name, ClassCounts()).add(c)

    def f1(c: ClassCounts) -> float:
        return 2 * c.recall * c.precision / max(c.recall + c.precision, 1e-9) if c.truths else 0.0

    chosen = {}
    for name in classes:
        seen = [cut for cut in CLASS_CUTS if name in counts[cut] and counts[cut][name].truths]
        if seen:
            chosen[name] = max(seen, key=lambda cut: (round(f1(counts[cut][name]), 3), -cut))
    return chosen


# -- 3. speed ----------------------------------------------------------------------------------------------
def speed(model, params: dict, repeat: int = 7) -> tuple[float, float]:
    """Median frames/s on a 120k-point real frame: by the wall clock, and by the process's CPU time (what
    the rate would be with the cores to itself; this machine is shared)."""
    cloud = next(iter(real_assist.kitti_samples(["Car"]))).points if real_assist.KITTI.is_dir() else None
    rng = np.random.default_rng(0)
    if cloud is None:
        cloud = rng.uniform(-50, 50, (SPEED_POINTS, 4)).astype(np.float32)
    extra = cloud[rng.integers(0, len(cloud), max(0, SPEED_POINTS - len(cloud)))]
    points = np.concatenate([cloud, extra + rng.normal(0, 0.02, extra.shape).astype(np.float32)])[
        :SPEED_POINTS
    ]
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        model.predict(FrameInput("speed", points), params)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return 1.0 / statistics.median(wall), 1.0 / statistics.median(cpu)


# -- 4. sequence simulation --------------------------------------------------------------------------------
def cli(*arguments: str) -> str:
    """Run ``annotator ARGS`` (this checkout's code); its stdout."""
    import subprocess

    done = subprocess.run([sys.executable, "-m", "annotator.cli", *arguments], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"annotator {' '.join(arguments)} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def block_efforts(report: dict, every: int) -> str:
    """Effort against manual per block of ``every`` frames of a simulate report, e.g. ``0.71, 0.43``."""
    frames = report["frames"]
    blocks = [frames[k : k + every] for k in range(0, len(frames), every)]
    ratios = [sum(f["effort_s"] for f in b) / max(sum(f["manual_effort_s"] for f in b), 1e-9) for b in blocks]
    return ", ".join(f"{r:.2f}" for r in ratios)


def block_edits(report: dict, every: int) -> str:
    """Edits by kind per block of ``every`` frames, e.g. ``+20 -90 ~74 =29 | ...`` (added, deleted,
    adjusted, accepted)."""
    frames = report["frames"]
    parts = []
    for k in range(0, len(frames), every):
        kinds = [sum(f["edits"][kind] for f in frames[k : k + every]) for kind in KINDS]
        parts.append(" ".join(f"{sign}{n}" for sign, n in zip("+-~=", kinds)))
    return " | ".join(parts)


#: Edit kinds of a simulate report's frames, in `block_edits`' order.
KINDS = ("added", "deleted", "adjusted", "accepted")


def online(args: argparse.Namespace, weights: Path | None) -> None:
    """The scripted annotator on the imported Argoverse log, per strategy and starting model."""
    import json

    work = Path(tempfile.mkdtemp(prefix="base-detector-"))
    try:
        project = work / "argoverse"
        cli("import", str(project), str(real_assist.ARGOVERSE), "--format", "argoverse",
            "-o", "max_range=50", "-o", "min_points=10")  # fmt: skip
        common = ["--plugin", PLUGIN, "--every", str(args.every), "--threads", str(args.threads), "--json",
                  "-p", f"threads={args.threads}", "-p", f"score_threshold={args.threshold}"]  # fmt: skip
        for param in args.param:
            common += ["-p", param]
        if args.frames:
            common += ["--frames", args.frames]
        if args.epochs:
            common += ["--epochs", str(args.epochs)]
        start = ["--initial", str(weights)] if weights is not None else []
        runs = {
            "manual": ["--strategy", "manual"],
            "base fixed": ["--strategy", "fixed", *start],
            "base + online": ["--strategy", "online", *start],
            "scratch online": ["--strategy", "online", "--from-scratch"],
            "propagate": ["--strategy", "propagate"],
        }
        if args.carry:
            runs["base fixed, carry"] = ["--strategy", "fixed", *start, "--carry"]
            runs["base + online, carry"] = ["--strategy", "online", *start, "--carry"]
        if args.fixed_class_thresholds:
            thresholds = ["-p", f"class_thresholds={args.fixed_class_thresholds}"]
            runs["base fixed, class thresholds"] = ["--strategy", "fixed", *start, *thresholds]
        for mode in args.refine:
            runs[f"base fixed, refine={mode}"] = ["--strategy", "fixed", *start, "-p", f"refine={mode}"]
            runs[f"base + online, refine={mode}"] = ["--strategy", "online", *start, "-p", f"refine={mode}"]
        rows = {}
        for title, extra in runs.items():
            if args.runs and title.split()[0] not in args.runs.split(","):
                continue
            began = time.perf_counter()
            output = cli("simulate", str(project), *common, *extra)
            report = json.loads(output)
            rows[title] = report
            if args.reports is not None:
                args.reports.mkdir(parents=True, exist_ok=True)
                slug = "".join(ch if ch.isalnum() else "-" for ch in title).strip("-")
                (args.reports / f"{slug}.json").write_text(output, encoding="utf-8")
            print(f"    effort per block of {args.every} frames: {block_efforts(report, args.every)}")
            print(
                f"    edits per block (+added -deleted ~adjusted =accepted): {block_edits(report, args.every)}"
            )
            if report.get("probe"):
                probe = ", ".join(str(p["edits"]) for p in report["probe"])
                print(
                    f"    forgetting: the first 5 frames' edits after each promotion: {probe}"
                )  # simulate's probe
            totals = report["totals"]
            print(f"  {title}: {totals['total']} edits (added {totals['added']}, deleted {totals['deleted']}, "
                  f"adjusted {totals['adjusted']}, accepted {totals['accepted']}), effort "
                  f"{totals['effort_s'] / 60:.1f} min = {totals['effort_s'] / max(report['manual_effort_s'], 1e-9):.2f}x manual, "
                  f"forgetting {report.get('forgetting')}, {time.perf_counter() - began:.0f} s", flush=True)  # fmt: skip
            for version in report["versions"]:
                card = "; ".join(f"{k}: {v}" for k, v in version.get("card", {}).items())
                print(f"    after {version['after_frames']} frames: {'promoted' if version['promoted'] else 'kept'}, "
                      f"{version['seconds']:.0f} s{'; ' + card if card else ''}", flush=True)  # fmt: skip

    finally:  # the imported project is scratch
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--weights", type=Path, help="base weights (default: the ones pointpillars ships)")
    parser.add_argument("--data", default="argoverse,kitti,sustech", help="real data sets, comma-separated")
    parser.add_argument("--frames", help="Argoverse sweeps, e.g. 0-29 (default: 0-29 and 30-49 apart)")
    parser.add_argument(
        "--generated", type=int, default=4, metavar="N", help="generated frames per sensor (0: none)"
    )
    parser.add_argument("--threshold", type=float, default=0.3, help="score threshold of the proposals")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--no-geometric", action="store_true", help="skip the geometric plugin")
    parser.add_argument(
        "--online", action="store_true", help="also simulate fine-tuning on the Argoverse log"
    )
    parser.add_argument("--every", type=int, default=5, help="fine-tune after every K frames (--online)")
    parser.add_argument(
        "--epochs",
        type=int,
        default=30,
        help="epochs per fine-tuning run (--online; README seventh pass: 0.25x at 30, 0.27x at 15)",
    )
    parser.add_argument("--json-out", type=Path, help="write the base model's figures here (model card)")
    parser.add_argument("--runs", help="--online runs to do: manual,base,scratch,propagate (default all)")
    parser.add_argument("--carry", action="store_true",
                        help="--online: also the base runs with simulate --carry (the previous frame's verified "
                        "boxes carried in, the model proposing where none stands)")  # fmt: skip
    parser.add_argument("--fixed-class-thresholds", metavar="TEXT",
                        help="--online: also run base `fixed` with these per-class thresholds (e.g. "
                        "Car=0.35,Pedestrian=0.55); the -p parameters go to every run")  # fmt: skip
    parser.add_argument("--refine", action="append", default=[], choices=["fit", "drop"],
                        help="--online: also run base fixed and base + online with the plugin's refine=MODE "
                        "(proposals placed on their points by the partial-scan fitter, unsupported ones "
                        "dropped); repeatable")  # fmt: skip
    parser.add_argument("--reports", type=Path, help="--online: write each simulate report (JSON) here")
    parser.add_argument("--online-only", action="store_true", help="skip sections 1-3")
    parser.add_argument("--class-thresholds", action="store_true",
                        help="choose per-class score thresholds on the generated frames (best F1) and "
                        "measure the real frames with them (the plugin's class_thresholds)")  # fmt: skip
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                        help="a pointpillars parameter (e.g. y_extent=51.2)")  # fmt: skip
    args = parser.parse_args()
    from annotator.ml.registry import PluginRegistry

    registry = PluginRegistry.discover()
    costs = EffortModel()
    model, manifest, weights, floor_key = load_plugin(registry, PLUGIN, args.weights)
    params = manifest.parameter_values({"threads": args.threads, **dict(p.split("=", 1) for p in args.param)})
    print(f"base model: {weights} (version {model.version}); score >= {args.threshold}", flush=True)
    if args.online_only:
        print(
            f"\n4. Argoverse log, scripted annotator (fine-tuning every {args.every} frames, {args.epochs} epochs):"
        )
        online(args, weights)
        return
    card: dict = {"threshold": args.threshold}
    if args.class_thresholds:
        from plugins.pointpillars.class_thresholds import format_class_thresholds

        text = format_class_thresholds(
            choose_class_thresholds(model, params, max(args.generated, 1), list(manifest.classes))
        )
        params = {**params, "class_thresholds": text}
        card["class_thresholds"] = text
        print(f"class thresholds chosen on generated frames (seed {GENERATED_SEED}): {text}", flush=True)
    if args.generated:
        print("\n1. generated frames (seed 9000, never trained on):")
        generated_quality(
            model,
            {**params, "score_threshold": args.threshold},
            args.threshold,
            args.generated,
            list(manifest.classes),
            card,
        )
    contenders = [("base", AllScores(model, floor_key, args.threshold), params, list(manifest.classes))]
    if not args.no_geometric:
        geo, geo_manifest, _, geo_key = load_plugin(registry, "geometric", None)
        contenders.append(
            (
                "geometric",
                AllScores(geo, geo_key),
                geo_manifest.parameter_values({}),
                list(geo_manifest.classes),
            )
        )
    wanted = args.data.split(",")
    print("\n2. real frames:")
    for title, adapter, values, classes in contenders:
        sets = []
        if "argoverse" in wanted and real_assist.ARGOVERSE.is_dir():
            parts = {args.frames: real_assist.parse_frames(args.frames)} if args.frames else {
                "0-29 (development)": set(range(30)), "30-49 (held out)": set(range(30, 50))}  # fmt: skip
            sets += [
                (f"Argoverse sweeps {k}", lambda f=f, c=classes: real_assist.argoverse_samples(c, f))
                for k, f in parts.items()
            ]
        if "kitti" in wanted and real_assist.KITTI.is_dir():
            sets.append(
                (
                    f"KITTI (camera view within {KITTI_RANGE:g} m)",
                    lambda c=classes: real_assist.kitti_samples(c, KITTI_RANGE),
                )
            )
        if "sustech" in wanted and real_assist.SUSTECH.is_dir():
            sets.append(("SUSTechPOINTS (held out)", lambda c=classes: real_assist.sustech_samples(c)))
        for name, samples in sets:
            tally = real_assist.measure(adapter, values, samples(), classes, args.threshold)
            real_assist.report(f"{title} on {name}", tally, classes, args.threshold, costs)
            if title == "base" and tally.frames:
                manual_s = costs.seconds(tally.manual)
                card[name] = {
                    **{
                        k: v
                        for k, v in summary(tally.counts).items()
                        if k.startswith(("any", "Car", "Pedestrian"))
                    },
                    "edits fixed/manual": f"{tally.fixed.total}/{tally.manual.total}",
                    "effort fixed/manual": round(costs.seconds(tally.fixed) / manual_s, 2)
                    if manual_s
                    else None,
                }
    import os

    rate, cpu_rate = speed(model, params)
    card["speed, 120k points, 1 thread"] = (
        f"{cpu_rate:.1f} frames/s of CPU time ({rate:.1f} by the shared wall clock)"
    )
    if args.json_out is not None:
        import json

        args.json_out.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(f"\n3. speed on a {SPEED_POINTS // 1000}k-point frame, {args.threads} thread(s): {rate:.1f} frames/s "
          f"(wall clock, load average {os.getloadavg()[0]:.1f}), {cpu_rate:.1f} frames/s of CPU time")  # fmt: skip
    if args.online and real_assist.ARGOVERSE.is_dir():
        print(
            f"\n4. Argoverse log, scripted annotator (fine-tuning every {args.every} frames, {args.epochs} epochs):"
        )
        online(args, weights)


if __name__ == "__main__":
    main()
