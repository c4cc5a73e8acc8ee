"""Sub-commands ``score`` (K stochastic passes per frame, aggregated into uncertainty) and ``queue``
(the scored boxes, most uncertain first). Exit codes as ``preannotate``: 0, 1 (error), 3 (some frames
skipped), 130 (interrupted)."""

from __future__ import annotations

import argparse
import json
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
from annotator.core.errors import AnnotatorError

logger = logging.getLogger(__name__)

MODES = ("ensemble", "mc", "tta")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the score and queue sub-commands."""
    score = subparsers.add_parser(
        "score", help="sample a plugin K times per frame and store its proposals with their uncertainty"
    )
    add_plugin_arguments(score, shared=True)
    add_isolation_arguments(score)
    add_ray_arguments(score)
    score.add_argument("--mode", choices=MODES, required=True, help="ensemble members, MC dropout or TTA")
    score.add_argument("--passes", type=int, default=8, metavar="K", help="stochastic passes per frame (8)")
    score.add_argument(
        "--min-score", type=float, default=0.1, metavar="S", help="keep objects whose mean score >= S (0.1)"
    )
    score.add_argument(
        "--flag", type=float, default=0.5, metavar="U", help="count boxes with uncertainty >= U as flagged"
    )
    score.add_argument("--weights", type=Path, metavar="PATH", help="weights file (default: the latest)")
    score.add_argument(
        "--missed",
        action="store_true",
        help="3D: also add the point clusters no box explains as possible missed objects (review items)",
    )
    score.set_defaults(handler=run_score)

    queue = subparsers.add_parser("queue", help="the scored boxes, most uncertain first")
    queue.add_argument("directory", type=Path, help="the project directory")
    queue.add_argument("--json", action="store_true", help="print JSON (a list, one item per box)")
    queue.add_argument("--all", action="store_true", help="reviewed boxes too, not only unreviewed proposals")
    queue.add_argument("--limit", type=int, default=0, metavar="N", help="only the N most uncertain")
    queue.add_argument("--diverse", type=float, default=0.0, metavar="W",
                       help="order by uncertainty x (latent distance to the boxes before) ** W (0: off)")  # fmt: skip
    queue.set_defaults(handler=run_queue)


def run_score(args: argparse.Namespace) -> int:
    """``annotator score DIR --plugin ID --mode M --passes K``: a progress bar, then a summary."""
    from annotator.io.workspace import Workspace
    from annotator.ml.uncertainty.scoring import score_frames

    if args.passes < 2:
        raise AnnotatorError(f"--passes must be at least 2 to measure disagreement, got {args.passes}")
    for name in ("min_score", "flag"):
        if not 0.0 <= getattr(args, name) <= 1.0:
            raise AnnotatorError(f"--{name.replace('_', '-')} must be between 0 and 1")
    params = plugin_params(args.param)
    ray = ray_settings(args)
    check_project(args.directory)
    resolve_plugin(args)
    registry = args.plugins
    manifest = registry.manifest(args.plugin)
    manifest.parameter_values(params)
    with Workspace.open(args.directory) as workspace:
        frames = chosen_frames(workspace.project, args.frames)
        started = time.perf_counter()
        label = f"score {args.plugin} ({args.mode} x{args.passes})"
        with Progress(len(frames), label, enabled=not args.no_progress) as progress:
            summary = score_frames(
                workspace,
                registry,
                args.plugin,
                frames,
                args.mode,
                args.passes,
                min_score=args.min_score,
                flag_threshold=args.flag,
                params=params,
                on_frame=lambda done, frame: progress.update(done, frame.name),
                weights=args.weights,
                frame_timeout=frame_timeout(args),
                ray=ray,
                missed=args.missed,
            )
        seconds = time.perf_counter() - started
    print_failures(summary.failures)
    print(
        f"scored {summary.frames_done} of {len(frames)} frames with {args.plugin} ({args.mode}, {args.passes} passes{ray_note(ray)})"
    )
    print(f"proposals   {summary.proposals}, flagged {summary.flagged} (uncertainty >= {args.flag:g})")
    if args.missed:
        print(f"possible missed objects {summary.missed} (point clusters no box explains)")
    if carried := summary.carried.words():
        print(carried.removeprefix("; "))
    if summary.rejected_again:
        print(f"left out     {summary.rejected_again} proposals on objects rejected within the last frames")
    if summary.frame_uncertainty:
        worst = max(summary.frame_uncertainty.items(), key=lambda item: item[1]["sum"])
        print(f"most uncertain frame  {worst[0]} (sum {worst[1]['sum']:.2f}, max {worst[1]['max']:.2f})")
    print(f"time        {seconds:.1f} s")
    return run_exit_code(summary)


def run_queue(args: argparse.Namespace) -> int:
    """``annotator queue DIR [--json]``: readable while the application writes the project."""
    from annotator.io.store import ProjectStore
    from annotator.ml.uncertainty.queue import diverse_order
    from annotator.ml.uncertainty.scoring import review_queue

    check_project(args.directory)
    store = ProjectStore.open(args.directory, read_only=True)
    try:
        items = review_queue(store.load(), include_reviewed=args.all)
    finally:
        store.close()
    if args.diverse > 0:
        items = diverse_order(items, args.diverse)
    for item in items:
        item.pop("embedding", None)
    if args.limit > 0:
        items = items[: args.limit]
    if args.json:
        print(json.dumps(items, indent=1))
        return 0
    if not items:
        print("no scored boxes (run 'annotator score' first)")
        return 0
    print(f"{'uncert':>6}  {'score':>5}  {'frame':<10} {'id':>6}  {'class':<12} why")
    for item in items:
        m = item["measures"]
        why = f"presence {m['presence']:.2f}, stability {m['stability']:.2f}, entropy {m['entropy']:.2f}"
        score = f"{item['score']:.2f}" if item["score"] is not None else "  -  "
        print(
            f"{item['uncertainty']:6.3f}  {score:>5}  {item['frame']:<10} {item['annotation_id']:>6}  {item['class']:<12} {why}"
        )
    return 0
