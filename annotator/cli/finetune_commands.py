"""Sub-commands ``finetune`` (one gated fine-tuning run in a child process) and ``versions`` (list the model
versions of a plugin, roll back, list stale proposals).

``finetune`` writes the new version record (and, when it passes the forgetting gate, makes it current) as
one undoable step; Ctrl+C cancels the job and records nothing. Exit codes: 0 promoted (or not due),
1 an error, 3 trained but kept as a candidate (the gate said no), 130 cancelled.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from typing import Any

from annotator.cli.plugin_args import add_plugin_arguments, check_project, plugin_params, resolve_plugin
from annotator.cli.progress import Progress
from annotator.core.errors import AnnotatorError
from annotator.ml.protocol import FitProgress

logger = logging.getLogger(__name__)

EXIT_KEPT = 3
EXIT_CANCELLED = 130


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the finetune and versions sub-commands."""
    parser = subparsers.add_parser(
        "finetune", help="fine-tune a plugin on verified frames (replay, forgetting gate, new model version)"
    )
    add_plugin_arguments(parser)
    parser.add_argument(
        "--replay-ratio",
        type=float,
        default=0.5,
        metavar="R",
        help="share of older verified frames mixed into training (default 0.5)",
    )
    parser.add_argument(
        "--held-apart",
        type=float,
        default=0.2,
        metavar="F",
        help="share of verified frames kept apart for the forgetting gate (default 0.2)",
    )
    parser.add_argument(
        "--held-apart-from",
        type=int,
        default=30,
        metavar="N",
        help="hold frames apart only once N frames are verified; before, train on all (default 30)",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=0.02,
        metavar="T",
        help="how much the held-apart score may drop and still promote (default 0.02)",
    )
    parser.add_argument(
        "--uncertainty",
        action="store_true",
        help="train on the most uncertain new frames, re-chosen every few epochs",
    )
    parser.add_argument(
        "--diversity",
        type=float,
        default=0.0,
        metavar="W",
        help="with --uncertainty: choose frames by uncertainty x (latent distance to those chosen) ** W "
        "(k-center greedy; 0: uncertainty alone, the default)",
    )
    parser.add_argument(
        "--self-training",
        action="store_true",
        help="add confident, certain pseudo-labels of unverified frames at a lower loss weight",
    )
    parser.add_argument(
        "--threads", type=int, default=1, metavar="N", help="CPU threads of the training process"
    )
    parser.add_argument("--epochs", type=int, metavar="N", help="the plugin's epochs parameter")
    parser.add_argument(
        "--every",
        type=int,
        metavar="N",
        help="store the project setting: fine-tune after N newly verified frames (0: on demand)",
    )
    parser.add_argument(
        "--if-due",
        action="store_true",
        help="run only when the 'every N newly verified frames' setting has been reached",
    )
    parser.set_defaults(handler=run_finetune_command)  # fmt: skip

    versions = subparsers.add_parser(
        "versions", help="list a plugin's model versions; roll back; stale proposals"
    )
    versions.add_argument("directory", help="the project directory")
    versions.add_argument("--plugin", required=True, metavar="ID", help="plugin id")
    versions.add_argument("--rollback", metavar="VERSION", help="make this recorded version the current one")
    versions.add_argument("--json", action="store_true", help="print JSON")
    versions.set_defaults(handler=run_versions)


