"""Weights a plugin ships inside its package, with a model card and a recorded SHA-256.

A manifest declares them as ``"base_weights": {"file": ..., "sha256": ..., "card": ...}`` (paths relative
to the plugin's package folder), optionally with ``"replay": "module:function"`` naming a `ReplaySource`. They are what pre-annotation and fine-tuning start from when a project
has no weights of its own for the plugin; the hash is checked before they are loaded, so a swapped or
damaged file is refused.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from annotator.ml.manifest import PluginManifest
from annotator.ml.protocol import LabelledFrame
from annotator.ml.registry import PluginRegistry

logger = logging.getLogger(__name__)

MANIFEST_KEY = "base_weights"
#: ``(classes, count, seed) -> labelled frames``: generated frames with their exact labels.
ReplaySource = Callable[[Sequence[str], int, int], list[LabelledFrame]]


def package_folder(manifest: PluginManifest) -> Path | None:
    """The folder of the package holding the plugin's entry module (found without importing it)."""
    module = manifest.entry.partition(":")[0]
    package = module.rpartition(".")[0] or module
    if manifest.search_path:
        candidate = Path(manifest.search_path, *package.split("."))
        return candidate if candidate.is_dir() else None
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    return Path(locations[0]) if locations else None


def _declared(manifest: PluginManifest) -> dict[str, Any] | None:
    info = manifest.extra.get(MANIFEST_KEY)
    return info if isinstance(info, dict) and info.get("file") else None


def shipped_weights(manifest: PluginManifest) -> tuple[Path, str | None] | None:
    """The plugin's shipped weights file and its recorded SHA-256, or None when it ships none (or the file
    is missing from this installation)."""
    info, folder = _declared(manifest), package_folder(manifest)
    if info is None or folder is None:
        return None
    path = folder / str(info["file"])
    if not path.is_file():
        logger.warning("%s: shipped weights %s are missing", manifest.id, path)
        return None
    return path, (str(info["sha256"]) if info.get("sha256") else None)


def model_card(manifest: PluginManifest) -> dict[str, Any] | None:
    """The shipped weights' model card (JSON), or None."""
    info, folder = _declared(manifest), package_folder(manifest)
    if info is None or folder is None or not info.get("card"):
        return None
    try:
        card = json.loads((folder / str(info["card"])).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        logger.warning("%s: unreadable model card: %s", manifest.id, error)
        return None
    return card if isinstance(card, dict) else None


def card_lines(card: dict[str, Any]) -> list[str]:
    """A model card as short "key: value" lines; a section of sections (such as the quality per data set)
    gets one indented line per entry."""
    lines = []
    for key, value in card.items():
        if isinstance(value, dict) and any(isinstance(v, dict) for v in value.values()):
            lines.append(f"{key}:")
            lines += [f"  {name}: {_short(entry)}" for name, entry in value.items()]
        else:
            lines.append(f"{key}: {_short(value)}")
    return lines


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        if len(value) == 2 and all(isinstance(v, (int, float)) for v in value):  # recall / precision
            return f"{_short(value[0])}/{_short(value[1])}"
        return ", ".join(_short(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k} {_short(v)}" for k, v in value.items())
    return str(value)


def base_weights(manifest: PluginManifest) -> Path | None:
    """The shipped weights after checking their recorded hash (`PluginError` when they differ), or None
    when the plugin ships none or loads no weights."""
    from annotator.ml.weights import check_digest

    shipped = shipped_weights(manifest)
    if shipped is None or not manifest.supports("load"):
        return None
    check_digest(*shipped)
    return shipped[0]


def replay_source(manifest: PluginManifest) -> ReplaySource | None:
    """The function that generates frames like those the shipped weights learned from (declared as
    ``"replay": "module:function"`` beside them), or None when the plugin ships no weights or declares none.

    It is resolved by name like a plugin's entry, so the host never imports a generator itself; a name that
    does not resolve logs a warning and counts as none.
    """
    info = _declared(manifest)
    name = str(info.get("replay") or "") if info is not None else ""
    if not name or shipped_weights(manifest) is None:
        return None
    module_name, _, attribute = name.partition(":")
    try:
        source = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as error:
        logger.warning("%s: replay source %s not found: %s", manifest.id, name, error)
        return None
    return source if callable(source) else None


def cards_text(registry: PluginRegistry) -> str:
    """Every available plugin's shipped-weights card as text (a line for plugins that ship none)."""
    blocks = []
    for entry in registry.entries():
        if not entry.available or entry.manifest is None:
            continue
        card = model_card(entry.manifest)
        if card is None:
            blocks.append(f"{entry.id}: no shipped weights")
        else:
            blocks.append(
                "\n".join([f"{entry.id}: shipped weights", *(f"  {line}" for line in card_lines(card))])
            )
    return "\n\n".join(blocks) or "No plugins found."


def record_sha256(manifest_source: Path, digest: str) -> None:
    """Write ``digest`` into the one ``"sha256": "..."`` entry of a plugin's manifest source file (its
    ``__init__.py``), as the scripts that ship or convert weights do; ValueError when there is not exactly one."""
    text, count = re.subn(
        r'("sha256": ")[0-9a-f]*(")', rf"\g<1>{digest}\g<2>", manifest_source.read_text(encoding="utf-8")
    )
    if count != 1:
        raise ValueError(f"{manifest_source}: no single sha256 entry to update")
    manifest_source.write_text(text, encoding="utf-8")
