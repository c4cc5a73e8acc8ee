"""The `annotator` command line. Sub-commands live in small modules; Qt is imported only by `open`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from annotator import __version__
from annotator.cli import (
    demo_commands,
    distill_command,
    ensemble_command,
    finetune_commands,
    fit_commands,
    image_commands,
    io_commands,
    lease_commands,
    ml_commands,
    plugin_commands,
    project_commands,
    propagate_command,
    reference_command,
    render_commands,
    simulate_command,
    status_command,
    team_commands,
    track_command,
    train_base_command,
    uncertainty_commands,
)
from annotator.core.errors import AnnotatorError
from annotator.ml.host import PluginHost

logger = logging.getLogger(__name__)

#: Modules that add sub-commands: each has ``register(subparsers)``.
COMMAND_MODULES = (
    project_commands,
    demo_commands,
    ml_commands,
    plugin_commands,
    io_commands,
    reference_command,
    fit_commands,
    propagate_command,
    track_command,
    image_commands,
    render_commands,
    uncertainty_commands,
    finetune_commands,
    simulate_command,
    train_base_command,
    ensemble_command,
    distill_command,
    lease_commands,
    team_commands,
    status_command,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="annotator",
        description="Annotate 3D point clouds with cuboids and camera images with 2D boxes.",
    )
    parser.add_argument("--version", action="version", version=f"annotator {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)],
        format="%(levelname)s %(name)s: %(message)s",
    )
    args.plugins = PluginHost()  # the one plugin host of this command: finds plugins on first use
    handler = getattr(args, "handler", None)
    if handler is None:  # no sub-command: start the GUI
        handler = project_commands.run_open
        args.directory = None
    for stream in (sys.stdout, sys.stderr):  # file names that are not UTF-8 print escaped, not crash
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        return int(handler(args) or 0)
    except AnnotatorError as error:
        print(f"annotator: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # a full disk, a vanished or unreadable file: one line, no traceback
        if isinstance(error, BrokenPipeError):  # output piped into head, less, ...: not an error
            return 0
        where = f"{error.filename}: " if error.filename else ""
        print(f"annotator: error: {where}{error.strerror or error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("annotator: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
