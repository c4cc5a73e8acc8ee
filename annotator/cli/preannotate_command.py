"""Sub-command ``preannotate``: run a plugin on a project's frames and store its proposals.

Each frame's proposals are one undoable, saved step ("Pre-annotate 000003 (geometric)") that replaces the
plugin's earlier unreviewed proposals on that frame. Exit codes: 0 all frames done, 1 nothing done (an
error, one line on stderr), 3 done with some frames skipped (each reported on stderr), 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from annotator.cli.plugin_args import (
    add_isolation_arguments,
    add_plugin_arguments,
    check_project,
    chosen_frames,
    frame_timeout,
    plugin_params,
    print_failures,
    resolve_plugin,
    run_exit_code,
)
from annotator.cli.progress import Progress
from annotator.cli.ray_args import add_ray_arguments, ray_note, ray_settings
from annotator.cli.track_command import link_frames, report
from annotator.core.errors import AnnotatorError

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the preannotate sub-command."""
    parser = subparsers.add_parser(
        "preannotate", help="run a model plugin on frames and add its detections as proposals to review"
    )
    add_plugin_arguments(parser, shared=True)
    add_isolation_arguments(parser)
    add_ray_arguments(parser)
    parser.add_argument(
        "--threshold", type=float, default=0.0, metavar="T", help="keep detections scoring >= T (0..1)"
    )
    parser.add_argument(
        "--weights", type=Path, metavar="PATH", help="weights file (default: the project's latest, if any)"
    )
    parser.add_argument(
        "--track",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="link the proposals of the frames run into tracks when there are several (default: on)",
    )
    parser.set_defaults(handler=run_preannotate)


def run_preannotate(args: argparse.Namespace) -> int:
    """``annotator preannotate DIR --plugin ID``: a progress bar, then a summary."""
    from annotator.io.workspace import Workspace
    from annotator.ml.preannotate import preannotate

    if not 0.0 <= args.threshold <= 1.0:
        raise AnnotatorError(f"--threshold must be between 0 and 1, got {args.threshold:g}")
    if args.weights is not None and not args.weights.is_file():
        raise AnnotatorError(f"{args.weights}: no such weights file")
    params = plugin_params(args.param)
    ray = ray_settings(args)
    check_project(args.directory)
    resolve_plugin(args)
    registry = args.plugins
    manifest = registry.manifest(args.plugin)  # unknown or unavailable: a clear error before any work
    own_threshold = manifest.score_threshold(manifest.parameter_values(params))
    with Workspace.open(args.directory) as workspace:
        frames = chosen_frames(workspace.project, args.frames)
        started = time.perf_counter()
        with Progress(len(frames), f"preannotate {args.plugin}", enabled=not args.no_progress) as progress:
            summary = preannotate(
                workspace,
                registry,
                args.plugin,
                frames,
                args.threshold,
                params,
                on_frame=lambda done, frame: progress.update(done, frame.name),
                weights=args.weights,
                frame_timeout=frame_timeout(args),
                ray=ray,
            )
        seconds = time.perf_counter() - started
        linking = link_frames(workspace, frames) if args.track and summary.frames_done > 1 else None
    print_failures(summary.failures)
    classes = ", ".join(f"{name} {count}" for name, count in sorted(summary.by_class.items())) or "none"
    rate = summary.frames_done / seconds if seconds > 0 else 0.0
    print(f"pre-annotated {summary.frames_done} of {len(frames)} frames with {args.plugin} "
          f"({manifest.task}, {threshold_text(args.threshold, own_threshold)}{ray_note(ray)})")  # fmt: skip
    print(f"proposals   {summary.proposals} ({classes})")
    print(f"time        {seconds:.1f} s ({rate:.1f} frames/s)")
    if linking is not None:
        report(linking)
    return run_exit_code(summary)


def threshold_text(threshold: float, own: tuple[str, float] | None) -> str:
    """The score threshold the proposals passed: ``--threshold``, or the plugin's own (a parameter) when
    that is higher, named."""
    if own is not None and own[1] > threshold:
        return f"threshold {own[1]:g}, the plugin's {own[0]}"
    return f"threshold {threshold:g}"
