"""Model variants: which form of a plugin's model pre-annotation and scoring use (Models > Model version).

A plugin declares them in its manifest as ``"variants": {name: {...}}``; an entry sets a ``precision``
(the plugin parameter of that name), names other ``weights`` and their ``card`` (paths relative to the
plugin's package folder, the card holding the weights' ``sha256``), says it ``needs`` ``"cuda"``, or that
a ``project_kind`` of model version in the project comes first (a student distilled there, newest first).
The project's choice is the setting ``model_variant:<plugin>`` (unset: the first variant, the model as it
is). Fine-tuning never follows the choice: it trains the project's current version.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.core.model.project import Project
from annotator.core.model_versions import ModelVersion, model_versions
from annotator.ml.manifest import PluginManifest
from annotator.ml.registry import PluginError
from annotator.ml.shipped import package_folder

logger = logging.getLogger(__name__)

MANIFEST_KEY = "variants"
SETTING_PREFIX = "model_variant:"
#: The version records' ``settings["kind"]`` of distilled students.
STUDENT_KIND = "student"


@dataclass(frozen=True)
class Variant:
    """One declared variant of a plugin's model."""

    name: str
    title: str = ""
    precision: str = ""
    weights: str = ""
    card: str = ""
    needs: str = ""
    project_kind: str = ""

    @classmethod
    def from_dict(cls, name: str, data: dict[str, Any]) -> Variant:
        """From a manifest entry (unknown keys ignored)."""
        known = {k: str(v) for k, v in data.items() if k in cls.__dataclass_fields__ and k != "name"}
        return cls(name, **known)


def setting_key(plugin: str) -> str:
    """The project setting holding a plugin's chosen variant."""
    return f"{SETTING_PREFIX}{plugin}"


def declared_variants(manifest: PluginManifest) -> list[Variant]:
    """The variants a plugin declares, in manifest order (empty: none)."""
    table = manifest.extra.get(MANIFEST_KEY)
    if not isinstance(table, dict):
        return []
    return [Variant.from_dict(str(name), data) for name, data in table.items() if isinstance(data, dict)]


def chosen_variant(project: Project, manifest: PluginManifest) -> Variant | None:
    """The project's chosen variant of the plugin (the first declared when unset or unknown), or None
    when the plugin declares none."""
    variants = declared_variants(manifest)
    if not variants:
        return None
    name = project.settings.get(setting_key(manifest.id))
    return next((v for v in variants if v.name == name), variants[0])


def student_versions(project: Project, plugin: str, kind: str = STUDENT_KIND) -> list[ModelVersion]:
    """The project's model versions of ``kind`` (distilled students), newest last."""
    return [v for v in model_versions(project, plugin) if v.settings.get("kind") == kind]


def variant_weights(project: Project, manifest: PluginManifest, variant: Variant) -> tuple[Path, str] | None:
    """The weights file a variant loads instead of the project's current ones, and their recorded
    SHA-256; None for a variant of the same weights (a precision); `PluginError` when its file is missing."""
    if variant.project_kind:
        found = student_versions(project, manifest.id, variant.project_kind)
        if found and project.resolve_path(found[-1].weights).is_file():
            return project.resolve_path(found[-1].weights), found[-1].sha256
    if not variant.weights:
        return None
    folder = package_folder(manifest)
    path = None if folder is None else folder / variant.weights
    if path is None or not path.is_file():
        hint = " (make one: annotator distill, or Models > Distil student)" if variant.project_kind else ""
        raise PluginError(
            f"{manifest.id}: model version {variant.name} has no weights here{hint}; choose another"
        )
    return path, str((variant_card(project, manifest, variant) or {}).get("sha256", ""))


def variant_card(project: Project, manifest: PluginManifest, variant: Variant) -> dict[str, Any] | None:
    """The card of a variant's weights (a project student's first, then the shipped one), or None."""
    if variant.project_kind:
        found = student_versions(project, manifest.id, variant.project_kind)
        if found and isinstance(found[-1].metrics.get("card"), dict):
            return found[-1].metrics["card"]
    folder = package_folder(manifest)
    if not variant.card or folder is None:
        return None
    try:
        card = json.loads((folder / variant.card).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        logger.warning("%s: unreadable card of variant %s: %s", manifest.id, variant.name, error)
        return None
    return card if isinstance(card, dict) else None


def with_variant_precision(
    values: dict[str, Any], project: Project, manifest: PluginManifest, given: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Parameter values with the chosen variant's precision, when it sets one, the plugin has the
    parameter and the ``given`` parameters leave it at its default (a precision asked for explicitly,
    e.g. ``-p precision=bf16``, wins)."""
    variant = chosen_variant(project, manifest)
    parameter = next((p for p in manifest.parameters if p.name == "precision"), None)
    if variant is None or not variant.precision or parameter is None:
        return values
    if (given or {}).get("precision", parameter.default) != parameter.default:
        return values
    return {**values, "precision": variant.precision}


def cuda_visible() -> bool:
    """Whether this machine shows an NVIDIA GPU (a cheap check that imports no framework)."""
    return Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidia0").exists()
