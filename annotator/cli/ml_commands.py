"""Sub-commands for model plugins: ``plugins``, ``preannotate`` (preannotate_command) and ``train`` (train_command)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from annotator.cli import preannotate_command, train_command
from annotator.core.errors import AnnotatorError
from annotator.ml.registry import PluginRegistry

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the plugin sub-commands."""
    plugins = subparsers.add_parser("plugins", help="list model plugins (id, task, framework, status)")
    plugins.add_argument("--json", action="store_true", help="print JSON instead of a table")
    plugins.add_argument(
        "--project",
        type=Path,
        metavar="DIR",
        help="mark this project's default 3D plugin (else the built-in one)",
    )
    plugins.add_argument(
        "--set-default",
        metavar="ID",
        help="make ID the default 3D plugin of --project DIR (a project setting)",
    )
    plugins.set_defaults(handler=run_plugins)
    preannotate_command.register(subparsers)
    train_command.register(subparsers)


def run_plugins(args: argparse.Namespace) -> int:
    """``annotator plugins``: every discovered plugin, with the reason when one is unavailable; the default
    3D plugin (the project's with ``--project``) is marked; the model card of shipped weights follows."""
    from annotator.ml.defaults import project_default_plugin
    from annotator.ml.shipped import card_lines, model_card

    registry = args.plugins
    if args.set_default:
        _set_default(args, registry)
    default = project_default_plugin(args.project)
    rows = []
    for entry in registry.entries():
        manifest = entry.manifest
        rows.append(
            {
                "id": entry.id,
                "task": manifest.task if manifest else "?",
                "framework": manifest.framework if manifest else "?",
                "version": manifest.version if manifest else "?",
                "status": "available" if entry.available else f"unavailable: {entry.reason}",
                "origin": entry.origin,
                "default": entry.id == default,
                "weights_card": model_card(manifest) if manifest else None,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no plugins found")
        return 0
    widths = {
        key: max(len(key), *(len(str(r[key])) for r in rows))
        for key in ("id", "task", "framework", "version")
    }
    header = "  " + "  ".join(key.ljust(widths[key]) for key in widths) + "  status"
    print(header)
    for row in rows:
        mark = "* " if row["default"] else "  "
        print(mark + "  ".join(str(row[key]).ljust(widths[key]) for key in widths) + "  " + row["status"])
    print(f"* default 3D plugin (used when --plugin is left out): {default}")
    for row in rows:
        if row["weights_card"]:
            print(f"\n{row['id']} ships base weights (used when a project has none of its own):")
            print("\n".join(f"  {line}" for line in card_lines(row["weights_card"])))
    return 0


def _set_default(args: argparse.Namespace, registry: PluginRegistry) -> None:
    """Store ``--set-default`` as the project's default 3D plugin (one undoable step)."""
    from annotator.cli.plugin_args import check_project
    from annotator.core.edits import SetSetting
    from annotator.io.workspace import Workspace
    from annotator.ml.defaults import DEFAULT_PLUGIN_SETTING, checked_default

    if args.project is None:
        raise AnnotatorError("--set-default needs --project DIR")
    check_project(args.project)
    plugin_id = checked_default(registry, args.set_default)
    with Workspace.open(args.project.absolute()) as workspace:
        workspace.push(SetSetting(DEFAULT_PLUGIN_SETTING, plugin_id))
    print(
        f"{args.project}: default 3D plugin is now {plugin_id}", file=sys.stderr if args.json else sys.stdout
    )
