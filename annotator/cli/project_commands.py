"""Sub-commands that create, inspect and open projects: new, info, add-frames, open."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from annotator.core.edits import AddFrames
from annotator.core.errors import AnnotatorError
from annotator.core.model.commands import FunctionCommand
from annotator.core.model.project import Project
from annotator.io.frames import frames_from_files
from annotator.io.pg.url import join_project_url
from annotator.io.store_api import (
    Location,
    SharedStore,
    Store,
    create_store,
    is_shared_location,
    open_store,
    project_location,
)
from annotator.io.workspace import Workspace

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the project sub-commands."""
    new = subparsers.add_parser("new", help="create an empty project (a directory, or in a shared database)")
    new.add_argument(
        "directory", type=project_location, help="a directory, or postgresql://HOST/DATABASE/PROJECT"
    )
    new.add_argument(
        "--store",
        metavar="URL",
        help="create it in this PostgreSQL database (postgresql://HOST/DATABASE), named after DIRECTORY, "
        "whose frame paths then resolve in DIRECTORY",
    )
    new.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="DIR",
        help="copy this project's frames and labels into it",
    )
    new.set_defaults(handler=run_new)

    info = subparsers.add_parser("info", help="summarise a project: frames, objects, annotations")
    info.add_argument("directory", type=project_location, help="a directory or a postgresql:// project URL")
    info.add_argument("--json", action="store_true", help="print JSON instead of text")
    info.set_defaults(handler=run_info)

    add = subparsers.add_parser("add-frames", help="register point clouds and images as frames")
    add.add_argument("directory", type=project_location, help="a directory or a postgresql:// project URL")
    add.add_argument("files", type=Path, nargs="+", help="point clouds (.bin .pcd .ply ...) and images")
    add.add_argument("--camera", default="image", help="camera name for the images (default: image)")
    add.set_defaults(handler=run_add_frames)

    open_ = subparsers.add_parser("open", help="open a project in the application (the default command)")
    open_.add_argument("directory", type=project_location, nargs="?", help="a directory or a project URL")
    open_.set_defaults(handler=run_open)


def run_new(args: argparse.Namespace) -> int:
    """``annotator new DIR [--store URL]`` or ``annotator new postgresql://HOST/DATABASE/PROJECT``."""
    location, data_root = args.directory, None
    if args.store:
        if not is_shared_location(args.store) or is_shared_location(location):
            raise AnnotatorError("--store takes postgresql://HOST/DATABASE and a project DIRECTORY")
        data_root = Path(location).absolute()
        data_root.mkdir(parents=True, exist_ok=True)
        location = join_project_url(args.store, data_root.name)
    if args.source is not None:
        data_root = data_root or args.source.absolute()
    create_store(location, data_root=data_root).close()
    where = f" (frame paths resolve in {data_root or Path.cwd()})" if is_shared_location(location) else ""
    print(f"created project {location}{where}")
    if args.source is not None:
        print(f"copied {copy_project(args.source, location)} records from {args.source}")
    return 0


def project_summary(store: Store) -> dict[str, Any]:
    """Counts of a project's frames, tracks and annotations (by kind, class, source and review)."""
    return {
        "project": str(store.location if isinstance(store, SharedStore) else store.root),
        "frames": store.count("frames"),
        "frames_by_status": store.frame_statuses(),
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
    store = open_store(args.directory, read_only=True)
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
    from annotator.qt.app.launch import run_application

    return run_application(args.directory, args.plugins)


def copy_project(source: Path, location: Location) -> int:
    """Copy every record of the project in ``source`` into the (empty) project at ``location`` as one
    undoable step; the number of records copied."""
    with Workspace.open(source) as origin:
        records = list(origin.project.records())

    def put_all(project: Project) -> None:
        for kind, key, value in records:
            project.put(kind, key, value)

    with Workspace.open(location) as target:
        target.push(FunctionCommand(f"Copy project {source.name}", put_all))
    return len(records)
