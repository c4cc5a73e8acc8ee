"""``annotator fit``: every cuboid of the selected frames fitted to the object it covers.

The fit respects partial views (`annotator.core.cuboids.partial_fit`): sides the sensor sees take their size from
the points, hidden sides from the track's agreed size or the class default, anchored on the visible
faces; a box of a travelling track points along the track's world-frame motion (frames with ego poses),
refined by the L-shape; a sparse vehicle of a track in a sequence with ego poses also takes its points from
the track's neighbouring frames (`--sweeps`, `annotator.core.cuboids.sweep_gathering`); a box that already agrees with its fit is left as it is, and a weak fit changes
nothing and says why.

Each frame's edit is one undoable command in the project's history ("Fit 12 cuboids in frame 000004"),
so the application's Edit > Undo takes a frame's fit back. A box holding too few points is left alone and
reported; a frame whose cloud cannot be read is reported and skipped (exit code 3, as for export).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.cli.io_commands import EXIT_PARTIAL
from annotator.cli.progress import Progress
from annotator.cli.sweep_clouds import FrameClouds
from annotator.core.cuboids.box_fit import MIN_POINTS, fit_frame
from annotator.core.cuboids.fit_priors import MOTION_WINDOW, size_classes, size_prior, track_motion
from annotator.core.cuboids.sweep_gathering import neighbour_points
from annotator.core.cuboids.track_sweeps import SWEEP_REACH, wants_sweeps
from annotator.core.edits import UpdateAnnotations
from annotator.core.errors import AnnotatorError
from annotator.core.model.records import Annotation, Frame
from annotator.core.selection import select_frames

if TYPE_CHECKING:
    from annotator.io.workspace import Workspace

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the fit sub-command."""
    fit = subparsers.add_parser(
        "fit",
        help="fit every cuboid of the selected frames to the object it covers (partial views respected)",
    )
    fit.add_argument("directory", type=Path, help="the project directory")
    fit.add_argument("--frames", metavar="SEL", help="frames to fit: 0-9,15,20-, names, or all (default)")
    fit.add_argument("--classes", nargs="+", metavar="CLASS", help="fit only these classes")
    fit.add_argument(
        "--min-points",
        type=int,
        default=MIN_POINTS,
        metavar="N",
        help=f"leave a box with fewer object points alone (default {MIN_POINTS})",
    )
    fit.add_argument("--no-rotate", action="store_true", help="only shrink to the points, keep headings")
    fit.add_argument(
        "--size-classes",
        action="store_true",
        help="an object wider than its class takes the narrowest class size that holds it for hidden sides",
    )
    fit.add_argument(
        "--sweeps",
        type=int,
        default=SWEEP_REACH,
        metavar="R",
        help="a sparse tracked vehicle also takes its points from its track's frames within R "
        f"(frames with ego poses; default {SWEEP_REACH}, 0: each frame's own points only)",
    )
    fit.add_argument("--no-progress", action="store_true", help="do not show the progress bar")
    fit.set_defaults(handler=run_fit)


def _warn(message: str) -> None:
    print(f"annotator: warning: {message}", file=sys.stderr)


def _cuboids_to_fit(annotations: list[Annotation], classes: set[str] | None) -> list[Annotation]:
    return [a for a in annotations if a.cuboid is not None and (classes is None or a.class_name in classes)]