def run_finetune_command(args: argparse.Namespace) -> int:
    """``annotator finetune DIR --plugin ID``: plan, run the child job with progress, gate, record."""
    from annotator.core.edits import SetSetting
    from annotator.io.workspace import Workspace
    from annotator.ml.finetune.job import FineTuneJob, JobError
    from annotator.ml.finetune.pipeline import (
        EVERY_SETTING,
        finetune_due,
        newly_verified,
        plan_finetune,
        record_result,
    )
    from annotator.ml.finetune.spec import FineTuneOptions

    check_project(args.directory)
    resolve_plugin(args)
    manifest = args.plugins.manifest(args.plugin)
    params = plugin_params(args.param)
    if args.epochs is not None:
        params["epochs"] = args.epochs
    manifest.parameter_values(params)
    options = FineTuneOptions(
        replay_ratio=args.replay_ratio, held_apart=args.held_apart, tolerance=args.tolerance,
        held_apart_from=max(0, args.held_apart_from), uncertainty_selection=args.uncertainty,
        self_training=args.self_training, threads=args.threads, params=params,
        diversity=max(0.0, args.diversity),
    )  # fmt: skip
    with Workspace.open(args.directory.absolute()) as workspace:
        project = workspace.project
        if args.every is not None:
            workspace.push(SetSetting(EVERY_SETTING, max(0, args.every)))
            print(f"{EVERY_SETTING} = {max(0, args.every)}")
        if args.if_due and not finetune_due(project, manifest):
            count = len(newly_verified(project, manifest))
            print(f"not due: {count} newly verified frame(s), setting {EVERY_SETTING} = "
                  f"{project.settings.get(EVERY_SETTING)}")  # fmt: skip
            return 0
        spec = plan_finetune(project, manifest, options)
        roles: dict[str, int] = {}
        for labels in spec.frames:
            roles[labels.role] = roles.get(labels.role, 0) + 1
        print(f"fine-tuning {args.plugin} -> {spec.version_id} (parent {spec.parent or 'none'}): "
              + ", ".join(f"{n} {r}" for r, n in sorted(roles.items())), flush=True)  # fmt: skip
        bar = _ProgressPrinter(not args.no_progress)
        job = FineTuneJob(spec, on_progress=bar.update, on_log=bar.log)
        previous = signal.signal(signal.SIGINT, lambda *_: _cancel(job))
        try:
            result = job.start().wait()
        except JobError as error:
            raise AnnotatorError(str(error)) from None
        finally:
            signal.signal(signal.SIGINT, previous)
            bar.close()
        if result.cancelled:
            print("cancelled: nothing recorded", file=sys.stderr)
            return EXIT_CANCELLED
        version, decision = record_result(workspace.push, project, spec, result)
    print(
        f"{version.id}: model {version.model_version}, {len(result.losses)} steps in {result.seconds:.1f} s"
    )
    for line in decision.reasons:
        print(f"  {line}")
    print(
        f"{version.id} is now current"
        if decision.passed
        else f"{version.id} kept as a candidate (gate failed)"
    )
    return 0 if decision.passed else EXIT_KEPT


def _cancel(job: Any) -> None:
    print("\ncancelling the fine-tuning job ...", file=sys.stderr)
    job.cancel()


class _ProgressPrinter:
    """A progress bar over the job's steps; log lines printed above it."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Progress | None = None

    def update(self, progress: FitProgress) -> None:
        if self.bar is None:
            self.bar = Progress(progress.total, "finetune", enabled=self.enabled)
        loss = progress.metrics.get("loss")
        self.bar.update(progress.step, "" if loss is None else f"loss {loss:.3f}", progress.total)

    def log(self, line: str) -> None:
        if self.enabled:
            print(f"  {line}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_versions(args: argparse.Namespace) -> int:
    """``annotator versions DIR --plugin ID``: the version list (current marked), optionally roll back."""
    from pathlib import Path

    from annotator.core.model_versions import current_version, model_versions
    from annotator.io.store import ProjectStore
    from annotator.io.workspace import Workspace
    from annotator.ml.finetune.pipeline import rollback, stale_annotations, stale_frames

    directory = Path(args.directory)
    check_project(directory)
    if args.rollback:
        with Workspace.open(directory.absolute()) as workspace:
            rollback(workspace.push, args.plugin, args.rollback)
        print(f"{args.plugin}: {args.rollback} is now current", file=sys.stderr if args.json else sys.stdout)
    store = ProjectStore.open(directory.absolute(), read_only=True)
    try:
        project = store.load()
    finally:
        store.close()
    versions = model_versions(project, args.plugin)
    current = current_version(project, args.plugin)
    stale = stale_annotations(project, args.plugin)
    position = {f.id: i for i, f in enumerate(project.frames_in_order())}
    frames = ",".join(str(position[f.id]) for f in stale_frames(project, args.plugin))
    if args.json:
        rows = [{**v.to_dict(), "current": current is not None and v.id == current.id} for v in versions]
        print(json.dumps({"versions": rows, "stale_proposals": len(stale), "stale_frames": frames}, indent=2))
        return 0
    if not versions:
        print(f"{args.plugin}: no model versions")
        return 0
    print(f"{'':2}{'id':<6}{'parent':<8}{'gate':<8}{'old':>7}{'new':>7}  model version")
    for v in versions:
        scores = v.metrics.get("scores", {}).get("candidate", {})
        mark = "*" if current is not None and v.id == current.id else " "
        gate = "passed" if v.gate.get("passed") else "failed"
        print(f"{mark} {v.id:<6}{v.parent or '-':<8}{gate:<8}{_score(scores, 'old'):>7}{_score(scores, 'new'):>7}"
              f"  {v.model_version}")  # fmt: skip
        for name, text in v.metrics.get("card", {}).items():
            print(f"{'':8}{name}: {text}")
    print(f"{len(stale)} proposal(s) of {args.plugin} made by another version than the current one"
          + (f" (re-run: annotator preannotate {args.directory} --plugin {args.plugin} --frames {frames})" if frames else ""))  # fmt: skip
    return 0


def _score(scores: dict[str, float], name: str) -> str:
    return f"{scores[name]:.3f}" if name in scores else "-"
