"""``annotator plugin new``: start a model plugin package of your own (see `annotator.ml.authoring`)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from annotator.ml.manifest import FRAMEWORKS, TASKS

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``plugin new``."""
    plugin = subparsers.add_parser(
        "plugin", help="plugin authoring: `plugin new NAME` writes a plugin package"
    )
    actions = plugin.add_subparsers(dest="plugin_command", metavar="ACTION", required=True)
    new = actions.add_parser(
        "new",
        help="write a ready plugin package (manifest, entry point, model, tiny trainable example, tests)",
    )
    new.add_argument("name", help="plugin id, e.g. my-detector (the package is my_detector)")
    new.add_argument("--task", choices=TASKS, default="detect3d", help="3D cuboids or 2D boxes")
    new.add_argument("--framework", choices=list(FRAMEWORKS), default="numpy", help="what the model uses")
    new.add_argument("--out", type=Path, help="folder to write (default ./NAME; must be new or empty)")
    new.set_defaults(handler=run_new)


def run_new(args: argparse.Namespace) -> int:
    """Write the package and say how to test, list and use it."""
    from annotator.ml.authoring import new_plugin, package_name

    root = new_plugin(args.name, args.task, args.framework, args.out)
    print(f"wrote plugin {args.name} ({args.task}, {args.framework}) to {root}")
    print(f"manifest    {root / package_name(args.name) / 'manifest.json'}")
    print(f"test it     python -m pytest {root / 'tests'}")
    print(f"try it      ANNOTATOR_PLUGIN_PATH={root.resolve()} annotator plugins")
    print(f"install it  pip install -e {root}")
    return 0