def fit_one_frame(
    workspace: Workspace,
    frame: Frame,
    classes: set[str] | None,
    min_points: int,
    rotate: bool,
    choose_class: bool = False,
    clouds: FrameClouds | None = None,
    reach: int = 0,
) -> tuple[int, list[str]]:
    """Fit one frame's cuboids as one command; returns (boxes changed, messages about boxes left alone).
    ``choose_class``: the project's class sizes are size classes a box may take (`size_class`);
    ``reach``: a sparse tracked vehicle also takes its points from its track's frames within it
    (`neighbour_points`, read through ``clouds``)."""
    project = workspace.project
    clouds = clouds or FrameClouds(project, 1)
    everything = project.annotations_of(frame.id, "cuboid")
    chosen = _cuboids_to_fit(everything, classes)
    if not chosen:
        return 0, []
    if not frame.cloud:
        return 0, [f"frame {frame.name}: no point cloud, {len(chosen)} boxes left alone"]
    cloud = clouds.index(frame)
    # every box of the frame is a neighbour, fitted or not; only the chosen ones change
    priors = [size_prior(project, a) for a in everything]
    motions = [track_motion(project, a) for a in everything]  # a travelling track's heading
    chosen_ids = {a.id for a in chosen}
    extras = [
        neighbour_points(project, a, clouds.points_near, reach)
        if a.id in chosen_ids and wants_sweeps(cloud.count_inside(a.cuboid), prior or a.cuboid.size)  # type: ignore[union-attr]
        else None
        for a, prior in zip(everything, priors)
    ]
    report = fit_frame(
        [a.cuboid for a in everything],
        cloud.points,
        rotate=rotate,
        min_points=min_points,
        priors=priors,
        headings=[None if m is None else m.yaw for m in motions],
        hint_windows=[None if m is None else MOTION_WINDOW * m.spread for m in motions],
        size_classes=size_classes(project) if choose_class else (),
        extra_points=extras,
    )
    updated, messages = [], []
    for annotation, outcome in zip(everything, report.outcomes):
        if annotation.id not in chosen_ids:
            continue
        if outcome.reason:
            messages.append(
                f"frame {frame.name}: #{annotation.id} {annotation.class_name}: {outcome.reason}, left alone"
            )
        elif outcome.changed:
            updated.append(dataclasses.replace(annotation, cuboid=outcome.cuboid))
    if updated:
        noun = "cuboid" if len(updated) == 1 else "cuboids"
        workspace.push(UpdateAnnotations(updated, f"Fit {len(updated)} {noun} in frame {frame.name}"))
    return len(updated), messages


def run_fit(args: argparse.Namespace) -> int:
    """``annotator fit DIR``: a progress bar, boxes left alone on stderr, then a summary."""
    from annotator.io.workspace import Workspace

    classes = {c.strip() for item in args.classes or [] for c in item.split(",") if c.strip()} or None
    if args.min_points < 1:
        raise AnnotatorError(f"--min-points must be at least 1, got {args.min_points}")
    if args.sweeps < 0:
        raise AnnotatorError(f"--sweeps must be 0 or more, got {args.sweeps}")
    with Workspace.open(args.directory) as workspace:
        clouds = FrameClouds(workspace.project, 2 * args.sweeps + 2)  # a frame and its neighbours, read once
        frames = select_frames(list(workspace.project.frames.values()), args.frames)
        fitted, boxes, left, failed = 0, Counter(), 0, 0
        with Progress(len(frames), "fit", enabled=not args.no_progress) as progress:
            for done, frame in enumerate(frames, start=1):
                boxes[frame.name] = len(_cuboids_to_fit(workspace.project.annotations_of(frame.id), classes))
                try:
                    changed, messages = fit_one_frame(
                        workspace,
                        frame,
                        classes,
                        args.min_points,
                        not args.no_rotate,
                        args.size_classes,
                        clouds,
                        args.sweeps,
                    )
                except AnnotatorError as error:
                    print(f"annotator: error: frame {frame.name}: {error}", file=sys.stderr)
                    failed += 1
                    messages, changed = [], 0
                for message in messages:
                    _warn(message)
                fitted += changed
                left += len(messages)
                progress.update(done, frame.name)
    total = sum(boxes.values())
    print(
        f"fitted      {fitted} of {total} cuboids in {len(frames)} frames ({total - fitted - left} already fitted)"
    )
    if left:
        print(f"left alone  {left} (too few points or a weak fit; see the warnings above)")
    if failed:
        print(f"skipped     {failed} frames (see the errors above)")
    return EXIT_PARTIAL if left or failed else 0
