"""Edits needed to annotate a generated sequence under each strategy: manual, fixed model, online fine-tuning.

Run: nice .venv/bin/python benchmarks/finetune_simulation.py [--frames 50] [--pretrain-frames 24]
     [--pretrain-epochs 8] [--every 5] [--epochs N] [--strategies manual fixed online online-uncertainty]
     [--initial CHECKPOINT] [-p x_extent=76.8]

The README's table: ``--initial`` the 7-epoch checkpoint of ``benchmarks/pointpillars_quality.py`` and
``-p x_extent=76.8`` (the generated objects reach 75 m ahead and behind).

1. Generates two demo projects under ``--work`` (kept between runs): the sequence to annotate (seed
   ``--seed``) and, from other seeds, the scenes the initial model is trained on.
2. Trains the initial PointPillars model from scratch on the pre-training scenes' ground truth through the
   plugin's own ``fit`` (a compact network so that it fits a CPU budget: 0.4 m pillars, 16/32/64 channels)
   and saves the checkpoint (cached; fine-tuning keeps the checkpoint's network shape).
3. Runs `annotator.ml.finetune.simulate.simulate` for each strategy and prints edits per strategy, the
   reduction against manual annotation, forgetting on the first frames and the wall time.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

from annotator.cli.plugin_args import add_param_argument, plugin_params
from annotator.ml.finetune.simulate import STRATEGIES, SimulationSettings, simulate
from annotator.ml.finetune.spec import FineTuneOptions
from annotator.ml.registry import PluginRegistry

logger = logging.getLogger(__name__)

PLUGIN = "pointpillars"


def demo(path: Path, frames: int, seed: int) -> Path:
    """A demo project (generated once)."""
    from annotator.cli.demo_project import create_demo_project, is_project

    if not is_project(path):
        print(f"generating {frames} frames (seed {seed}) into {path}", flush=True)
        create_demo_project(path, frames, seed)
    return path


def pretrain(project_dir: Path, checkpoint: Path, epochs: int, frames: int, threads: int) -> Path:
    """Train the compact initial model on a demo project's ground truth (cached in ``checkpoint``)."""
    if checkpoint.is_file():
        print(f"initial model: {checkpoint} (cached)")
        return checkpoint
    from annotator.io.store import ProjectStore
    from annotator.ml.datasets import ground_truth_labels
    from annotator.ml.protocol import CancelToken
    from plugins.pointpillars.config import PillarConfig
    from plugins.pointpillars.model import PointPillarsDetector

    store = ProjectStore.open(project_dir, read_only=True)
    try:
        project = store.load()
    finally:
        store.close()
    config = PillarConfig(
        cell=0.4, pillar_channels=16, channels=(16, 32, 64), layers=(1, 2, 2), head_channels=32
    )
    model = PointPillarsDetector(config)
    data = [
        h.labelled
        for h in ground_truth_labels(project, project.frames_in_order()[:frames], config.classes, "detect3d")
    ]
    start = time.perf_counter()
    params = {"epochs": epochs, "threads": threads, "from_scratch": True}
    for progress in model.fit(data, params, CancelToken()):
        if progress.step % 10 == 0 or progress.step == progress.total:
            print(f"  pre-training step {progress.step}/{progress.total} loss {progress.metrics['loss']:.3f} "
                  f"{time.perf_counter() - start:.0f} s", flush=True)  # fmt: skip
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    model.save(str(checkpoint))
    print(
        f"initial model: {len(data)} frames x {epochs} epochs in {time.perf_counter() - start:.0f} s -> {checkpoint}"
    )
    return checkpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/annotator-finetune-sim"))
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--pretrain-frames", type=int, default=24)
    parser.add_argument("--pretrain-seed", type=int, default=101)
    parser.add_argument("--pretrain-epochs", type=int, default=25)
    parser.add_argument("--every", type=int, default=5)
    parser.add_argument("--epochs", type=int, help="epochs per fine-tuning run (default: the plugin's)")
    parser.add_argument(
        "--learning-rate",
        type=float,
        help="peak learning rate of fine-tuning (default: the plugin's)",
    )
    parser.add_argument("--tolerance", type=float, default=0.02, help="forgetting gate tolerance")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--score-threshold", type=float, default=0.3)
    add_param_argument(parser, help="a plugin parameter for prediction and fine-tuning, e.g. x_extent=76.8")
    parser.add_argument("--json-out", type=Path, help="write every strategy's full report (JSON) here")
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=STRATEGIES)
    parser.add_argument(
        "--initial",
        type=Path,
        help="start from this checkpoint (e.g. from pointpillars_quality.py), no pretraining",
    )
    args = parser.parse_args()

    sequence = demo(args.work / "sequence", args.frames, args.seed)
    if args.initial is not None:
        checkpoint = args.initial
        print(f"initial model: {checkpoint} (given)")
    else:
        scenes = demo(args.work / "pretrain", args.pretrain_frames, args.pretrain_seed)
        checkpoint = pretrain(
            scenes, args.work / f"initial-{args.pretrain_frames}x{args.pretrain_epochs}.pt",
            args.pretrain_epochs, args.pretrain_frames, args.threads,
        )  # fmt: skip
    registry = PluginRegistry.discover()
    rows = []
    reports = {}
    for strategy in args.strategies:
        options = FineTuneOptions(
            threads=args.threads,
            params={"threads": args.threads}
            | ({} if args.epochs is None else {"epochs": args.epochs})
            | ({} if args.learning_rate is None else {"learning_rate": args.learning_rate}),
        )
        settings = SimulationSettings(
            strategy, every=args.every, options=options, initial_weights=checkpoint,
            params={"score_threshold": args.score_threshold, "threads": args.threads} | plugin_params(args.param),
        )  # fmt: skip
        report = simulate(
            sequence, registry, PLUGIN, settings, on_log=lambda line: print(f"    {line}", flush=True)
        )
        totals = report.totals
        reports[strategy] = report.to_dict()
        if args.json_out is not None:
            args.json_out.write_text(json.dumps(reports, indent=1), encoding="utf-8")
        promoted = sum(v["promoted"] for v in report.versions)
        rows.append((strategy, totals, report.forgetting, promoted, len(report.versions), report.seconds))
        print(f"{strategy}: {totals.to_dict()} in {report.seconds:.0f} s", flush=True)
    manual = next((r[1].total for r in rows if r[0] == "manual"), None)
    print(f"\n{args.frames} frames, fine-tuning every {args.every} frames for {args.epochs or 'the default'} epochs (learning rate "
          f"{args.learning_rate or 'default'}, parameters {plugin_params(args.param) or 'default'}, gate tolerance {args.tolerance:g}), score >= {args.score_threshold}")  # fmt: skip
    print(
        "| strategy | edits | added | deleted | adjusted | accepted | vs manual | forgetting | versions promoted | time |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for strategy, totals, forgetting, promoted, versions, seconds in rows:
        saving = f"{100 * (1 - totals.total / manual):.0f}% fewer" if manual else "-"
        print(f"| {strategy} | {totals.total} | {totals.added} | {totals.deleted} | {totals.adjusted} | "
              f"{totals.accepted} | {saving} | {'-' if forgetting is None else forgetting} | "
              f"{promoted}/{versions} | {seconds:.0f} s |")  # fmt: skip


if __name__ == "__main__":
    main()
