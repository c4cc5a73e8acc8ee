"""The project's default 3D plugin: what ``preannotate``, ``score``, ``simulate`` and ``finetune`` use when
no ``--plugin`` is given.

The built-in default is the model-free ``geometric`` detector (it needs no weights, so it works on any
project); a project changes it with its ``default_plugin_3d`` setting (`annotator plugins --project DIR
--set-default ID`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from annotator.io.store import ProjectStore, is_project
from annotator.ml.registry import PluginError, PluginRegistry

logger = logging.getLogger(__name__)

#: The project setting naming the default 3D plugin.
DEFAULT_PLUGIN_SETTING = "default_plugin_3d"
#: The default when a project does not name one.
BUILTIN_DEFAULT_3D = "geometric"


def project_default_plugin(directory: Path | str | None) -> str:
    """The default 3D plugin of the project in ``directory`` (the built-in one without a project or setting)."""
    if directory is None or not is_project(directory):
        return BUILTIN_DEFAULT_3D
    store = ProjectStore.open(directory, read_only=True)
    try:
        value = store.setting(DEFAULT_PLUGIN_SETTING)
    finally:
        store.close()
    return str(value) if value else BUILTIN_DEFAULT_3D


def checked_default(registry: PluginRegistry, plugin_id: str) -> str:
    """``plugin_id`` when the registry has it as a 3D plugin; a `PluginError` otherwise."""
    manifest = registry.manifest(plugin_id)
    if manifest.task != "detect3d":
        raise PluginError(f"plugin {plugin_id} is {manifest.task}; the default plugin must be detect3d")
    return plugin_id
