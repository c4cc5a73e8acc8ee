"""Sub-commands for team work: ``assign`` frames to annotators, ``agreement`` between two annotators,
reviewer ``signoff`` (and its report). Each change is one undoable, saved step."""

from __future__ import annotations

import argparse
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from annotator.core.agreement import DEFAULT_THRESHOLD, MEASURES, FrameAgreement, project_agreement
from annotator.core.errors import AnnotatorError
from annotator.core.model.project import Project
from annotator.core.model.records import Frame
from annotator.core.selection import select_frames

logger = logging.getLogger(__name__)


def checked_name(name: str) -> str:
    """A user name from the command line, or a one-line error."""
    from annotator.core.teamwork import check_name

    try:
        return check_name(name)
    except ValueError as error:
        raise AnnotatorError(str(error)) from None


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the assign, agreement and signoff sub-commands."""
    assign = subparsers.add_parser("assign", help="assign frames to annotators, or list the assignments")
    assign.add_argument("directory", type=Path, help="the project directory")
    assign.add_argument("--frames", metavar="SEL", help="frames: 0-9,15,20-, names, or all")
    group = assign.add_mutually_exclusive_group()
    group.add_argument("--to", nargs="+", metavar="NAME", help="assign the frames to these people")
    group.add_argument("--clear", action="store_true", help="remove the frames' assignment")
    assign.add_argument("--json", action="store_true", help="list as JSON")
    assign.set_defaults(handler=run_assign)

    agreement = subparsers.add_parser("agreement", help="how well two annotators agree, per frame")
    agreement.add_argument("directory", type=Path, help="the project directory")
    _add_agreement_options(agreement)
    agreement.add_argument("--boxes", action="store_true", help="list every disagreeing object too")
    agreement.add_argument("--json", action="store_true", help="print JSON")
    agreement.set_defaults(handler=run_agreement)

    signoff = subparsers.add_parser(
        "signoff", help="a reviewer signs frames off; without --frames, the report"
    )
    signoff.add_argument("directory", type=Path, help="the project directory")
    signoff.add_argument("--frames", metavar="SEL", help="the frames to sign off (or with --revoke)")
    signoff.add_argument(
        "--reviewer", metavar="NAME", help="who signs (default: $ANNOTATOR_USER, else login)"
    )
    signoff.add_argument("--revoke", action="store_true", help="withdraw the frames' sign-off")
    signoff.add_argument("--json", action="store_true", help="print the report as JSON")
    signoff.set_defaults(handler=run_signoff)


def _add_agreement_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--frames", metavar="SEL", help="frames: 0-9,15,20-, names, or all (default)")
    parser.add_argument(
        "--between", nargs=2, metavar="NAME", help="the two annotators (default: each frame's two)"
    )
    parser.add_argument("--iou", choices=sorted(MEASURES), default="bev", help="IoU in bird's-eye view or 3D")
    parser.add_argument(
        "--threshold", type=float, default=DEFAULT_THRESHOLD, metavar="T", help="IoU for a box to agree (0.5)"
    )


def _read_project(directory: Path) -> Project:
    from annotator.cli.plugin_args import check_project
    from annotator.io.store import ProjectStore

    check_project(directory)
    store = ProjectStore.open(directory.absolute(), read_only=True)
    try:
        return store.load()
    finally:
        store.close()


def _frames(project: Project, selection: str | None) -> list[Frame]:
    from annotator.cli.plugin_args import chosen_frames

    return chosen_frames(project, selection)


# -- assign --------------------------------------------------------------------------------------------
def run_assign(args: argparse.Namespace) -> int:
    """``annotator assign DIR --frames SEL --to NAME...`` (or ``--clear``); without either, the list."""
    from annotator.core.teamwork import AssignFrames, assignees

    if args.to is None and not args.clear:
        project = _read_project(args.directory)
        rows = [{"frame": f.name, "assignees": assignees(f)} for f in _frames(project, args.frames)]
        if args.json:
            print(json.dumps(rows, indent=1))
        else:
            for row in rows:
                print(f"{row['frame']:<16} {', '.join(row['assignees']) or '-'}")
        return 0
    if not args.frames:
        raise AnnotatorError("say which frames with --frames (e.g. --frames 0-9 or --frames all)")
    people = [checked_name(name) for name in args.to or []]
    from annotator.cli.plugin_args import check_project
    from annotator.io.workspace import Workspace

    check_project(args.directory)
    with Workspace.open(args.directory) as workspace:
        frames = _frames(workspace.project, args.frames)
        command = workspace.push(AssignFrames([f.id for f in frames], people))
    who = ", ".join(people) if people else "nobody"
    print(f"assigned {len(frames)} frames to {who} ({len(command.changed)} changed)")
    return 0


# -- agreement -----------------------------------------------------------------------------------------
def _agreement_row(result: FrameAgreement) -> dict[str, Any]:
    from annotator.core.teamwork import signoff

    counts = result.counts()
    sign = signoff(result.frame)
    return {
        "frame": result.frame.name,
        "first": result.first,
        "second": result.second,
        "objects": result.objects,
        "agreed": result.agreed,
        "class_differs": counts["class"],
        "low_iou": counts["overlap"],
        "only_first": counts["only_first"],
        "only_second": counts["only_second"],
        "mean_iou": round(result.mean_iou, 4),
        "score": round(result.score, 4),
        "signed_off_by": sign["reviewer"] if sign else None,
    }


def _box_rows(result: FrameAgreement) -> list[dict[str, Any]]:
    rows = []
    for box in result.disagreements():
        rows.append(
            {
                "frame": result.frame.name,
                "ids": list(box.ids),
                "classes": [a.class_name if a is not None else None for a in (box.first, box.second)],
                "iou": round(box.iou, 4),
            }
        )
    return rows


def run_agreement(args: argparse.Namespace) -> int:
    """``annotator agreement DIR``: one row per frame two people annotated, then the overall figures."""
    if not 0.0 < args.threshold <= 1.0:
        raise AnnotatorError(f"--threshold must be in (0, 1], got {args.threshold:g}")
    project = _read_project(args.directory)
    first, second = (checked_name(n) for n in args.between) if args.between else (None, None)
    frames = _frames(project, args.frames)
    results = project_agreement(project, frames, first, second, args.iou, args.threshold)
    rows = [_agreement_row(r) for r in results]
    objects = sum(r.objects for r in results)
    agreed = sum(r.agreed for r in results)
    score = sum(r.score * r.objects for r in results) / objects if objects else None
    if args.json:
        payload: dict[str, Any] = {"iou": args.iou, "threshold": args.threshold, "frames": rows}
        payload["total"] = {"frames": len(rows), "objects": objects, "agreed": agreed, "score": score}
        if args.boxes:
            payload["disagreements"] = [b for r in results for b in _box_rows(r)]
        print(json.dumps(payload, indent=1))
        return 0
    if not results:
        print("no frame was annotated by two people (see 'annotator import --author' and 'annotator assign')")
        return 0
    print(f"{'frame':<12} {'annotators':<20} {'objects':>7} {'agreed':>6} {'class':>5} {'low-iou':>7} "
          f"{'only-1':>6} {'only-2':>6} {'mean-iou':>8} {'score':>6}  signed off")  # fmt: skip
    for row in rows:
        pair = f"{row['first']} / {row['second']}"
        print(f"{row['frame']:<12} {pair:<20} {row['objects']:>7} {row['agreed']:>6} {row['class_differs']:>5} "
              f"{row['low_iou']:>7} {row['only_first']:>6} {row['only_second']:>6} {row['mean_iou']:>8.3f} "
              f"{row['score']:>6.3f}  {row['signed_off_by'] or '-'}")  # fmt: skip
        if args.boxes:
            for box in _box_rows(next(r for r in results if r.frame.name == row["frame"])):
                classes = " vs ".join(c or "(none)" for c in box["classes"])
                print(f"    ids {','.join(map(str, box['ids'])):<12} {classes:<24} iou {box['iou']:.3f}")
    print(f"total        {len(rows)} frames, {objects} objects, {agreed} agreed "
          f"({args.iou} IoU >= {args.threshold:g} and same class), score {score or 0.0:.3f}")  # fmt: skip
    return 0


# -- sign-off ------------------------------------------------------------------------------------------
def run_signoff(args: argparse.Namespace) -> int:
    """``annotator signoff DIR --frames SEL`` signs (or ``--revoke``s); without ``--frames``, the report."""
    if args.frames is None:
        if args.revoke:
            raise AnnotatorError("say which frames to revoke with --frames")
        return _report(args)
    from annotator.cli.plugin_args import check_project
    from annotator.core.agreement import frame_agreement
    from annotator.core.teamwork import RevokeSignOff, SignOffFrames
    from annotator.io.identity import current_user
    from annotator.io.workspace import Workspace

    reviewer = checked_name(args.reviewer if args.reviewer is not None else current_user())
    check_project(args.directory)
    with Workspace.open(args.directory) as workspace:
        project = workspace.project
        frames = _frames(project, args.frames)
        ids = [f.id for f in frames]
        if args.revoke:
            command = workspace.push(RevokeSignOff(ids))
            print(f"revoked the sign-off of {len(command.changed)} of {len(ids)} frames")
            return 0
        scores = {}
        for frame in frames:
            result = frame_agreement(project, frame)
            if result is not None:
                scores[frame.id] = result.score
        at = datetime.now(UTC).isoformat(timespec="seconds")
        workspace.push(SignOffFrames(ids, reviewer, at, scores))
    print(f"signed off {len(ids)} frames as {reviewer} at {at}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from annotator.core.agreement import frame_agreement
    from annotator.core.teamwork import assignees, signoff

    project = _read_project(args.directory)
    rows = []
    for frame in select_frames(project.frames_in_order(), None):
        sign = signoff(frame)
        result = frame_agreement(project, frame)
        rows.append(
            {
                "frame": frame.name,
                "assignees": assignees(frame),
                "agreement": round(result.score, 4) if result is not None else None,
                "reviewer": sign["reviewer"] if sign else None,
                "at": sign["at"] if sign else None,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'frame':<12} {'assigned to':<20} {'agreement':>9}  signed off")
    for row in rows:
        score = f"{row['agreement']:.3f}" if row["agreement"] is not None else "-"
        signed = f"{row['reviewer']} {row['at']}" if row["reviewer"] else "-"
        print(f"{row['frame']:<12} {', '.join(row['assignees']) or '-':<20} {score:>9}  {signed}")
    done = sum(1 for row in rows if row["reviewer"])
    print(f"signed off   {done} of {len(rows)} frames")
    return 0
