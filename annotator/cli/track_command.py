"""``annotator track DIR [--frames SEL]``: link a project's model proposals across frames into tracks.

One undoable step (`annotator.core.track_linking.LinkTracks`): in the world frame when every chosen frame
carries an ego pose, else in the sensor frame. ``annotator preannotate`` does the same after its run
(``--no-track`` skips it).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.cli.plugin_args import check_project, chosen_frames
from annotator.core.model.records import Frame
from annotator.core.track_linking import LinkTracks

if TYPE_CHECKING:
    from annotator.io.workspace import Workspace

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the track sub-command."""
    command = subparsers.add_parser(
        "track", help="link model proposals across frames into tracks (world frame when frames have poses)"
    )
    command.add_argument("directory", type=Path, help="the project directory")
    command.add_argument("--frames", metavar="SEL", help="frames to link, e.g. 0-24 (default: all)")
    command.set_defaults(handler=run_track)


def link_frames(workspace: Workspace, frames: Sequence[Frame]) -> LinkTracks:
    """Push one `LinkTracks` step over ``frames``; the command (with its counts)."""
    command = LinkTracks(frames)
    workspace.push(command)
    return command


def report(command: LinkTracks) -> None:
    """The summary line of a linking step."""
    frame_of_reference = "world" if command.world else "sensor"
    print(
        f"tracked     {command.linked} proposals into {command.tracks} tracks over {len(command.frames)} "
        f"frames ({frame_of_reference} frame)"
    )


def run_track(args: argparse.Namespace) -> int:
    """``annotator track DIR``: one command, a summary line."""
    from annotator.io.workspace import Workspace

    check_project(args.directory)
    with Workspace.open(args.directory) as workspace:
        report(link_frames(workspace, chosen_frames(workspace.project, args.frames)))
    return 0
