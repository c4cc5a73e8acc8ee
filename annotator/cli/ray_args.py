"""``--ray [ADDRESS]`` and ``--workers N``: run a batch command's frames on a Ray cluster."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from annotator.core.errors import AnnotatorError

if TYPE_CHECKING:
    from annotator.ml.ray_batch import RaySettings

logger = logging.getLogger(__name__)

#: ``--ray`` given without an address: start a local runtime.
LOCAL = ""


def add_ray_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--ray [ADDRESS]`` and ``--workers N``."""
    parser.add_argument(
        "--ray", nargs="?", const=LOCAL, default=None, metavar="ADDRESS",
        help="run the frames on Ray (one worker per CPU/GPU slot): a cluster's HOST:PORT or 'auto', "
        "or without ADDRESS a local runtime; results are still written here, one step per frame",
    )  # fmt: skip
    parser.add_argument(
        "--workers", type=int, metavar="N", help="with --ray: at most N workers (local runtime: N CPUs)"
    )


def ray_settings(args: argparse.Namespace) -> RaySettings | None:
    """The Ray settings the arguments ask for, or None without ``--ray``."""
    from annotator.ml.ray_batch import RaySettings

    if args.workers is not None and args.workers < 1:
        raise AnnotatorError(f"--workers must be at least 1, got {args.workers}")
    if args.ray is None:
        if args.workers is not None:
            raise AnnotatorError("--workers applies only with --ray")
        return None
    return RaySettings(args.ray or None, args.workers)


def ray_note(settings: RaySettings | None) -> str:
    """``", on Ray (local)"`` / ``", on Ray at ADDRESS"`` for a summary line; empty without Ray."""
    if settings is None:
        return ""
    return f", on Ray at {settings.address}" if settings.address else ", on Ray (local)"
