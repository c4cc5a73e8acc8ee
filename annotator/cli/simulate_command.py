"""Sub-command ``simulate``: replay the annotation of a project with known ground truth under a strategy.

Reports the edits per frame (boxes added, deleted, adjusted beyond the tolerance), the totals, the model
versions trained on the way (online strategies) and forgetting on the first frames. The project is only
read; fine-tuned weights live in a temporary folder for the run.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from annotator.cli.plugin_args import (
    add_param_argument,
    add_plugin_option,
    check_project,
    plugin_params,
    resolve_plugin,
)
from annotator.core.errors import AnnotatorError
from annotator.core.selection import select_frames

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the simulate sub-command."""
    from annotator.core.cuboids.point_spill import DEFAULT_SPILL_GROWTH
    from annotator.ml.finetune.carry import LOST_FRAMES
    from annotator.ml.finetune.simulate import STRATEGIES
    from annotator.ml.uncertainty.carried_check import DEFAULT_STILL_FRAMES
    from annotator.ml.uncertainty.escalation import (
        DEFAULT_MAX_MISS_RATE,
        DEFAULT_MISS_CREDIBILITY,
        DEFAULT_OOD_THRESHOLD,
        DEFAULT_THRESHOLD,
    )
    from annotator.ml.uncertainty.missed import DEFAULT_CLUSTER_THRESHOLD

    parser = subparsers.add_parser(
        "simulate",
        help="replay annotating a project with known ground truth; count the edits a strategy needs",
    )
    parser.add_argument("directory", type=Path, help="the project directory (a demo project, or labelled)")
    add_plugin_option(parser)
    parser.add_argument("--strategy", choices=STRATEGIES, default="online", help="default: online")
    parser.add_argument("--frames", metavar="SEL", help="frames: 0-9,15,20-, names, or all (default)")
    parser.add_argument("--every", type=int, default=5, metavar="K", help="fine-tune after every K frames")
    parser.add_argument(
        "--initial",
        type=Path,
        metavar="WEIGHTS",
        help="the starting model's weights file (default: the weights the plugin ships)",
    )
    parser.add_argument(
        "--from-scratch",
        action="store_true",
        help="start from fresh weights, not from the weights the plugin ships",
    )
    parser.add_argument(
        "--carry",
        action="store_true",
        help="fixed / online: carry the previous frame's verified boxes in (the window's propagation; those still holding "
        "--min-points points) and add the model's proposals only where none stands (the propagate strategy "
        "carries without a model); escalate: carry the previous frame's finished labels in, accepting a carried box "
        "unreviewed only where the model's own box agrees (BEV IoU >= 0.5), the first frame reviewed whole",
    )
    parser.add_argument("--agreement-iou", type=float, default=0.5, metavar="IOU",
                        help="escalate --carry: a carried box is confirmed when a proposal boxes it this well "
                        "(bird's-eye IoU; default 0.5)")  # fmt: skip
    parser.add_argument("--reject-frames", type=int, default=10, metavar="N",
                        help="escalate --carry: proposals on an object rejected within N frames are left out "
                        "(default 10; 0: no rejection memory)")  # fmt: skip
    parser.add_argument("--still-frames", type=int, default=DEFAULT_STILL_FRAMES, metavar="N",
                        help="escalate --carry: a carried box the model does not confirm is confirmed where it stands "
                        "where its track's box stood, for N frames after a person or the model confirmed that box "
                        f"(default {DEFAULT_STILL_FRAMES}; 0: never)")  # fmt: skip
    parser.add_argument("--spill-growth", type=float, default=DEFAULT_SPILL_GROWTH, metavar="G",
                        help="escalate --carry: a carried box is not confirmed (by the model or by standing still) "
                        "when the share of its object's points outside it grew by more than G since its track's "
                        f"box was last placed by a person or the model (default {DEFAULT_SPILL_GROWTH:g}; 0: not "
                        "checked)")  # fmt: skip
    parser.add_argument("--lost-frames", type=int, default=LOST_FRAMES, metavar="N",
                        help="--carry, propagate: a track missing from the previous frame (too few points there) "
                        f"comes back from its latest box up to N frames back (default {LOST_FRAMES}; 0: never)")  # fmt: skip
    parser.add_argument("--replay-ratio", type=float, default=0.5, metavar="R", help="default 0.5")
    parser.add_argument("--held-apart", type=float, default=0.2, metavar="F", help="default 0.2")
    parser.add_argument("--held-apart-from", type=int, default=30, metavar="N",
                        help="hold frames apart only from N verified frames on (default 30)")  # fmt: skip
    parser.add_argument(
        "--tolerance", type=float, default=0.02, metavar="T", help="forgetting gate, default 0.02"
    )
    parser.add_argument("--epochs", type=int, metavar="N", help="the plugin's epochs per fine-tuning run")
    parser.add_argument("--threads", type=int, default=1, metavar="N", help="training process threads")
    parser.add_argument("--diversity", type=float, default=0.0, metavar="W",
                        help="online-uncertainty: mix diversity into the frame selection (weight W; 0: off)")  # fmt: skip
    parser.add_argument(
        "--min-points",
        type=int,
        default=10,
        metavar="N",
        help="generated objects with fewer LiDAR points are not labelled (default 10)",
    )
    add_param_argument(
        parser,
        help="a plugin parameter for prediction and fine-tuning (e.g. score_threshold=0.4, x_extent=76.8)",
    )
    parser.add_argument(
        "--costs",
        metavar="A=S,..",
        help="seconds per action of the effort model: add=30,adjust=12,delete=2,accept=1,search=15 (defaults; any subset; search: a frame looked over for objects without a box)",
    )
    escalate = parser.add_argument_group("escalate strategy")
    escalate.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        metavar="U",
        help=f"accept proposals with uncertainty below U unreviewed ({DEFAULT_THRESHOLD:g})",
    )
    escalate.add_argument(
        "--ood-threshold",
        type=float,
        default=DEFAULT_OOD_THRESHOLD,
        metavar="D",
        help=f"review frames whose OOD score is >= D whole ({DEFAULT_OOD_THRESHOLD:g})",
    )
    escalate.add_argument(
        "--mode",
        choices=("ensemble", "mc", "tta"),
        default="ensemble",
        help="sampling mode of the uncertainty (ensemble)",
    )
    escalate.add_argument("--passes", type=int, default=5, metavar="K", help="passes per frame (5)")
    escalate.add_argument(
        "--min-score",
        type=float,
        default=0.3,
        metavar="S",
        help="proposals are the objects whose mean score over the passes is >= S (0.3)",
    )
    escalate.add_argument(
        "--adapt-every",
        type=int,
        default=1,
        metavar="K",
        help="learn P(wrong), the objectness and the miss rate from the verified frames every K frames, and grow "
        "the OOD reference by every verified frame (default 1: after every frame, as the window learns from "
        "each frame verified; 0: off, the model's own uncertainty and OOD score)",
    )
    escalate.add_argument(
        "--adapt-model",
        action="store_true",
        help="with --adapt-every: also fine-tune the model on the verified frames then (its ensemble heads and "
        "OOD index follow the new backbone)",
    )
    escalate.add_argument(
        "--max-miss-rate",
        type=float,
        default=DEFAULT_MAX_MISS_RATE,
        metavar="R",
        help="with --adapt-every: search frames for missed objects (their confident boxes accepted) while more "
        f"than R of the verified frames' objects were neither proposed nor flagged as possible missed objects "
        f"({DEFAULT_MAX_MISS_RATE:g}; with --carry: R of the objects missed on average since a frame was looked "
        "over whole)",
    )
    escalate.add_argument(
        "--miss-credibility",
        type=float,
        default=DEFAULT_MISS_CREDIBILITY,
        metavar="P",
        help="with --carry: bound the misses' growth (learned from the frames looked over whole) at this "
        f"quantile of its posterior ({DEFAULT_MISS_CREDIBILITY:g}; 0: its mean, the earlier rule)",
    )
    escalate.add_argument(
        "--whole-for-misses",
        action="store_true",
        help="review such frames whole instead of searching them (nothing accepted there: the earlier rule)",
    )
    escalate.add_argument(
        "--cluster-threshold",
        type=float,
        default=DEFAULT_CLUSTER_THRESHOLD,
        metavar="O",
        help="flag point clusters no proposal explains as possible missed objects (review items) at "
        f"objectness >= O ({DEFAULT_CLUSTER_THRESHOLD:g}; above 1: never)",
    )
    parser.add_argument("--json", action="store_true", help="print the whole report as JSON")
    parser.set_defaults(handler=run_simulate)  # fmt: skip


