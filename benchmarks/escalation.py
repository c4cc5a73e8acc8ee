"""Escalation on REAL and generated frames: does the uncertainty find the wrong proposals, and what does
accepting the confident ones unreviewed cost in residual errors?

Run: python benchmarks/escalation.py [--data argoverse,generated,kitti,sustech] [--frames 0-29] [--mode ensemble]
                                     [--passes 5] [--weights FILE] [--threshold 0.5] [--ood-threshold 1.2]
                                     [--adapt-every 5] [--verified 0-29] [--finetune-on 0-4 [--epochs N]]
                                     [--cluster-threshold 0.5] [-p complement=geometric] [--cache DIR]
                                     [--beside 0.5] [--min-score 0.3]

The pointpillars plugin with its shipped weights (or ``--weights``) and the extras ``annotator
train-ensemble`` wrote beside them (ensemble heads, calibration, OOD index) scores every frame K times
(`annotator.ml.uncertainty.escalation_frames`, the code of ``simulate --strategy escalate``). Per data set:

- AUROC of the combined uncertainty (the calibrated P(wrong) is a monotonic map of it: the same ranking)
  against the detector's own score alone (first pass; 0 where it missed the object) for finding wrong
  proposals (no ground-truth box of the class at BEV IoU >= 0.5);
- the OOD score of the frames (median, range) and how many the rule reviews whole;
- the escalation sweep: reviewed share, wrong boxes accepted unreviewed, objects missed in unreviewed
  frames, residual error rate per object, edits and effort against drawing every box;
- the possible missed objects (`annotator.ml.uncertainty.missed`): the frames' unexplained clusters, how
  many lie on an object the model did not propose, the AUROC of their objectness for that, and a sweep of
  the cluster threshold at the proposal threshold (without whole-frame review).

With ``--adapt-every K`` each data set is also judged with online adaptation
(`annotator.ml.uncertainty.adaptation`, as ``simulate --strategy escalate --adapt-every K``): after every K
frames in order, the error model (P(wrong) from the ensemble's measures and the class) is fitted on the
frames done so far; after every frame, its embedding joins the OOD reference; the AUROC is then given on the frames
judged after the first adaptation, beside the score alone on the same frames. ``--verified 0-29`` first
takes those Argoverse sweeps as verified (one adaptation on all of them: error model, miss rate, OOD
reference) and then judges the data sets: the held-out sweeps after a finished development part.

``--finetune-on 0-4`` first fine-tunes the model on those sweeps' labels (the plugin's fine-tuning
defaults, or with ``--plain-fit`` its fit defaults; ``--epochs``), as ``simulate --adapt-model`` does: the frames are then judged by that version,
with its refreshed heads and its OOD index rebuilt with the sweeps it trained on.

``-p NAME=VALUE`` passes plugin parameters to scoring: ``-p complement=geometric`` measures escalation with
the hybrid detector (the geometric plugin's boxes plus the network's; its proposals are then also reported
by source). ``--beside M`` adds a sweep in which the simulated person also adds the missed objects within M m
of an item they review (`annotator.ml.uncertainty.escalation.escalate_frame`). ``--cache DIR`` keeps the
judged frames, so that another analysis of the same scoring starts at once.

Data: ``kitti`` and ``sustech`` (the frames of other sensors: their OOD scores), ``argoverse`` (../shared/data, as benchmarks/real_assist.py reads it: labels within 50 m with >= 10
points; ``--frames 0-29`` development, ``30-49`` held out), ``generated`` (frames of `annotator.synth` as
base training makes them, seed ``--generated-seed``, never used for the heads or the calibration).
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_assist

from annotator.cli.plugin_args import plugin_params
from annotator.ml.finetune.edits import EffortModel
from annotator.ml.protocol import FrameInput
from annotator.ml.registry import PluginRegistry
from annotator.ml.shipped import base_weights
from annotator.ml.uncertainty.adaptation import OnlineAdapter, adapt_frames
from annotator.ml.uncertainty.escalation import (
    DEFAULT_MAX_MISS_RATE,
    DEFAULT_OOD_THRESHOLD,
    SWEEP,
    EscalationFrame,
    claimed_truths,
    sweep,
    sweep_table,
)
from annotator.ml.uncertainty.escalation_frames import escalation_frame
from annotator.ml.uncertainty.evaluation import auroc
from annotator.ml.uncertainty.missed import DEFAULT_CLUSTER_THRESHOLD

CLUSTER_SWEEP = (0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)


def generated_samples(count: int, seed: int) -> list[real_assist.Sample]:
    """Frames generated as base training makes them (other seed), labels with >= 5 points."""
    from annotator.core.cuboids.cuboid import Cuboid
    from plugins.pointpillars.base_data import build_cache, load_frame
    from plugins.pointpillars.base_training import BaseOptions
    from plugins.pointpillars.config import CLASSES

    folder = Path(tempfile.gettempdir()) / f"annotator-escalation-generated-{seed}"
    samples = []
    for k, path in enumerate(build_cache(folder, count, BaseOptions().sensors, seed)):
        frame = load_frame(path)
        truths = [
            (CLASSES[int(c)], Cuboid.from_array(b)) for b, c in zip(frame.boxes, frame.labels) if c >= 0
        ]
        ignore = [Cuboid.from_array(b) for b, c in zip(frame.boxes, frame.labels) if c < 0]
        samples.append(real_assist.Sample(f"generated {k}", frame.points, truths, ignore))
    return samples


def report(title: str, frames: list[EscalationFrame], args: argparse.Namespace, seconds: float) -> None:
    wrong = np.concatenate([f.wrong for f in frames]) if frames else np.zeros(0, bool)
    uncertainty = np.concatenate([f.uncertainty for f in frames]) if frames else np.zeros(0)
    score = np.concatenate([f.score for f in frames]) if frames else np.zeros(0)
    oods = np.array([f.ood for f in frames if f.ood is not None])
    print(f"\n== {title}: {len(frames)} frames, {len(wrong)} proposals, {int(wrong.sum())} wrong "
          f"({args.mode} x{args.passes}, {seconds / max(len(frames), 1):.2f} s/frame)")  # fmt: skip
    print(f"AUROC finding wrong proposals: uncertainty {auroc(uncertainty, wrong):.3f}, "
          f"score alone {auroc(1.0 - score, wrong):.3f}")  # fmt: skip
    if len(oods):
        print(f"OOD score per frame: median {np.median(oods):.2f}, min {oods.min():.2f}, max {oods.max():.2f}; "
              f">= {args.ood_threshold:g}: {int((oods >= args.ood_threshold).sum())} frames")  # fmt: skip
    outcomes = sweep(frames, sorted({*SWEEP, args.threshold}), args.ood_threshold, EffortModel(),
                     max_miss_rate=args.max_miss_rate, cluster_threshold=args.cluster_threshold)  # fmt: skip
    for line in sweep_table(outcomes, args.threshold):
        print(f"  {line}")
    misses = np.array([f.miss_rate for f in frames if f.miss_rate is not None])
    if len(misses):
        print(f"learned miss rate: {misses.min():.1%}-{misses.max():.1%}; > {args.max_miss_rate:g}: "
              f"{int((misses > args.max_miss_rate).sum())} frames reviewed whole")  # fmt: skip
    if len(oods) and ((oods >= args.ood_threshold).any() or (misses > args.max_miss_rate).any()):
        print("  the same without whole-frame review (OOD or miss rate: uncertainty alone):")
        for line in sweep_table(sweep(frames, sorted({*SWEEP, args.threshold}), float("inf"), EffortModel(),
                                         max_miss_rate=float("inf"), cluster_threshold=args.cluster_threshold),
                                args.threshold):  # fmt: skip
            print(f"  {line}")
    if args.beside > 0:
        print(f"  without whole-frame review, a person also adding the missed objects within {args.beside:g} m of an "
              "item they review (proposal or flag):")  # fmt: skip
        rows = sweep(frames, sorted({*SWEEP, args.threshold}), float("inf"), EffortModel(), max_miss_rate=float("inf"),
                     cluster_threshold=args.cluster_threshold, beside=args.beside)  # fmt: skip
        for line in sweep_table(rows, args.threshold):
            print(f"  {line}")
        print(
            "  found beside reviewed items: " + ", ".join(f"{o.threshold:g}: {o.found_beside}" for o in rows)
        )
    report_sources(frames)
    report_clusters(frames, args)


def report_sources(frames: list[EscalationFrame]) -> None:
    """A hybrid's proposals by source (``complement``: the complementing plugin boxes it, `plugins.pointpillars.
    complement.source_measures`): how many, how many wrong, and what ranks the wrong ones within each."""
    measures = [m for f in frames for m in f.measures]
    if not measures or any("complement" not in m for m in measures):
        return
    wrong = np.concatenate([f.wrong for f in frames])
    mine = np.array([m["complement"] >= 0.5 for m in measures])
    columns = {
        "score": np.array([1.0 - m.get("score", 0.0) for m in measures]),
        "uncertainty": np.concatenate([f.uncertainty for f in frames]),
        "network support": np.array([1.0 - m.get("network_support", 0.0) for m in measures]),
    }
    for title, part in (("boxed by the complementing plugin", mine), ("the network's alone", ~mine)):
        judged = wrong[part]
        ranks = ", ".join(f"{name} {auroc(values[part], judged):.3f}" for name, values in columns.items())
        both = 0 < judged.sum() < len(judged)  # an AUROC needs wrong and right ones
        print(
            f"  {title}: {int(part.sum())} proposals, {int(judged.sum())} wrong"
            + (f"; AUROC {ranks}" if both else "")
        )


def report_clusters(frames: list[EscalationFrame], args: argparse.Namespace) -> None:
    """The unexplained clusters: how many lie on missed objects, objectness AUROC, cluster threshold sweep."""
    clusters = [c for f in frames for c in f.clusters]
    if not clusters:
        return
    on_missed = []
    for f in frames:
        unclaimed = {j for j in range(len(f.truths))} - claimed_truths(f.proposals, f.truths)
        on_missed += [c.truth in unclaimed for c in f.clusters]
    objectness = np.array([c.objectness for c in clusters])
    objects = np.array([c.truth is not None for c in clusters])
    reachable = sum(len({c.truth for c in f.clusters} & ({*range(len(f.truths))} - claimed_truths(f.proposals, f.truths)))
                    for f in frames)  # fmt: skip
    print(f"unexplained clusters: {len(clusters)} ({objects.sum()} on objects, {sum(on_missed)} on objects the model "
          f"missed; {reachable} of {sum(f.missed() for f in frames)} missed objects have one); objectness AUROC "
          f"for 'on an object' {auroc(objectness, objects):.3f}")  # fmt: skip
    print(f"  cluster threshold sweep at threshold {args.threshold:g}, without whole-frame review:")
    rows = [sweep(frames, [args.threshold], float("inf"), EffortModel(), max_miss_rate=float("inf"),
                  cluster_threshold=t)[0] for t in CLUSTER_SWEEP]  # fmt: skip
    lines = sweep_table(rows)
    print(f"  {'cluster':>7} {lines[0]}")
    for t, line in zip(CLUSTER_SWEEP, lines[1:], strict=True):
        print(f"  {t:>7.2f} {line}")


def cached(
    folder: Path | None, key: tuple, compute: Callable[[], list[EscalationFrame]]
) -> list[EscalationFrame]:
    """``compute()``, or what an earlier run with the same ``key`` kept in ``folder`` (None: no cache)."""
    if folder is None:
        return compute()
    path = folder / f"frames-{hashlib.sha256(repr(key).encode()).hexdigest()[:16]}.pickle"
    if path.is_file():
        with path.open("rb") as stream:
            stored_key, frames = pickle.load(stream)  # our own file, written below
        if stored_key == key:
            print(f"(judged frames of {key[0]} from {path})")
            return frames
    frames = compute()
    folder.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as stream:
        pickle.dump((key, frames), stream)
    return frames


def finetune(model, manifest, args: argparse.Namespace) -> None:
    """Fit ``model`` on the labels of the Argoverse sweeps ``args.finetune_on`` (the plugin's fine-tuning
    defaults unless ``--plain-fit``; its ensemble heads and OOD index follow the new backbone, `plugins.pointpillars.ensemble_online`)."""
    from annotator.ml.protocol import CancelToken, Detections, LabelledFrame

    classes = tuple(manifest.classes)
    frames = []
    for sample in real_assist.argoverse_samples(list(classes), real_assist.parse_frames(args.finetune_on)):
        boxes = np.array([c.to_array()[:7] for _, c in sample.truths]).reshape(-1, 7)
        labels = np.array([classes.index(name) for name, _ in sample.truths], dtype=np.int64)
        targets = Detections(boxes, labels, np.ones(len(labels)), classes, "labels")
        frames.append(LabelledFrame(FrameInput(sample.name, sample.points), targets))
    overrides = {} if args.plain_fit else dict(manifest.finetune_defaults)
    if args.epochs is not None:
        overrides["epochs"] = args.epochs
    started = time.perf_counter()
    for _ in model.fit(
        frames, manifest.parameter_values({"threads": args.threads, **overrides}), CancelToken()
    ):
        pass
    print(f"fine-tuned on Argoverse sweeps {args.finetune_on} ({len(frames)} frames, {overrides}) in "
          f"{time.perf_counter() - started:.0f} s; ensemble members {model.ensemble_size}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default="argoverse,generated")
    parser.add_argument(
        "--frames", default="0-29", help="Argoverse sweeps (0-29 development, 30-49 held out)"
    )
    parser.add_argument("--generated", type=int, default=8, help="generated frames")
    parser.add_argument("--generated-seed", type=int, default=23)
    parser.add_argument("--mode", default="ensemble", choices=("ensemble", "mc", "tta"))
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--weights", type=Path)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--ood-threshold", type=float, default=DEFAULT_OOD_THRESHOLD)
    parser.add_argument("--min-score", type=float, default=0.3)
    parser.add_argument("--max-miss-rate", type=float, default=DEFAULT_MAX_MISS_RATE)
    parser.add_argument("--cluster-threshold", type=float, default=DEFAULT_CLUSTER_THRESHOLD)
    parser.add_argument("--beside", type=float, default=0.0, metavar="M",
                        help="also sweep with a person adding the missed objects within M m of an item they review")  # fmt: skip
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--adapt-every", type=int, default=0, metavar="K", help="online adaptation (0: off)")
    parser.add_argument(
        "--finetune-on",
        metavar="SWEEPS",
        help="fine-tune the model on these Argoverse sweeps' labels first (heads, OOD index follow)",
    )
    parser.add_argument(
        "--epochs", type=int, help="fine-tuning epochs (default: the plugin's fine-tuning default)"
    )
    parser.add_argument("--plain-fit", action="store_true",
                        help="fine-tune with the plugin's fit defaults instead of its fine-tuning defaults")  # fmt: skip
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                        help="a plugin parameter for scoring, e.g. complement=geometric (the hybrid; repeatable)")  # fmt: skip
    parser.add_argument("--cache", type=Path, metavar="DIR",
                        help="keep each data set's judged frames here (pickle; reused when the options match)")  # fmt: skip
    parser.add_argument("--verified", metavar="SWEEPS",
                        help="Argoverse sweeps taken as verified before the data sets (e.g. 0-29 for held-out 30-49)")  # fmt: skip
    args = parser.parse_args()
    registry = PluginRegistry.discover()
    manifest = registry.manifest("pointpillars")
    model = registry.load("pointpillars")
    weights = args.weights or base_weights(manifest)
    model.load(str(weights))
    print(f"weights {weights}; ensemble members {model.ensemble_size}; OOD index "
          f"{'yes' if model.ood_index is not None else 'no'}; calibration {sorted(model.calibration)}")  # fmt: skip
    values = manifest.parameter_values({**plugin_params(args.param), "threads": args.threads})
    print(f"plugin parameters {plugin_params(args.param) or 'defaults'}")
    if args.finetune_on and real_assist.ARGOVERSE.is_dir():
        finetune(model, manifest, args)
    wanted = args.data.split(",")
    sets = []
    if "argoverse" in wanted and real_assist.ARGOVERSE.is_dir():
        chosen = real_assist.parse_frames(args.frames)
        sets.append(
            (f"Argoverse sweeps {args.frames}", real_assist.argoverse_samples(list(manifest.classes), chosen))
        )
    if "kitti" in wanted:
        sets.append(("KITTI", list(real_assist.kitti_samples(list(manifest.classes)))))
    if "sustech" in wanted:
        sets.append(("SUSTechPOINTS", list(real_assist.sustech_samples(list(manifest.classes)))))
    if "generated" in wanted:
        sets.append(
            (f"generated, seed {args.generated_seed}", generated_samples(args.generated, args.generated_seed))
        )

    def judge(title: str, samples) -> list[EscalationFrame]:
        key = (
            title,
            args.mode,
            args.passes,
            args.min_score,
            str(weights),
            args.finetune_on,
            sorted(values.items()),
        )
        return cached(args.cache, key, lambda: [
            escalation_frame(model, manifest, FrameInput(s.name, s.points), values, args.mode, args.passes,
                             s.truths, s.ignore, args.min_score, s.keep) for s in samples])  # fmt: skip

    verified: list[EscalationFrame] = []
    if args.verified and real_assist.ARGOVERSE.is_dir():
        chosen = real_assist.parse_frames(args.verified)
        verified = judge(f"Argoverse sweeps {args.verified}",
                         real_assist.argoverse_samples(list(manifest.classes), chosen))  # fmt: skip
    for title, samples in sets:
        started = time.perf_counter()
        frames = judge(title, samples)
        seconds = time.perf_counter() - started
        report(title, frames, args, seconds)
        if verified:
            adapter = OnlineAdapter(len(verified), model.ood_index, args.cluster_threshold)
            adapted = [adapter.judge(f) for f in [*verified, *frames]][len(verified) :]
            report(f"{title}, after verifying Argoverse sweeps {args.verified}", adapted, args, seconds)
        if args.adapt_every > 0 and len(frames) > args.adapt_every:
            adapted = adapt_frames(frames, args.adapt_every, model.ood_index, args.cluster_threshold)
            k = args.adapt_every
            report(
                f"{title}, adapted every {k} frames: the frames after the first {k}",
                adapted[k:],
                args,
                seconds,
            )
            report(f"{title}, adapted every {k} frames: all frames", adapted, args, seconds)


if __name__ == "__main__":
    main()
