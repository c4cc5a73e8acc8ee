"""Sub-commands that move labels in and out of projects: formats, import, export.

Exit codes: 0 when everything was done, 1 when nothing was (an error, one line on stderr), and
`EXIT_PARTIAL` (3) when the work was done but some objects or frames were skipped; each skipped one is
reported on stderr as its own ``annotator: error:`` line.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.cli.progress import Progress
from annotator.cli.ray_args import add_ray_arguments, ray_note, ray_settings
from annotator.cli.team_commands import checked_name
from annotator.core.errors import AnnotatorError
from annotator.io.formats import available_formats
from annotator.io.store import DATABASE_NAME, is_project
from annotator.io.store_api import is_shared_location, open_store, project_location

if TYPE_CHECKING:
    from annotator.io.formats.export import FrameRenderer
    from annotator.ml.ray_batch import RaySettings

logger = logging.getLogger(__name__)

#: Exit code of an import or export that was done but skipped some objects or frames.
EXIT_PARTIAL = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the formats, import and export sub-commands."""
    formats = subparsers.add_parser("formats", help="list label formats and what each carries")
    formats.add_argument("--json", action="store_true", help="print JSON instead of a table")
    formats.set_defaults(handler=run_formats)

    imp = subparsers.add_parser(
        "import", help="import a dataset or label files into a project (created when it does not exist)"
    )
    imp.add_argument("directory", type=Path, help="the project directory")
    imp.add_argument("source", type=Path, help="the dataset folder or label file")
    _add_format_options(imp)
    imp.add_argument(
        "--strict", action="store_true", help="import nothing when any object is malformed (default: skip it)"
    )
    imp.add_argument(
        "--author", metavar="NAME", help="the labels are this person's (kept beside other people's labels)"
    )
    imp.set_defaults(handler=run_import)

    exp = subparsers.add_parser("export", help="write a project's labels in a label format")
    exp.add_argument("directory", type=project_location, help="the project directory or postgresql:// URL")
    exp.add_argument("--out", type=Path, required=True, help="output folder (created if missing)")
    _add_format_options(exp)
    exp.add_argument("--frames", metavar="SEL", help="frames to export: 0-9,15,20-, names, or all (default)")
    exp.add_argument(
        "--classes", nargs="+", metavar="CLASS", help="export only these classes (space or comma separated)"
    )
    unreviewed = exp.add_mutually_exclusive_group()
    unreviewed.add_argument(
        "--include-unreviewed",
        dest="include_unreviewed",
        action="store_const",
        const=True,
        help="write unreviewed proposals too (default: 2D boxes left out, cuboids written)",
    )
    unreviewed.add_argument(
        "--reviewed-only",
        dest="include_unreviewed",
        action="store_const",
        const=False,
        help="leave out every unreviewed proposal, cuboids too",
    )
    exp.add_argument("--no-progress", action="store_true", help="do not show the progress bar")
    add_ray_arguments(exp)
    exp.set_defaults(handler=run_export)


def _add_format_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        "-f",
        dest="format_id",
        required=True,
        metavar="F",
        help="format id (see 'annotator formats')",
    )
    parser.add_argument(
        "--camera", help="camera name (2D formats: of the images; kitti export: which calibration)"
    )
    parser.add_argument("--variant", help="format variant (labelcloud: centroid_rel, centroid_abs, vertices)")
    parser.add_argument(
        "--option",
        "-o",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="format option (e.g. calib=synthetic)",
    )


def _options(args: argparse.Namespace) -> dict[str, str]:
    options: dict[str, str] = {}
    for item in args.option:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise AnnotatorError(f"option {item!r} is not KEY=VALUE")
        options[key.strip()] = value.strip()
    for key in ("camera", "variant"):
        if getattr(args, key, None):
            options[key] = getattr(args, key)
    return options


def _report_problems(problems: list[object]) -> None:
    for problem in problems:
        print(f"annotator: error: {problem}", file=sys.stderr)


def _format_counts(counts: Counter[str]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items())) or "none"


