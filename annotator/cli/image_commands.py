"""Sub-commands about camera images: ``derive-2d`` (2D boxes from cuboids)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from annotator.cli.io_commands import EXIT_PARTIAL
from annotator.core.derive import DeriveBoxes2D
from annotator.core.errors import AnnotatorError
from annotator.core.selection import select_frames
from annotator.io.image_sizes import missing_image_sizes
from annotator.io.workspace import Workspace

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the image sub-commands."""
    derive = subparsers.add_parser(
        "derive-2d",
        help="derive 2D boxes from cuboids (tight projected rectangles, linked, replacing earlier derived ones)",
    )
    derive.add_argument("directory", type=Path)
    derive.add_argument("--frames", metavar="SEL", help="frames: 0-9,15,20-, names, or all (default)")
    derive.add_argument(
        "--camera", action="append", metavar="NAME", help="only this camera (repeatable; default: all)"
    )
    derive.set_defaults(handler=run_derive)


def run_derive(args: argparse.Namespace) -> int:
    """``annotator derive-2d DIR [--frames SEL] [--camera NAME]``: one undoable step, then a summary."""
    with Workspace.open(args.directory) as workspace:
        project = workspace.project
        frames = select_frames(project.frames_in_order(), args.frames)
        if not frames:
            raise AnnotatorError(f"{args.directory}: no frames selected")
        if args.camera:
            known = {name for frame in project.frames.values() for name in frame.cameras}
            unknown = sorted(set(args.camera) - known)
            if unknown:
                raise AnnotatorError(
                    f"{args.directory}: no calibrated camera {', '.join(map(repr, unknown))} "
                    f"(cameras: {', '.join(sorted(known)) or 'none'})"
                )
        sizes, problems = missing_image_sizes(project, frames, args.camera)
        for problem in problems:
            print(f"annotator: error: {problem}", file=sys.stderr)
        command = workspace.push(DeriveBoxes2D([f.id for f in frames], args.camera, sizes))
    print(f"frames      {len(frames)}")
    print(f"derived     {command.added} 2D boxes ({command.removed} earlier derived boxes replaced)")
    print(
        f"unreviewed  {command.unreviewed} of them, from unreviewed proposals (they follow their cuboid's review)"
    )
    return EXIT_PARTIAL if problems else 0
