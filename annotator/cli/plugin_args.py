"""Arguments shared by the sub-commands that run a plugin on a project (preannotate, train)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from annotator.cli.io_commands import EXIT_PARTIAL
from annotator.core.errors import AnnotatorError
from annotator.core.model.project import Project
from annotator.core.model.records import Frame
from annotator.core.selection import SelectionError, select_frames
from annotator.io.store import is_project
from annotator.io.store_api import Location, is_shared_location, project_location
from annotator.ml.frame_runs import FrameRunSummary
from annotator.ml.plugin_process import DEFAULT_FRAME_TIMEOUT

logger = logging.getLogger(__name__)


def add_plugin_arguments(parser: argparse.ArgumentParser, shared: bool = False) -> None:
    """The project, ``--plugin``, ``--frames``, ``--param`` and ``--no-progress`` (``shared``: the
    project may also be a postgresql:// URL)."""
    if shared:
        parser.add_argument(
            "directory", type=project_location, help="the project directory or postgresql:// URL"
        )
    else:
        parser.add_argument("directory", type=Path, help="the project directory")
    add_plugin_option(parser)
    parser.add_argument("--frames", metavar="SEL", help="frames: 0-9,15,20-, names, or all (default)")
    add_param_argument(parser)
    parser.add_argument("--no-progress", action="store_true", help="do not show the progress bar")


def add_plugin_option(parser: argparse.ArgumentParser) -> None:
    """``--plugin ID``, optional: `resolve_plugin` fills in the project's default 3D plugin."""
    parser.add_argument(
        "--plugin",
        metavar="ID",
        help="plugin id (default: the project's default 3D plugin, see 'annotator plugins')",
    )


def resolve_plugin(args: argparse.Namespace) -> str:
    """``args.plugin``, or the default 3D plugin of the project ``args.directory``; stored back in ``args``."""
    from annotator.ml.defaults import project_default_plugin

    if not args.plugin:
        args.plugin = project_default_plugin(args.directory)
        logger.info("using the default plugin %s", args.plugin)
    return args.plugin


def add_isolation_arguments(parser: argparse.ArgumentParser) -> None:
    """``--frame-timeout S`` and ``--in-process``: how a batch run guards against a faulty plugin."""
    parser.add_argument(
        "--frame-timeout", type=float, default=DEFAULT_FRAME_TIMEOUT, metavar="S",
        help=f"the plugin runs in a child process; a frame taking longer than S seconds (default "
        f"{DEFAULT_FRAME_TIMEOUT:g}), crashing or exiting is reported as failed (exit code 3)",
    )  # fmt: skip
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the plugin in this process (no timeout, no crash guard)",
    )


def frame_timeout(args: argparse.Namespace) -> float | None:
    """The per-frame timeout the arguments ask for (None: run the plugin in this process)."""
    if args.in_process:
        return None
    if not args.frame_timeout > 0:
        raise AnnotatorError(f"--frame-timeout must be positive, got {args.frame_timeout:g}")
    return float(args.frame_timeout)


def add_param_argument(
    parser: argparse.ArgumentParser,
    help: str = "a plugin parameter (repeatable; names and types as the plugin's manifest declares them)",
) -> None:
    """``--param/-p NAME=VALUE`` (repeatable), read with `plugin_params`."""
    parser.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE", help=help)


def plugin_params(items: list[str]) -> dict[str, Any]:
    """``NAME=VALUE`` strings as a dict (the plugin's manifest converts and checks the values)."""
    params: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise AnnotatorError(f"plugin parameter {item!r} is not NAME=VALUE")
        params[name.strip()] = value.strip()
    return params


def check_project(directory: Location) -> None:
    """A clear error when ``directory`` holds no project (a shared project is checked on open)."""
    if not is_shared_location(directory) and not is_project(directory):
        raise AnnotatorError(f"{directory}: not a project (no annotator.sqlite; see 'annotator new')")


def chosen_frames(project: Project, selection: str | None) -> list[Frame]:
    """The frames ``selection`` picks; an error when it picks none."""
    frames = select_frames(project.frames_in_order(), selection)
    if not frames:
        raise SelectionError(
            f"frame selection {selection!r} picks no frame" if selection else "the project has no frames"
        )
    return frames


def print_failures(failures: list[str]) -> None:
    """One error line per skipped frame, on stderr."""
    for failure in failures:
        print(f"annotator: error: {failure}", file=sys.stderr)


def run_exit_code(summary: FrameRunSummary) -> int:
    """0 when every frame was done; else a line on the skipped frames and 3 (some done) or 1 (none)."""
    if not summary.failures:
        return 0
    print(f"skipped     {len(summary.failures)} frames (see the errors above)")
    return EXIT_PARTIAL if summary.frames_done else 1