# -- formats -------------------------------------------------------------------------------------------
def run_formats(args: argparse.Namespace) -> int:
    """``annotator formats``: every format, what it carries, import/export, its files."""
    rows = [
        {
            "id": f.id,
            "title": f.title,
            "carries": list(f.kinds),
            "import": f.can_import,
            "export": f.can_export,
            "variants": list(f.variants),
            "layout": f.layout,
        }
        for f in available_formats()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    carries = {"cuboid": "cuboids", "box2d": "2D boxes"}
    print(f"{'id':<11} {'carries':<19} {'import':<7} {'export':<7} files")
    for row in rows:
        kinds = " + ".join(carries[k] for k in row["carries"]) or "frames only"
        yes = {True: "yes", False: "-"}
        print(f"{row['id']:<11} {kinds:<19} {yes[row['import']]:<7} {yes[row['export']]:<7} {row['layout']}")
    return 0


# -- import --------------------------------------------------------------------------------------------
def run_import(args: argparse.Namespace) -> int:
    """``annotator import DIR SOURCE --format F``: parse everything, then add it in one undoable step."""
    from annotator.io.importers import apply_dataset, read_source
    from annotator.io.workspace import Workspace

    author = checked_name(args.author) if args.author is not None else None
    dataset = read_source(args.format_id, args.source, _options(args))
    if dataset.problems and args.strict:
        _report_problems(dataset.problems[1:])
        raise AnnotatorError(f"{dataset.problems[0]} (--strict: nothing imported)")
    created = not is_project(args.directory)
    if created and args.directory.exists() and not args.directory.is_dir():
        raise AnnotatorError(f"{args.directory}: exists and is not a directory")
    fresh_directory = created and not args.directory.exists()
    try:
        workspace = Workspace.create(args.directory) if created else Workspace.open(args.directory)
        with workspace:
            report = apply_dataset(workspace, dataset, author)
    except BaseException:
        if fresh_directory:  # leave no half-made project behind
            shutil.rmtree(args.directory, ignore_errors=True)
        elif created:
            for path in args.directory.glob(f"{DATABASE_NAME}*"):
                path.unlink(missing_ok=True)
        raise
    _report_problems(report.problems)
    action = "created" if created else "updated"
    print(f"{action} project {args.directory}: {report.label}")
    print(f"frames      {report.frames_added} added, {report.frames_updated} already there")
    print(
        f"objects     {report.objects} ({_format_counts(report.objects_by_class)}) in {report.tracks} new tracks"
    )
    if report.objects_updated or report.objects_unchanged:
        print(
            f"matched     {report.objects_added} added, {report.objects_updated} updated, "
            f"{report.objects_unchanged} unchanged (already imported)"
        )
    if report.classes_added:
        print(f"classes     added {', '.join(report.classes_added)}")
    if report.problems:
        print(f"skipped     {len(report.problems)} malformed objects (see the errors above)")
        return EXIT_PARTIAL
    return 0


# -- export --------------------------------------------------------------------------------------------
def run_export(args: argparse.Namespace) -> int:
    """``annotator export DIR --format F --out OUT``: a progress bar, then a summary; bad frames skipped."""
    from annotator.io.formats.export import export_project

    classes = [c for item in args.classes or [] for c in item.split(",") if c.strip()]
    options = _options(args)
    ray = ray_settings(args)
    location = args.directory if is_shared_location(args.directory) else args.directory.absolute()
    store = open_store(location, read_only=True)  # read-only needs an absolute path
    try:
        project = store.load()
    finally:
        store.close()
    with Progress(0, f"export {args.format_id}", enabled=not args.no_progress) as progress:
        report = export_project(
            project,
            args.format_id,
            args.out,
            args.frames,
            classes or None,
            options,
            lambda done, total, name: progress.update(done, name, total),
            args.include_unreviewed,
            _ray_renderer(ray),
        )
    _report_problems([f"frame {name}: {reason}" for name, reason in report.skipped])
    print(f"exported    {report.frames} frames as {report.format_id} to {report.out}{ray_note(ray)}")
    print(f"objects     {report.objects} ({_format_counts(report.objects_by_class)})")
    print(
        f"unreviewed  {report.unreviewed_text()}"
        + (" (--include-unreviewed writes them)" if report.unreviewed_left_out else "")
    )
    if report.skipped:
        print(f"skipped     {len(report.skipped)} frames (see the errors above)")
        return EXIT_PARTIAL
    return 0


def _ray_renderer(settings: RaySettings | None) -> FrameRenderer | None:
    """Frames rendered on Ray with ``--ray`` (Ray imported only then), else here."""
    if settings is None:
        return None
    from annotator.ml.ray_export import ray_renderer

    return ray_renderer(settings)
