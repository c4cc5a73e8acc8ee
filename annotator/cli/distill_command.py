"""Sub-command ``distill``: train a compact student from a plugin's ensemble (soft targets) and record it.

The plugin's distillation (`annotator.ml.distill`) runs in this process on generated frames and, unless
``--no-verified``, the project's verified frames (with ``--unverified`` also its other frames, where it
learns the teacher's soft targets only, no labels); the student's weights go to
``DIR/models/<plugin>/student-N.pt`` with a card, and it is recorded as a model version of kind ``student``
(one undoable step, not promoted: choose it with ``--use`` or Models > Model version > student). Ctrl+C
stops after the current step; the finished epochs are kept and the same command resumes. Exit codes: 0
done, 1 an error, 130 stopped.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

from annotator.cli.plugin_args import add_plugin_option, check_project, resolve_plugin
from annotator.cli.train_command import EXIT_CANCELLED, _cancel_on_interrupt
from annotator.core.errors import AnnotatorError
from annotator.ml.protocol import CancelToken

logger = logging.getLogger(__name__)

#: Options handed to the plugin's distillation as settings (name, type, help).
SETTINGS = (
    ("keep", float, "student width: share of every layer's channels"),
    ("init", str, "start the student from these weights (pointpillars with its shipped teacher: pruned.pt)"),
    ("frames", int, "generated training frames"),
    ("epochs", int, "passes over the frames"),
    ("hard_weight", float, "weight of the labels' loss beside the soft targets' (0: soft only)"),
    ("feature_weight", float, "weight of imitating the teacher's backbone features (0: off)"),
    ("learning_rate", float, "peak learning rate"),
    ("seed", int, "seed of the frames, augmentation and order"),
    ("cache", str, "generated-frame cache folder"),
    ("threads", int, "torch CPU threads"),
    ("quality_frames", int, "held-apart generated frames the card's quality is measured on"),
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the distill sub-command."""
    parser = subparsers.add_parser(
        "distill", help="train a compact student from the plugin's ensemble and record it as a model version"
    )
    parser.add_argument("directory", type=Path, help="the project directory")
    add_plugin_option(parser)
    parser.add_argument("--teacher", type=Path, metavar="PT",
                        help="teacher weights with ensemble heads (default: the plugin's shipped ones)")  # fmt: skip
    parser.add_argument("--no-verified", action="store_true", help="generated frames only")
    parser.add_argument("--unverified", action="store_true",
                        help="also the frames not verified: the teacher's soft targets there, no labels")  # fmt: skip
    parser.add_argument("--use", action="store_true", help="then choose the student (Models > Model version)")
    for name, kind, text in SETTINGS:
        parser.add_argument(
            f"--{name.replace('_', '-')}", dest=name, type=kind, help=f"{text} (the plugin's default)"
        )
    parser.set_defaults(handler=run_distill)


def settings_of(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line (paths made absolute)."""
    settings = {name: getattr(args, name) for name, _, _ in SETTINGS if getattr(args, name) is not None}
    for name in ("init", "cache"):
        if name in settings:
            settings[name] = str(Path(settings[name]).absolute())
    return settings


def run_distill(args: argparse.Namespace) -> int:
    """``annotator distill DIR [--plugin ID] [...]``."""
    from annotator.core.edits import SetSetting
    from annotator.io.workspace import Workspace
    from annotator.ml.distill import record_student, run_distillation, unverified_frames, verified_frames
    from annotator.ml.variants import setting_key

    check_project(args.directory)
    resolve_plugin(args)
    manifest = args.plugins.manifest(args.plugin)
    if args.teacher is not None and not args.teacher.is_file():
        raise AnnotatorError(f"{args.teacher}: no such weights file")

    def log(line: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)

    def step(progress: Any) -> None:
        if progress.step % 10 == 0 or progress.step == progress.total:
            log(
                f"step {progress.step}/{progress.total} loss {progress.metrics.get('loss', float('nan')):.3f}"
            )

    cancel = CancelToken()
    with Workspace.open(args.directory.absolute()) as workspace:
        project = workspace.project
        labelled = [] if args.no_verified else verified_frames(project, manifest)
        soft = unverified_frames(project, manifest) if args.unverified else []
        log(f"{args.plugin}: distilling on generated frames, {len(labelled)} verified frames"
            f" and {len(soft)} unverified frames (soft targets only)")  # fmt: skip
        labelled += soft
        try:
            with _cancel_on_interrupt(cancel):
                result = run_distillation(project, manifest, settings_of(args), labelled, cancel, log, step,
                                          args.teacher)  # fmt: skip
        except (ValueError, RuntimeError, OSError) as error:
            raise AnnotatorError(f"{args.plugin}: {error}") from error
        if result.card is None:
            log("stopped: the finished epochs are kept; run the same command again to resume")
            return EXIT_CANCELLED
        command = workspace.push(record_student(project, args.plugin, result))
        if args.use:
            workspace.push(SetSetting(setting_key(args.plugin), "student"))
    quality = result.card.get("quality_generated_held_apart", {})
    print(f"student {command.version.id}: {result.weights} ({result.seconds / 60:.1f} min)")
    print(
        json.dumps({"quality_generated_held_apart": quality, "data": result.card.get("data", {})}, indent=1)
    )
    return 0
