"""Finding plugins (entry points and drop-in folders) and loading their code on first use.

Discovery reads manifests only: an entry point in the group ``annotator.plugins`` names a light object
(a dict or `PluginManifest`, e.g. ``plugins.geometric:MANIFEST``), and a drop-in folder holds one
sub-folder per plugin with a ``manifest.json``. A plugin whose manifest cannot be read, or whose framework
is not installed, is listed as unavailable with the reason; it never breaks discovery.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import os
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from annotator.ml.manifest import FRAMEWORKS, ManifestError, PluginManifest, manifest_from_dict
from annotator.ml.protocol import PluginError

logger = logging.getLogger(__name__)

__all__ = ["ENTRY_POINT_GROUP", "PluginEntry", "PluginError", "PluginRegistry", "default_dropin_folders"]

ENTRY_POINT_GROUP = "annotator.plugins"
#: Extra drop-in folders, separated like PATH (used by tests and by users with several folders).
PLUGIN_PATH_VARIABLE = "ANNOTATOR_PLUGIN_PATH"


@dataclass(frozen=True)
class PluginEntry:
    """One discovered plugin: its manifest (None when unreadable), where it came from, and availability."""

    id: str
    origin: str
    manifest: PluginManifest | None
    reason: str | None = None

    @property
    def available(self) -> bool:
        """True when the plugin can be loaded."""
        return self.manifest is not None and self.reason is None


def default_dropin_folders() -> list[Path]:
    """The user's drop-in plugin folder plus any in ``$ANNOTATOR_PLUGIN_PATH``."""
    from platformdirs import user_config_dir

    folders = [Path(p) for p in os.environ.get(PLUGIN_PATH_VARIABLE, "").split(os.pathsep) if p]
    folders.append(Path(user_config_dir("annotator")) / "plugins")
    return folders


def _framework_problem(manifest: PluginManifest) -> str | None:
    module = FRAMEWORKS[manifest.framework]
    if importlib.util.find_spec(module) is None:
        return f"framework {manifest.framework} is not installed (pip install {module})"
    return None


def _entry(plugin_id: str, origin: str, load_manifest) -> PluginEntry:
    try:
        raw = load_manifest()
        manifest = raw if isinstance(raw, PluginManifest) else manifest_from_dict(raw, origin)
    except ManifestError as error:
        return PluginEntry(plugin_id, origin, None, str(error))
    except Exception as error:  # a broken plugin must never break discovery
        return PluginEntry(plugin_id, origin, None, f"cannot read manifest: {type(error).__name__}: {error}")
    return PluginEntry(manifest.id, origin, manifest, _framework_problem(manifest))


def _entry_point_entries() -> Iterable[PluginEntry]:
    for point in entry_points(group=ENTRY_POINT_GROUP):
        yield _entry(point.name, f"entry point {point.value}", point.load)


def _dropin_entries(folders: Sequence[Path]) -> Iterable[PluginEntry]:
    for folder in folders:
        if not folder.is_dir():
            continue
        for manifest_path in sorted(folder.glob("*/manifest.json")):

            def read(path: Path = manifest_path) -> dict[str, Any]:
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                except json.JSONDecodeError as error:
                    raise ManifestError(f"{path}: not valid JSON ({error})") from None
                if isinstance(data, dict):  # a package folder (a plugin's source tree) imports from above
                    package = (path.parent / "__init__.py").is_file()
                    data.setdefault("search_path", str(path.parent.parent if package else path.parent))
                return data

            yield _entry(manifest_path.parent.name, str(manifest_path), read)


def discovered_entries(
    dropin_folders: Sequence[Path] | None = None, entry_points_too: bool = True
) -> list[PluginEntry]:
    """Plugins of installed packages' entry points (with ``entry_points_too``) and of drop-in folders (the
    default ones when ``dropin_folders`` is None)."""
    folders = default_dropin_folders() if dropin_folders is None else list(dropin_folders)
    found: list[PluginEntry] = []
    if entry_points_too:
        found.extend(_entry_point_entries())
    found.extend(_dropin_entries(folders))
    return found


class PluginRegistry:
    """A catalog of plugins; loads each plugin's code the first time it is used (one model per plugin).

    A process makes one, through `annotator.ml.host.PluginHost` at its entry point, and passes it down.
    """

    def __init__(self, entries: Iterable[PluginEntry]) -> None:
        self._entries: dict[str, PluginEntry] = {}
        for entry in entries:
            if entry.id in self._entries:
                logger.warning(
                    "plugin %s from %s shadows %s", entry.id, self._entries[entry.id].origin, entry.origin
                )
                continue
            self._entries[entry.id] = entry
        self._models: dict[str, Any] = {}
        self._loading = threading.Lock()  # jobs on several threads share the registry: one model each

    @classmethod
    def discover(
        cls, dropin_folders: Sequence[Path] | None = None, entry_points_too: bool = True
    ) -> PluginRegistry:
        """Plugins from installed packages' entry points and from drop-in folders."""
        return cls(discovered_entries(dropin_folders, entry_points_too))

    def _catalog(self) -> dict[str, PluginEntry]:
        """The entries by id (a subclass may find them on first use)."""
        return self._entries

    def entries(self) -> list[PluginEntry]:
        """Every discovered plugin, available or not, by id."""
        return sorted(self._catalog().values(), key=lambda e: e.id)

    def get(self, plugin_id: str) -> PluginEntry:
        """The entry of ``plugin_id``; raises `PluginError` naming the known ids."""
        entry = self._catalog().get(plugin_id)
        if entry is None:
            known = ", ".join(sorted(self._catalog())) or "none"
            raise PluginError(f"no plugin {plugin_id!r} (installed: {known})")
        return entry

    def manifest(self, plugin_id: str) -> PluginManifest:
        """The manifest of an available plugin."""
        entry = self.get(plugin_id)
        if not entry.available:
            raise PluginError(f"plugin {plugin_id} is unavailable: {entry.reason}")
        assert entry.manifest is not None
        return entry.manifest

    def load(self, plugin_id: str) -> Any:
        """The plugin's model object, importing its code on first use (cached afterwards; thread-safe)."""
        with self._loading:
            return self._load(plugin_id)

    def _load(self, plugin_id: str) -> Any:
        if plugin_id in self._models:
            return self._models[plugin_id]
        manifest = self.manifest(plugin_id)
        module_name, _, attribute = manifest.entry.partition(":")
        if manifest.search_path and manifest.search_path not in sys.path:
            sys.path.insert(0, manifest.search_path)
        try:
            factory = getattr(importlib.import_module(module_name), attribute)
            model = factory()
        except Exception as error:
            raise PluginError(
                f"plugin {plugin_id} failed to load: {type(error).__name__}: {error}"
            ) from error
        self._models[plugin_id] = model
        return model
