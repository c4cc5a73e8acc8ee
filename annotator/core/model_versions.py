"""Model versions as project records: one immutable record per training run, and the current one per plugin.

A record says where a model came from (its parent version, the frames and labels it was trained on, the
settings), how it measured (on held-apart old and new frames, next to its parent) and where its weights
are. Records live in the project's settings under ``model_version:<plugin>:<id>`` and the version
pre-annotation and scoring use under ``model_current:<plugin>``, so recording, promoting and rolling back
are commands (undoable, saved at once). A record is never changed once added.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field, fields
from typing import Any

from annotator.core.commands import Command
from annotator.core.project import Project

logger = logging.getLogger(__name__)

VERSION_PREFIX = "model_version:"
CURRENT_PREFIX = "model_current:"


class VersionError(ValueError):
    """A model version is unknown, or a record would be overwritten."""


@dataclass(frozen=True)
class DataEntry:
    """One frame of a version's training data: its labels' ids and a hash of their content.

    ``role`` is ``train`` (new frames), ``replay`` (older frames mixed in), ``held_old`` / ``held_new``
    (measured, not trained on) or ``pseudo`` (an unverified frame's confident model labels).
    """

    frame_id: int
    frame: str
    role: str
    annotation_ids: tuple[int, ...]
    digest: str
    source: str = "human"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (as stored); built by hand: a version of 1,000 frames is recorded on the UI
        thread, where `dataclasses.asdict` took 90 ms."""
        return {
            "frame_id": self.frame_id, "frame": self.frame, "role": self.role,
            "annotation_ids": list(self.annotation_ids), "digest": self.digest, "source": self.source,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataEntry:
        """Inverse of `to_dict`."""
        return cls(
            data["frame_id"], data["frame"], data["role"], tuple(data.get("annotation_ids", ())),
            data["digest"], data.get("source", "human"),
        )  # fmt: skip


@dataclass(frozen=True)
class ModelVersion:
    """One training run's result. ``model_version`` is the plugin's own version string (stamped on its
    predictions); ``weights`` is stored like frame paths (relative to the project when inside it)."""

    id: str
    plugin: str
    parent: str | None
    created: float
    model_version: str
    weights: str
    data: tuple[DataEntry, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    gate: dict[str, Any] = field(default_factory=dict)
    #: SHA-256 of the weights file, checked before loading ("" for versions from older annotators).
    sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (as stored)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("settings", "metrics", "gate"):
            data[name] = copy.deepcopy(data[name])
        data["data"] = [e.to_dict() for e in self.data]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelVersion:
        """Inverse of `to_dict`."""
        entries = tuple(DataEntry.from_dict(e) for e in data.get("data", ()))
        return cls(**{**data, "data": entries})

    def frames(self, *roles: str) -> set[int]:
        """Ids of the frames with any of ``roles`` (all frames when none given)."""
        return {e.frame_id for e in self.data if not roles or e.role in roles}


def version_key(plugin: str, version_id: str) -> str:
    """The setting that holds a version record."""
    return f"{VERSION_PREFIX}{plugin}:{version_id}"


def current_key(plugin: str) -> str:
    """The setting naming a plugin's current version."""
    return f"{CURRENT_PREFIX}{plugin}"


class VersionCache:
    """Parsed version records, parsed again only when a record's stored value is another object (records
    never change, so only after undo or redo): for views that list versions on every project change (a
    version of 1,000 frames takes ~10 ms to parse)."""

    def __init__(self) -> None:
        self._parsed: dict[str, tuple[dict[str, Any], ModelVersion]] = {}

    def parse(self, key: str, stored: dict[str, Any]) -> ModelVersion:
        """The version stored under setting ``key``."""
        hit = self._parsed.get(key)
        if hit is None or hit[0] is not stored:
            hit = (stored, ModelVersion.from_dict(stored))
            self._parsed[key] = hit
        return hit[1]


def _parse(cache: VersionCache | None, key: str, stored: dict[str, Any]) -> ModelVersion:
    return ModelVersion.from_dict(stored) if cache is None else cache.parse(key, stored)


def model_versions(project: Project, plugin: str, cache: VersionCache | None = None) -> list[ModelVersion]:
    """Every recorded version of ``plugin``, oldest first."""
    prefix = f"{VERSION_PREFIX}{plugin}:"
    found = [_parse(cache, k, v) for k, v in project.settings.items() if k.startswith(prefix)]
    return sorted(found, key=lambda v: (v.created, v.id))


def get_version(
    project: Project, plugin: str, version_id: str, cache: VersionCache | None = None
) -> ModelVersion:
    """The record of ``version_id``; `VersionError` naming the known ones when there is none."""
    key = version_key(plugin, version_id)
    data = project.settings.get(key)
    if data is None:
        known = ", ".join(v.id for v in model_versions(project, plugin, cache)) or "none"
        raise VersionError(f"plugin {plugin} has no model version {version_id!r} (versions: {known})")
    return _parse(cache, key, data)


def current_version(project: Project, plugin: str, cache: VersionCache | None = None) -> ModelVersion | None:
    """The version pre-annotation and scoring use, or None when none was promoted."""
    version_id = project.settings.get(current_key(plugin))
    return None if version_id is None else get_version(project, plugin, version_id, cache)


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
        if key in project.settings:
            raise VersionError(f"model version {self.version.id} of {self.version.plugin} already exists")
        project.put("setting", key, self.version.to_dict())
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
