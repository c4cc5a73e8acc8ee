"""Sub-command ``train-base``: train the pointpillars plugin's base detector on generated street scenes.

Frames are generated into a cache folder (``OUT/cache`` unless ``--cache``; reused by later runs), the
network trains with sensor-agnostic augmentations on CUDA when present (else the CPU), and after every
epoch a resumable checkpoint (``OUT/checkpoints``) and loadable plugin weights (``OUT/weights``) are
written; progress and times go to stdout and ``OUT/train.log``. ``--resume OUT/checkpoints/last.pt``
continues a stopped run (options given again, such as ``--epochs``, override the checkpoint's); ``--init
WEIGHTS`` starts a new run (new optimiser and learning-rate cycle) from plugin weights such as the shipped ones. Ctrl+C
stops after the current step; the last finished epoch's checkpoint stays. ``--workers`` processes (one per
core beyond two unless told) generate the frames and prepare the training batches; ``--minutes`` caps the training
time (after each epoch, fewer epochs when the rest would not fit). Exit codes: 0 done, 1 an error, 130
stopped.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

from annotator.cli.train_command import EXIT_CANCELLED, _cancel_on_interrupt
from annotator.core.errors import AnnotatorError
from annotator.ml.protocol import CancelToken

logger = logging.getLogger(__name__)

LOG_FILE = "train.log"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the train-base sub-command."""
    parser = subparsers.add_parser(
        "train-base", help="train the pointpillars base detector on generated scenes (resumable)"
    )
    parser.add_argument("out", type=Path, help="folder for the cache, checkpoints, weights and log")
    parser.add_argument("--frames", type=int, metavar="N", help="generated training frames (default 400)")
    parser.add_argument("--epochs", type=int, metavar="E", help="passes over the frames (default 12)")
    parser.add_argument("--sensors", metavar="LIST", help="simulated sensors, comma-separated "
                        "(default hdl64e,vlp32c,pandar128,vlp16)")  # fmt: skip
    parser.add_argument("--seed", type=int, metavar="S", help="seed of the scenes and training (default 0)")
    parser.add_argument("--batch-size", type=int, metavar="B", help="frames per step (default 4)")
    parser.add_argument(
        "--learning-rate", type=float, metavar="LR", help="peak learning rate (default 0.003)"
    )
    parser.add_argument("--cache", type=Path, metavar="DIR", help="frame cache folder (default OUT/cache)")
    parser.add_argument("--resume", type=Path, metavar="CKPT", help="continue from a checkpoint")
    parser.add_argument("--init", type=Path, metavar="WEIGHTS",
                        help="start a new run from these plugin weights (e.g. the shipped base.pt)")  # fmt: skip
    parser.add_argument("--device", metavar="D", help="auto (CUDA when present, else CPU), cpu or cuda")
    parser.add_argument("--threads", type=int, metavar="T", help="torch CPU threads (0: all cores but one)")
    parser.add_argument("--workers", type=int, metavar="W", help="processes that generate the frames and prepare "
                        "the training batches (0: none, all in this process; default: one per core beyond two)")  # fmt: skip
    parser.add_argument("--minutes", type=float, metavar="M", help="training time budget: after each epoch, "
                        "fewer epochs when the rest would not fit (default: none)")  # fmt: skip
    parser.set_defaults(handler=run_train_base)


def default_workers() -> int:
    """One worker process per core beyond the two the training itself keeps busy (none on two cores, where
    workers slow the steps down more than they save)."""
    return max(0, (os.cpu_count() or 1) - 2)


def run_train_base(args: argparse.Namespace) -> int:
    """``annotator train-base OUT [...]``."""
    from plugins.pointpillars.base_training import BaseOptions, load_checkpoint, resumed_options, train_base
    from plugins.pointpillars.sensors import sensor_config

    given = {
        "frames": args.frames,
        "epochs": args.epochs,
        "sensors": tuple(args.sensors.split(",")) if args.sensors else None,
        "seed": args.seed,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "cache": str(args.cache.absolute()) if args.cache else None,
        "device": args.device,
        "threads": args.threads,
        "init": str(args.init.absolute()) if args.init else None,
        "workers": default_workers() if args.workers is None else args.workers,
        "minutes": args.minutes,
    }
    for name, low in (
        ("frames", 1),
        ("epochs", 1),
        ("batch_size", 1),
        ("threads", 0),
        ("workers", 0),
        ("minutes", 0),
    ):
        if given[name] is not None and given[name] < low:
            raise AnnotatorError(f"--{name.replace('_', '-')} must be at least {low}")
    for sensor in given["sensors"] or ():
        try:
            sensor_config(sensor)
        except ValueError as error:
            raise AnnotatorError(f"--sensors: {error}") from error
    if args.init is not None and not args.init.is_file():
        raise AnnotatorError(f"{args.init}: no such weights file")
    resume = None
    if args.resume is not None:
        if not args.resume.is_file():
            raise AnnotatorError(f"{args.resume}: no such checkpoint")
        try:
            resume = load_checkpoint(args.resume)
        except ValueError as error:
            raise AnnotatorError(str(error)) from error
        options = resumed_options(resume, given)
    else:
        options = BaseOptions(**{k: v for k, v in given.items() if v is not None})
    args.out.mkdir(parents=True, exist_ok=True)
    log_path = args.out / LOG_FILE

    def log(line: str) -> None:
        stamped = f"{time.strftime('%H:%M:%S')} {line}"
        print(stamped, flush=True)
        with open(log_path, "a", encoding="utf-8") as file:
            file.write(stamped + "\n")

    cancel = CancelToken()
    started = time.monotonic()
    try:
        with _cancel_on_interrupt(cancel):
            run = train_base(args.out, options, log, resume, cancel.is_set)
    except ValueError as error:
        raise AnnotatorError(str(error)) from error
    wall = time.monotonic() - started
    if cancel.is_set():
        log(
            f"stopped after epoch {run.epoch} ({wall:.0f} s); resume with --resume {args.out / 'checkpoints' / 'last.pt'}"
        )
        return EXIT_CANCELLED
    log(f"done: {run.epoch} epochs, {run.step} steps, {run.seconds / 60:.1f} min of training "
        f"({wall / 60:.1f} min this run); weights in {args.out / 'weights'}")  # fmt: skip
    return 0
