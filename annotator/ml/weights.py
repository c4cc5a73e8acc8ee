"""Where a project keeps trained plugin weights, and loading the newest into a model.

Each weights file the host writes gets its SHA-256 recorded (a ``<file>.sha256`` beside it, and in the
model version record for fine-tuned ones); loading checks it, so weights swapped in a shared project
folder are refused. Plugins themselves read weights without running code (tensors/arrays only).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from annotator.core.model.project import Project
from annotator.core.model_versions import current_version
from annotator.ml.manifest import PluginManifest
from annotator.ml.registry import PluginError
from annotator.ml.shipped import shipped_weights

logger = logging.getLogger(__name__)

MODELS_FOLDER = "models"
LATEST_POINTER = "latest"


def models_folder(project: Project, plugin_id: str) -> Path | None:
    """``<project>/models/<plugin id>``, or None for a project without a directory."""
    return None if project.root is None else project.root / MODELS_FOLDER / plugin_id


def latest_weights(project: Project, plugin_id: str) -> Path | None:
    """The weights of the plugin's current model version (fine-tuning), else the most recently trained
    ones (``annotator train``) in this project, or None."""
    current = current_version(project, plugin_id)
    if current is not None:
        path = project.resolve_path(current.weights)
        if path.is_file():
            return path
        logger.warning("%s: weights of the current version %s are missing (%s)", plugin_id, current.id, path)
    folder = models_folder(project, plugin_id)
    pointer = folder / LATEST_POINTER if folder is not None else None
    if pointer is None or not pointer.is_file():
        return None
    path = pointer.parent / pointer.read_text(encoding="utf-8").strip()
    return path if path.is_file() else None


HASH_SUFFIX = ".sha256"


def file_digest(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def record_digest(weights: Path) -> str:
    """Compute the weights' SHA-256 and record it beside them; the digest."""
    digest = file_digest(weights)
    weights.with_name(weights.name + HASH_SUFFIX).write_text(digest + "\n", encoding="utf-8")
    return digest


def recorded_digest(weights: Path) -> str | None:
    """The SHA-256 recorded beside the weights, or None."""
    sidecar = weights.with_name(weights.name + HASH_SUFFIX)
    try:
        return sidecar.read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def check_digest(weights: Path, expected: str | None) -> None:
    """Raise `PluginError` when the weights' SHA-256 differs from ``expected`` (or the recorded one)."""
    expected = expected or recorded_digest(weights)
    if expected is None:
        logger.warning("%s: no recorded hash (weights from an older annotator); loading anyway", weights)
        return
    if file_digest(weights) != expected:
        raise PluginError(
            f"{weights}: weights differ from the hash recorded when they were saved; not loaded"
        )


def mark_latest(weights: Path) -> None:
    """Make ``weights`` the ones pre-annotation loads for its plugin."""
    (weights.parent / LATEST_POINTER).write_text(weights.name, encoding="utf-8")


def chosen_weights(
    manifest: PluginManifest, project: Project, explicit: Path | None = None, variant: bool = True
) -> Path | None:
    """``explicit``, else (with ``variant``) the weights of the model variant chosen for the plugin
    (`annotator.ml.variants`: pruned, student), else the project's latest weights for the plugin, else the
    weights the plugin ships (`annotator.ml.shipped`), else None."""
    if explicit is not None:
        return explicit
    if variant and (chosen := _variant_weights(manifest, project)) is not None:
        return chosen[0]
    latest = latest_weights(project, manifest.id)
    if latest is not None:
        return latest
    shipped = shipped_weights(manifest)
    return None if shipped is None else shipped[0]


def _variant_weights(manifest: PluginManifest, project: Project) -> tuple[Path, str] | None:
    from annotator.ml.variants import chosen_variant, variant_weights

    chosen = chosen_variant(project, manifest)
    return None if chosen is None else variant_weights(project, manifest, chosen)


def verified_weights(
    manifest: PluginManifest, project: Project, explicit: Path | None = None, variant: bool = True
) -> Path | None:
    """The weights `load_weights` would load (`chosen_weights`), after checking their recorded hash (the
    model version's, the sidecar's, the variant's card, or the manifest's for shipped weights); None when
    there are none or the plugin loads no weights."""
    path = chosen_weights(manifest, project, explicit, variant)
    if path is None or not manifest.supports("load"):
        return None
    chosen = _variant_weights(manifest, project) if variant else None
    if chosen is not None and chosen[0] == path:
        check_digest(path, chosen[1] or None)
        return path
    current = current_version(project, manifest.id)
    recorded = (
        current.sha256 if current is not None and project.resolve_path(current.weights) == path else None
    )
    shipped = shipped_weights(manifest)
    if not recorded and shipped is not None and shipped[0] == path:
        recorded = shipped[1]
    check_digest(path, recorded or None)
    return path


def load_weights(
    model: Any, manifest: PluginManifest, project: Project, explicit: Path | None = None, variant: bool = True
) -> Path | None:
    """Load ``explicit`` weights, else (with ``variant``) the chosen variant's, else the project's latest
    for the plugin, else its shipped ones; the path loaded, or None."""
    path = chosen_weights(manifest, project, explicit, variant)
    if path is None or not manifest.supports("load"):
        return None
    if getattr(model, "_annotator_weights", None) != str(path):
        verified_weights(manifest, project, path, variant)
        model.load(str(path))
        model._annotator_weights = str(path)
        logger.info("%s: loaded weights %s (version %s)", manifest.id, path, model.version)
    return path
