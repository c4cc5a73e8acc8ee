"""Sub-command ``train``: train a plugin on a project's labels, measure it on held-apart frames, save it.

The weights go to a new file in ``DIR/models/<plugin>/`` marked latest (pre-annotation then uses them),
with the measured quality next to them as ``<weights>.quality.json``. Ctrl+C cancels: the plugin stops
after its current step and nothing is saved (a second Ctrl+C stops at once). The project database is
only read. Exit codes: 0 trained and saved, 1 an error, 130 cancelled.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from annotator.cli.plugin_args import (
    add_plugin_arguments,
    check_project,
    chosen_frames,
    plugin_params,
    resolve_plugin,
)
from annotator.cli.progress import Progress
from annotator.core.errors import AnnotatorError
from annotator.ml.protocol import CancelToken, FitProgress

logger = logging.getLogger(__name__)

EXIT_CANCELLED = 130
#: Progress lines with the mean loss printed during training.
LOSS_LINES = 10


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the train sub-command."""
    parser = subparsers.add_parser(
        "train", help="train a model plugin on the project's labels and measure it on held-apart frames"
    )
    add_plugin_arguments(parser)
    parser.add_argument("--epochs", type=int, metavar="N", help="passes over the training frames")
    parser.add_argument(
        "--validation-share",
        type=float,
        default=0.2,
        metavar="F",
        help="share of the frames (the last ones) held apart to measure quality (default 0.2; 0: none)",
    )
    parser.add_argument(
        "--labels",
        choices=("verified", "ground-truth"),
        default="verified",
        help="train on human-confirmed annotations (default) or the project's reference labels (a demo's generated ground truth)",
    )
    parser.add_argument("--seed", type=int, metavar="S", help="the plugin's random seed")
    parser.set_defaults(handler=run_train)


def run_train(args: argparse.Namespace) -> int:
    """``annotator train DIR --plugin ID``: load labels, train with a progress bar, measure, save."""
    from annotator.io.store import ProjectStore
    from annotator.ml.datasets import load_labels, split_frames
    from annotator.ml.training import train

    check_project(args.directory)
    resolve_plugin(args)
    registry = args.plugins
    manifest = registry.manifest(args.plugin)
    if not manifest.supports("fit"):
        raise AnnotatorError(f"plugin {args.plugin} cannot be trained (no 'fit' capability)")
    params = _params(args, {p.name for p in manifest.parameters})
    manifest.parameter_values(params)
    store = ProjectStore.open(args.directory.absolute(), read_only=True)
    try:
        project = store.load()
    finally:
        store.close()
    training, validation = split_frames(chosen_frames(project, args.frames), args.validation_share)
    print(f"reading {args.labels} labels of {len(training)} training and {len(validation)} held-apart frames",
          flush=True)  # fmt: skip
    data = [f.labelled for f in load_labels(project, training, manifest.classes, manifest.task, args.labels)]
    held = load_labels(project, validation, manifest.classes, manifest.task, args.labels, measuring=True)
    if not data:
        raise AnnotatorError(f"no frame in the selection has {args.labels} labels to train on")
    if validation and not held:
        raise AnnotatorError("the held-apart frames have no labels: quality cannot be measured")
    cancel = CancelToken()
    reporter = _LossReporter(not args.no_progress)
    with _cancel_on_interrupt(cancel), reporter:
        result = train(
            project,
            registry,
            args.plugin,
            training,
            params,
            cancel,
            reporter.update,
            data=data,
            held_apart=held,
            on_measure=reporter.measuring,
        )
    if result.cancelled:
        steps = result.history[-1].step if result.history else 0
        print(f"cancelled after {steps} steps ({result.seconds:.0f} s): nothing saved", file=sys.stderr)
        return EXIT_CANCELLED
    losses = [p.metrics["loss"] for p in result.history if "loss" in p.metrics]
    print(f"trained {args.plugin} on {result.frames} labelled frames in {result.seconds:.1f} s"
          + (f", loss {losses[0]:.3f} -> {losses[-1]:.3f}" if losses else ""))  # fmt: skip
    if result.quality is not None:
        print("\n".join(result.quality.lines()))
    if result.weights is None:
        print(f"plugin {args.plugin} cannot save weights: nothing written")
        return 0
    print(f"weights     {result.weights} (version {result.model_version}, now the latest)")
    if result.quality_file is not None:
        print(f"quality     {result.quality_file}")
    return 0


def _params(args: argparse.Namespace, known: set[str]) -> dict[str, Any]:
    params = plugin_params(args.param)
    for option, name in (("epochs", "epochs"), ("seed", "seed")):
        value = getattr(args, option)
        if value is None:
            continue
        if name not in known:
            raise AnnotatorError(f"plugin {args.plugin} has no {name!r} parameter: --{option} does not apply")
        params[name] = value
    return params


@contextmanager
def _cancel_on_interrupt(cancel: CancelToken) -> Iterator[None]:
    """The first Ctrl+C sets ``cancel`` (the plugin stops after its step); a second one interrupts."""

    def interrupted(signum: int, frame: Any) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        print("\ncancelling after the current step (Ctrl+C again to stop at once) ...", file=sys.stderr)
        cancel.cancel()

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _LossReporter:
    """A progress bar over training steps (with the loss), a loss line every tenth, then the measuring."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Progress | None = None
        self.losses: list[float] = []
        self.printed = 0
        self.started = time.monotonic()

    def update(self, progress: FitProgress) -> None:
        """One training step done."""
        if self.bar is None:
            self.bar = Progress(progress.total, "train", enabled=self.enabled)
        if "loss" in progress.metrics:
            self.losses.append(float(progress.metrics["loss"]))
        loss = f"loss {self.losses[-1]:.3f}" if self.losses else ""
        self.bar.update(progress.step, " ".join(t for t in (progress.message, loss) if t), progress.total)
        tenth = progress.step * LOSS_LINES // max(progress.total, 1)
        if self.enabled and tenth > self.printed and self.losses:
            self.printed = tenth
            recent = self.losses[-max(1, progress.total // LOSS_LINES) :]
            self.bar.close()
            print(f"  step {progress.step}/{progress.total}  mean loss {sum(recent) / len(recent):.4f}  "
                  f"{time.monotonic() - self.started:.0f} s", file=sys.stderr, flush=True)  # fmt: skip

    def measuring(self, done: int, total: int) -> None:
        """One held-apart frame measured."""
        if self.bar is not None and self.bar.label == "train":
            self.bar.close()
            self.bar = None
        if self.bar is None:
            self.bar = Progress(total, "measure", enabled=self.enabled)
        self.bar.update(done)

    def __enter__(self) -> _LossReporter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
