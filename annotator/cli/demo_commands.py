"""Sub-command ``demo``: generate a street sequence, make a project over it and open it."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import platformdirs

from annotator.cli.demo_project import DEFAULT_FRAMES, create_demo_project, is_project

logger = logging.getLogger(__name__)


def default_demo_directory() -> Path:
    """Where ``annotator demo`` puts its project when no directory is given."""
    return Path(platformdirs.user_data_dir("annotator")) / "demo"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the demo sub-command."""
    demo = subparsers.add_parser(
        "demo",
        help="generate a LiDAR + camera sequence with ground truth, make a project over it and open it",
    )
    demo.add_argument(
        "directory",
        type=Path,
        nargs="?",
        help=f"project directory (default: {default_demo_directory()}); an existing project is just opened",
    )
    demo.add_argument("--frames", type=int, default=DEFAULT_FRAMES, help="frames to generate (default: 10)")
    demo.add_argument("--seed", type=int, default=0, help="scene seed: the same seed gives the same bytes")
    demo.add_argument("--no-gui", action="store_true", help="only create the project")
    demo.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    """``annotator demo [DIR] [--frames N] [--seed S] [--no-gui]``."""
    if args.frames < 1:
        print("annotator demo: --frames must be at least 1")
        return 2
    directory = args.directory if args.directory is not None else default_demo_directory()
    if is_project(directory):
        print(f"opening the existing project {directory}")
    else:
        print(f"generating {args.frames} frames (seed {args.seed}) into {directory} ...", flush=True)
        made = create_demo_project(directory, frames=args.frames, seed=args.seed)
        print(
            f"created project {made.root}: {made.frames} frames, {made.objects} ground-truth objects "
            f"kept apart in {made.root / 'data'} ({made.seconds:.1f} s)"
        )
    if args.no_gui:
        return 0
    from annotator.qt.app.launch import run_application

    return run_application(directory, args.plugins)