def run_simulate(args: argparse.Namespace) -> int:
    """``annotator simulate DIR --plugin ID --strategy S``."""
    from annotator.ml.finetune.edits import CostsError, EffortModel
    from annotator.ml.finetune.simulate import CARRYING, SimulationSettings, simulate
    from annotator.ml.finetune.spec import FineTuneOptions
    from annotator.ml.uncertainty.escalation import EscalationRule, sweep_table
    from annotator.ml.uncertainty.sequence_escalation import CarrySettings

    try:
        costs = EffortModel.parse(args.costs)
    except CostsError as error:
        raise AnnotatorError(str(error)) from None
    if args.carry and args.strategy not in CARRYING:
        raise AnnotatorError(
            f"--carry joins a model's proposals ({', '.join(CARRYING)}), not --strategy {args.strategy}"
        )
    if not 0.0 < args.agreement_iou <= 1.0:
        raise AnnotatorError(f"--agreement-iou must be above 0 and at most 1, got {args.agreement_iou}")
    if args.reject_frames < 0:
        raise AnnotatorError(f"--reject-frames must be 0 (off) or more, got {args.reject_frames}")
    if args.lost_frames < 0:
        raise AnnotatorError(f"--lost-frames must be 0 (off) or more, got {args.lost_frames}")
    if args.still_frames < 0:
        raise AnnotatorError(f"--still-frames must be 0 (off) or more, got {args.still_frames}")
    if not 0.0 <= args.spill_growth < 1.0:
        raise AnnotatorError(f"--spill-growth must be at least 0 (off) and below 1, got {args.spill_growth}")
    if args.passes < 2:
        raise AnnotatorError(f"--passes must be at least 2, got {args.passes}")
    if args.adapt_every < 0:
        raise AnnotatorError(f"--adapt-every must be 0 (off) or more, got {args.adapt_every}")
    if args.adapt_model and args.adapt_every < 1:
        raise AnnotatorError("--adapt-model needs --adapt-every K (K >= 1)")
    if not 0.0 <= args.miss_credibility < 1.0:
        raise AnnotatorError(
            f"--miss-credibility must be at least 0 and below 1, got {args.miss_credibility}"
        )
    for name in ("threshold", "min_score", "max_miss_rate", "cluster_threshold"):
        if not 0.0 <= getattr(args, name) <= 1.01:
            raise AnnotatorError(f"--{name.replace('_', '-')} must be between 0 and 1")
    check_project(args.directory)
    resolve_plugin(args)
    registry = args.plugins
    manifest = registry.manifest(args.plugin)
    fit_params = {"epochs": args.epochs} if args.epochs is not None else {}
    options = FineTuneOptions(
        replay_ratio=args.replay_ratio, held_apart=args.held_apart, tolerance=args.tolerance,
        held_apart_from=max(0, args.held_apart_from), threads=args.threads, params=fit_params,
        diversity=max(0.0, args.diversity),
    )  # fmt: skip
    settings = SimulationSettings(
        args.strategy, every=max(1, args.every), options=options, params=plugin_params(args.param),
        initial_weights=args.initial, from_scratch=args.from_scratch, min_points=args.min_points, costs=costs,
        escalation=EscalationRule(
            args.threshold, args.ood_threshold, args.max_miss_rate, args.cluster_threshold,
            search_misses=not args.whole_for_misses, miss_credibility=args.miss_credibility or None,
        ), mode=args.mode, passes=args.passes,
        min_score=args.min_score, adapt_every=args.adapt_every, adapt_model=args.adapt_model,
        carry=args.carry, carry_rule=CarrySettings(
            args.agreement_iou, args.reject_frames, args.min_points, args.lost_frames, args.still_frames,
            args.spill_growth or None,
        ),
    )  # fmt: skip
    manifest.parameter_values(settings.params)

    def frames(project):
        return select_frames(project.frames_in_order(), args.frames)

    def on_frame(result) -> None:
        if not args.json:
            e = result.edits
            print(f"{result.frame:>10}  truths {result.truths:>3}  proposals {result.proposals:>3}  "
                  f"added {e.added:>3}  deleted {e.deleted:>3}  adjusted {e.adjusted:>3}  "
                  f"edits {e.total:>3}  effort {result.effort_s:>5.0f} s", flush=True)  # fmt: skip

    def on_log(line: str) -> None:
        print(f"  {line}", file=sys.stderr, flush=True)

    report = simulate(args.directory.absolute(), registry, args.plugin, settings, frames, on_frame, on_log)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return 0
    for version in report.versions:
        verdict = "promoted" if version["promoted"] else "kept"
        print(f"  {version['id']} after {version['after_frames']} frames: {verdict} "
              f"({'; '.join(version['gate'])}), {version['seconds']} s")  # fmt: skip
    totals = report.totals
    truths = sum(f.truths for f in report.frames)
    print(f"{report.strategy}: {totals.total} edits on {len(report.frames)} frames ({truths} objects): "
          f"{totals.added} added, {totals.deleted} deleted, {totals.adjusted} adjusted, "
          f"{totals.accepted} accepted as proposed; {report.seconds:.0f} s")  # fmt: skip
    manual = report.manual_effort_s
    share = f" ({report.effort_s / manual:.0%} of it)" if manual else ""
    print(f"effort: {report.effort_s / 60:.1f} min{share}; drawing every box: {manual / 60:.1f} min "
          f"(add {costs.add:g} s, adjust {costs.adjust:g} s, delete {costs.delete:g} s, accept {costs.accept:g} s)")  # fmt: skip
    if report.escalation:
        adapted = (f"; P(wrong) learned from the verified frames every {args.adapt_every}, the OOD reference grown "
                   "by each" if args.adapt_every else "")  # fmt: skip
        carried = ("; each frame's finished labels carried into the next (a carried box accepted unreviewed where "
                   "the model's box agrees, the first frame reviewed whole)" if report.carry else "")  # fmt: skip
        misses = ("reviewed whole" if args.whole_for_misses else
                  "searched for missed objects (their confident items accepted, what is missing drawn)")  # fmt: skip
        print(f"escalation sweep ({args.mode} x{args.passes}{adapted}{carried}; frames with OOD >= {args.ood_threshold:g} reviewed "
              f"whole; frames where misses pass {args.max_miss_rate:g} {misses}; "
              f"flags = unexplained clusters at objectness >= {args.cluster_threshold:g} (possible missed "
              "objects); share = reviewed proposals and flags over proposals and flags, /object = the same per "
              "object; residual = wrong boxes accepted unreviewed + objects neither proposed nor flagged in "
              "frames neither reviewed whole nor searched, per object; effort against drawing every box, "
              f"{costs.search:g} s per frame reviewed whole or searched):")  # fmt: skip
        for line in sweep_table(report.escalation, args.threshold):
            print(f"  {line}")
    if report.ranking is not None:
        r = report.ranking
        print(f"AUROC finding wrong proposals on the {r['frames']} frames judged after the first adaptation "
              f"({r['proposals']} proposals, {r['wrong']} wrong): P(wrong) {r['auroc_uncertainty']:.3f}, the "
              f"detector's mean score alone {r['auroc_score']:.3f}")  # fmt: skip
    if report.forgetting is not None:
        probes = ", ".join(str(p["edits"]) for p in report.probe)
        print(
            f"forgetting on the first frames: {report.forgetting} edits (probe edits after each promotion: {probes})"
        )
    return 0
