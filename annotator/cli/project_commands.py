"""Sub-commands that create, inspect and open projects: new, info, add-frames, open."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from annotator.core.edits import AddFrames
from annotator.io.frames import frames_from_files
from annotator.io.store import ProjectStore
from annotator.io.workspace import Workspace

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the project sub-commands."""
    new = subparsers.add_parser("new", help="create an empty project directory")
    new.add_argument("directory", type=Path)
    new.set_defaults(handler=run_new)

    info = subparsers.add_parser("info", help="summarise a project: frames, objects, annotations")
    info.add_argument("directory", type=Path)
    info.add_argument("--json", action="store_true", help="print JSON instead of text")
    info.set_defaults(handler=run_info)

    add = subparsers.add_parser("add-frames", help="register point clouds and images as frames")
    add.add_argument("directory", type=Path)
    add.add_argument("files", type=Path, nargs="+", help="point clouds (.bin .pcd .ply ...) and images")
    add.add_argument("--camera", default="image", help="camera name for the images (default: image)")
    add.set_defaults(handler=run_add_frames)

    open_ = subparsers.add_parser("open", help="open a project in the application (the default command)")
    open_.add_argument("directory", type=Path, nargs="?")
    open_.set_defaults(handler=run_open)


def run_new(args: argparse.Namespace) -> int:
    """``annotator new DIR``."""
    ProjectStore.create(args.directory).close()
    print(f"created project {args.directory}")
    return 0


def project_summary(store: ProjectStore) -> dict[str, Any]:
    """Counts of a project's frames, tracks and annotations (by kind, class, source and review)."""
    frame_status: dict[str, int] = {}
    for (data,) in store.db.execute("SELECT data FROM frames"):
        status = json.loads(data).get("status", "new")
        frame_status[status] = frame_status.get(status, 0) + 1
    return {
        "project": str(store.root),
        "frames": store.count("frames"),
        "frames_by_status": frame_status,
        "objects": store.count("tracks"),
        "annotations": store.count("annotations"),
        "annotations_by_kind": store.count_by("kind"),
        "annotations_by_class": store.count_by("class_name"),
        "annotations_by_source": store.count_by("source"),
        "annotations_by_review": store.count_by("review"),
    }


def _format_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items())) or "none"


def run_info(args: argparse.Namespace) -> int:
    """``annotator info DIR``: readable while the application writes the project."""
    store = ProjectStore.open(args.directory, read_only=True)
    try:
        summary = project_summary(store)
    finally:
        store.close()
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"project      {summary['project']}")
    print(f"frames       {summary['frames']} ({_format_counts(summary['frames_by_status'])})")
    print(f"objects      {summary['objects']}")
    print(f"annotations  {summary['annotations']} ({_format_counts(summary['annotations_by_kind'])})")
    print(f"  by class   {_format_counts(summary['annotations_by_class'])}")
    print(f"  by source  {_format_counts(summary['annotations_by_source'])}")
    print(f"  by review  {_format_counts(summary['annotations_by_review'])}")
    return 0


def run_add_frames(args: argparse.Namespace) -> int:
    """``annotator add-frames DIR FILE...``."""
    with Workspace.open(args.directory) as workspace:
        frames = frames_from_files(workspace.project, args.files, camera=args.camera)
        command = workspace.push(AddFrames(frames))
        print(f"added {len(command.ids)} frames to {args.directory}")
    return 0


def run_open(args: argparse.Namespace) -> int:
    """``annotator [open] [DIR]``: start the application (Qt is imported only here)."""
    from annotator.qt.app import run_application

    return run_application(args.directory, args.plugins)
