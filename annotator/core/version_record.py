"""The model-version record: one immutable record per training run (parent, data, settings, measures, weights).

Projects hold them as a record kind of their own (``"model_version"``, keyed by `version_key`), parsed once
when the project loads; `annotator.core.model_versions` reads and changes them through commands.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field, fields
from typing import Any

logger = logging.getLogger(__name__)


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
    """The key of a version record among a project's ``model_version`` records."""
    return f"{plugin}:{version_id}"
