"""``annotator mark``: set the progress of frames (new, in progress, verified) from the command line, e.g.
to mark frames whose imported labels a person has checked as verified (training labels for ``finetune``,
``distill``). One undoable, saved step."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from annotator.core.model.records import FrameStatus

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the mark sub-command."""
    mark = subparsers.add_parser("mark", help="mark frames new, in progress or verified (one undoable step)")
    mark.add_argument("directory", type=Path, help="the project directory")
    mark.add_argument("status", choices=[s.value for s in FrameStatus], help="the frames' new progress")
    mark.add_argument("--frames", metavar="SEL", required=True, help="frames: 0-9,15,20-, names, or all")
    mark.set_defaults(handler=run_mark)


def run_mark(args: argparse.Namespace) -> int:
    """``annotator mark DIR STATUS --frames SEL``."""
    from annotator.cli.plugin_args import check_project, chosen_frames
    from annotator.core.edits import SetFramesStatus
    from annotator.io.workspace import Workspace

    check_project(args.directory)
    status = FrameStatus(args.status)
    with Workspace.open(args.directory) as workspace:
        frames = chosen_frames(workspace.project, args.frames)
        changing = [f.id for f in frames if f.status != status]
        if not changing:
            print(f"all {len(frames)} frames are already {status.value}")
            return 0
        workspace.push(SetFramesStatus(changing, status))
    print(f"marked {len(changing)} frames {status.value} ({len(frames) - len(changing)} already were)")
    return 0
