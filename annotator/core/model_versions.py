"""Model versions of a project: recording, listing, promoting and rolling back.

Each training run adds one immutable `ModelVersion` record (a record kind of its own, ``"model_version"``,
keyed by ``<plugin>:<id>``, parsed once when the project loads); the version pre-annotation and scoring use
is the setting ``model_current:<plugin>``. Recording, promoting and rolling back are commands (undoable,
saved at once). A record is never changed once added.

Projects saved before versions were records kept them as settings named ``model_version:<plugin>:<id>``;
the store moves them over when it opens such a project (`annotator.io.store`).
"""

from __future__ import annotations

import logging

from annotator.core.model.commands import Command
from annotator.core.model.project import Project
from annotator.core.version_record import DataEntry, ModelVersion, version_key

logger = logging.getLogger(__name__)

__all__ = [
    "CURRENT_PREFIX", "KIND", "DataEntry", "ModelVersion", "RecordModelVersion", "SetCurrentVersion",
    "VersionError", "current_key", "current_version", "get_version", "lineage", "model_versions",
    "next_version_id", "version_key",
]  # fmt: skip

#: The record kind of model versions in a project.
KIND = "model_version"
CURRENT_PREFIX = "model_current:"


class VersionError(ValueError):
    """A model version is unknown, or a record would be overwritten."""


def current_key(plugin: str) -> str:
    """The setting naming a plugin's current version."""
    return f"{CURRENT_PREFIX}{plugin}"


def model_versions(project: Project, plugin: str) -> list[ModelVersion]:
    """Every recorded version of ``plugin``, oldest first."""
    found = [v for v in project.model_versions.values() if v.plugin == plugin]
    return sorted(found, key=lambda v: (v.created, v.id))


def get_version(project: Project, plugin: str, version_id: str) -> ModelVersion:
    """The record of ``version_id``; `VersionError` naming the known ones when there is none."""
    version = project.model_versions.get(version_key(plugin, version_id))
    if version is None:
        known = ", ".join(v.id for v in model_versions(project, plugin)) or "none"
        raise VersionError(f"plugin {plugin} has no model version {version_id!r} (versions: {known})")
    return version


def current_version(project: Project, plugin: str) -> ModelVersion | None:
    """The version pre-annotation and scoring use, or None when none was promoted."""
    version_id = project.settings.get(current_key(plugin))
    return None if version_id is None else get_version(project, plugin, version_id)


def lineage(project: Project, plugin: str, version_id: str) -> list[ModelVersion]:
    """The version and its ancestors, newest first."""
    chain: list[ModelVersion] = []
    seen: set[str] = set()
    next_id: str | None = version_id
    while next_id is not None and next_id not in seen:
        seen.add(next_id)
        version = get_version(project, plugin, next_id)
        chain.append(version)
        next_id = version.parent
    return chain


def next_version_id(project: Project, plugin: str) -> str:
    """``v1``, ``v2``, ... (one more than the versions recorded)."""
    return f"v{len(model_versions(project, plugin)) + 1}"


class RecordModelVersion(Command):
    """Add a version record (never over an existing one), and make it current when ``promote``."""

    def __init__(self, version: ModelVersion, promote: bool) -> None:
        self.version = version
        self.promote = promote
        verdict = "promoted" if promote else "kept as candidate"
        self.label = f"Train {version.plugin} {version.id} ({verdict})"

    def do(self, project: Project) -> None:
        key = version_key(self.version.plugin, self.version.id)
        if key in project.model_versions:
            raise VersionError(f"model version {self.version.id} of {self.version.plugin} already exists")
        project.put(KIND, key, self.version)
        if self.promote:
            project.put("setting", current_key(self.version.plugin), self.version.id)


class SetCurrentVersion(Command):
    """Make a recorded version the current one of its plugin (promote or roll back)."""

    def __init__(self, plugin: str, version_id: str) -> None:
        self.plugin = plugin
        self.version_id = version_id
        self.label = f"Use {plugin} model {version_id}"

    def do(self, project: Project) -> None:
        get_version(project, self.plugin, self.version_id)
        project.put("setting", current_key(self.plugin), self.version_id)
