"""Sub-commands for model plugins: ``plugins``, ``preannotate`` (preannotate_command) and ``train`` (train_command)."""

from __future__ import annotations

import argparse
import json
import logging

from annotator.cli import preannotate_command, train_command
from annotator.ml.registry import PluginRegistry

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the plugin sub-commands."""
    plugins = subparsers.add_parser("plugins", help="list model plugins (id, task, framework, status)")
    plugins.add_argument("--json", action="store_true", help="print JSON instead of a table")
    plugins.set_defaults(handler=run_plugins)
    preannotate_command.register(subparsers)
    train_command.register(subparsers)


def run_plugins(args: argparse.Namespace) -> int:
    """``annotator plugins``: every discovered plugin, with the reason when one is unavailable."""
    rows = []
    for entry in PluginRegistry.discover().entries():
        manifest = entry.manifest
        rows.append(
            {
                "id": entry.id,
                "task": manifest.task if manifest else "?",
                "framework": manifest.framework if manifest else "?",
                "version": manifest.version if manifest else "?",
                "status": "available" if entry.available else f"unavailable: {entry.reason}",
                "origin": entry.origin,
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
    header = "  ".join(key.ljust(widths[key]) for key in widths) + "  status"
    print(header)
    for row in rows:
        print("  ".join(str(row[key]).ljust(widths[key]) for key in widths) + "  " + row["status"])
    return 0
