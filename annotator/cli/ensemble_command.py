"""Sub-command ``train-ensemble``: ensemble heads, calibration and the OOD index for pointpillars weights.

Trains K independently initialised heads on the frozen backbone of the given weights (default: the
weights the plugin ships) on generated frames, calibrates scores and uncertainties on held-apart generated
frames and builds the out-of-distribution index; writes them beside the weights with a card of hashes
(`plugins.pointpillars.ensemble`). Resumable: finished heads are kept when a run is stopped (Ctrl+C) and a
second run with the same options continues. Exit codes: 0 done, 1 an error, 130 stopped.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

from annotator.cli.train_command import EXIT_CANCELLED, _cancel_on_interrupt
from annotator.core.errors import AnnotatorError
from annotator.ml.protocol import CancelToken

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the train-ensemble sub-command."""
    parser = subparsers.add_parser(
        "train-ensemble",
        help="train ensemble heads, calibration and the OOD index beside pointpillars weights (resumable)",
    )
    parser.add_argument("--weights", type=Path, metavar="PT",
                        help="pointpillars weights (default: the plugin's shipped base.pt)")  # fmt: skip
    parser.add_argument("--heads", type=int, default=4, metavar="K", help="extra heads to train (4)")
    parser.add_argument("--frames", type=int, default=32, metavar="N", help="generated training frames (32)")
    parser.add_argument("--calibration-frames", type=int, default=16, metavar="N",
                        help="held-apart generated frames for calibration (16)")  # fmt: skip
    parser.add_argument("--epochs", type=int, default=6, metavar="E", help="passes per head (6)")
    parser.add_argument("--learning-rate", type=float, default=0.004, metavar="LR",
                        help="peak learning rate of each head (0.004)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=7, metavar="S", help="seed of the frames and heads (7)")
    parser.add_argument(
        "--cache",
        type=Path,
        metavar="DIR",
        help="frame cache (default: annotator-ensemble-frames in the temporary folder)",
    )
    parser.add_argument("--threads", type=int, default=1, metavar="T", help="torch CPU threads (1)")
    parser.set_defaults(handler=run_train_ensemble)


def _shipped() -> Path:
    from annotator.ml.manifest import manifest_from_dict
    from annotator.ml.shipped import shipped_weights
    from plugins.pointpillars import MANIFEST

    found = shipped_weights(manifest_from_dict(MANIFEST, "plugins.pointpillars"))
    if found is None:
        raise AnnotatorError("pointpillars ships no base weights here; give --weights")
    return found[0]


def run_train_ensemble(args: argparse.Namespace) -> int:
    """``annotator train-ensemble [--weights PT] [...]``."""
    from plugins.pointpillars.ensemble import EnsembleOptions, train_ensemble

    weights = args.weights or _shipped()
    if not weights.is_file():
        raise AnnotatorError(f"{weights}: no such weights file")
    for name, low in (("heads", 1), ("frames", 2), ("calibration_frames", 2), ("epochs", 1), ("threads", 0)):
        if getattr(args, name) < low:
            raise AnnotatorError(f"--{name.replace('_', '-')} must be at least {low}")
    if not 0.0 < args.learning_rate <= 1.0:
        raise AnnotatorError("--learning-rate must be in (0, 1]")
    options = EnsembleOptions(
        heads=args.heads, frames=args.frames, calibration_frames=args.calibration_frames, epochs=args.epochs,
        learning_rate=args.learning_rate, seed=args.seed, cache=str(args.cache.absolute()) if args.cache else "", threads=args.threads,
    )  # fmt: skip

    def log(line: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)

    cancel = CancelToken()
    try:
        with _cancel_on_interrupt(cancel):
            card = train_ensemble(weights, options, log, cancel.is_set)
    except (ValueError, RuntimeError) as error:
        raise AnnotatorError(f"{weights}: {error}") from error
    if card is None:
        return EXIT_CANCELLED
    print(json.dumps({k: card[k] for k in ("members", "calibration", "cost_per_frame", "seconds")}, indent=1))
    return 0
