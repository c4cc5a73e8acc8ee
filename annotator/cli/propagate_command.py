"""``annotator propagate DIR --from N --to M``: carry tracks frame by frame through a sequence.

Each step carries the boxes of one frame to the next (`annotator.core.propagation.plan_step`): in the world
frame when the frames carry ego poses, at each track's velocity and turn rate (static tracks stay put),
then re-fitted to the new frame's points with the track's size kept (``--no-refit`` skips that). Each
frame's edit is one undoable command ("Propagate 5 cuboids to the next frame"). Keyframes already in a
frame are kept and carried on from.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from annotator.cli.io_commands import EXIT_PARTIAL
from annotator.cli.progress import Progress
from annotator.core.errors import AnnotatorError
from annotator.core.model.records import Frame
from annotator.core.propagation import plan_step, propagation_steps
from annotator.core.selection import select_frames

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the propagate sub-command."""
    command = subparsers.add_parser(
        "propagate",
        help="carry tracks from one frame to another, frame by frame (ego motion compensated, re-fitted)",
    )
    command.add_argument("directory", type=Path, help="the project directory")
    command.add_argument(
        "--from", dest="start", required=True, metavar="N", help="first frame (position or name)"
    )
    command.add_argument(
        "--to", dest="stop", required=True, metavar="M", help="last frame (position or name)"
    )
    command.add_argument(
        "--tracks", nargs="+", metavar="ID", help="carry only these track ids (default: all)"
    )
    command.add_argument(
        "--refit",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="re-fit each carried box to the new frame's points, size kept (default: on)",
    )
    command.add_argument("--no-progress", action="store_true", help="do not show the progress bar")
    command.set_defaults(handler=run_propagate)


def _one_frame(frames: list[Frame], text: str, option: str) -> Frame:
    try:
        found = select_frames(frames, text)
    except (AnnotatorError, ValueError) as error:
        raise AnnotatorError(f"{option} {text}: {error}") from None
    if len(found) != 1:
        raise AnnotatorError(f"{option} {text}: names no single frame (0..{len(frames) - 1} or a frame name)")
    return found[0]


def _track_ids(values: list[str] | None) -> set[int] | None:
    if not values:
        return None
    try:
        return {int(v) for item in values for v in item.split(",") if v.strip()}
    except ValueError:
        raise AnnotatorError(f"--tracks takes track ids (numbers), got {' '.join(values)}") from None


def run_propagate(args: argparse.Namespace) -> int:
    """``annotator propagate DIR``: one command per frame, a summary line at the end."""
    from annotator.io.pointcloud import read_point_cloud
    from annotator.io.workspace import Workspace

    tracks = _track_ids(args.tracks)
    with Workspace.open(args.directory) as workspace:
        project = workspace.project
        frames = list(project.frames.values())
        first = _one_frame(frames, args.start, "--from")
        last = _one_frame(frames, args.stop, "--to")
        if tracks is not None and (missing := sorted(tracks - set(project.tracks))):
            raise AnnotatorError(f"--tracks: no track {', '.join(map(str, missing))} in {args.directory}")
        steps = propagation_steps(frames, first, last)
        carried, kept, unfitted = 0, 0, 0
        with Progress(len(steps), "propagate", enabled=not args.no_progress) as progress:
            for done, (source, target) in enumerate(steps, start=1):
                xyz = None
                if args.refit and target.cloud:
                    try:
                        xyz = read_point_cloud(project.resolve_path(target.cloud)).xyz
                    except AnnotatorError as error:
                        print(
                            f"annotator: warning: frame {target.name}: {error}; not re-fitted",
                            file=sys.stderr,
                        )
                        unfitted += 1
                edit = plan_step(project, source, target, tracks, xyz)
                if edit.command is not None:
                    workspace.push(edit.command)
                carried += edit.count
                kept += len(edit.skipped)
                progress.update(done, target.name)
    print(f"propagated  {carried} cuboids over {len(steps)} frames ({first.name} -> {last.name})")
    if kept:
        print(f"kept        {kept} keyframes already there (carried on from them)")
    if unfitted:
        print(f"unfitted    {unfitted} frames whose cloud could not be read (see the warnings above)")
    return EXIT_PARTIAL if unfitted else 0
