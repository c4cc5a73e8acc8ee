"""The in-memory project: records by kind and id, change recording, and change events.

Every mutation goes through `Project.put` / `Project.delete`, which are only allowed while a command
runs (`Project.recording`). They record a `Change` (kind, key, before, after); the undo stack announces
a step's changes as events once the step is saved (`Project.announce`), so undo, redo, persistence and
views all work from the same list of changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from psygnal import Signal, SignalGroup

from annotator.core.model.records import Annotation, Frame, Track
from annotator.core.model.schema import LabelSchema, default_schema

logger = logging.getLogger(__name__)

#: Record kinds and what they hold. Frames, tracks and annotations are keyed by int id; the schema by
#: the key "schema"; settings by their name; model versions (`annotator.core.version_record.ModelVersion`)
#: by ``<plugin>:<version id>``.
KINDS = ("frame", "track", "annotation", "schema", "setting", "model_version")

#: Settings every project has, with their defaults.
DEFAULT_SETTINGS: dict[str, Any] = {
    "nine_dof": False,
}


@dataclass(frozen=True)
class Change:
    """One record replaced: ``before``/``after`` are None when the record was added/removed."""

    kind: str
    key: Any
    before: Any
    after: Any

    @property
    def added(self) -> bool:
        """The record did not exist before."""
        return self.before is None and self.after is not None

    @property
    def removed(self) -> bool:
        """The record does not exist after."""
        return self.after is None and self.before is not None

    def inverse(self) -> Change:
        """The change that undoes this one."""
        return Change(self.kind, self.key, self.after, self.before)


def combine_changes(first: Sequence[Change], second: Sequence[Change]) -> tuple[Change, ...]:
    """One change list with the effect of ``first`` then ``second`` (first before, last after per record)."""
    merged: dict[tuple[str, Any], Change] = {}
    for change in (*first, *second):
        key = (change.kind, change.key)
        earlier = merged.get(key)
        merged[key] = (
            change if earlier is None else Change(change.kind, change.key, earlier.before, change.after)
        )
    return tuple(merged.values())


def _authored(annotation: Annotation, author: str) -> Annotation:
    """``annotation`` stamped with its human ``author`` (unreviewed model proposals are left as they are)."""
    if annotation.is_proposal or annotation.provenance.author == author:
        return annotation
    return replace(annotation, provenance=replace(annotation.provenance, author=author))


class ProjectEvents(SignalGroup):
    """Signals a project emits once a step is durable (after the journal committed it); each carries a
    `Change` unless noted. Nothing is emitted while a command runs or a group is open."""

    frame = Signal(object)
    track = Signal(object)
    annotation = Signal(object)
    schema = Signal(object)
    setting = Signal(object)
    model_version = Signal(object)
    #: After a whole command, undo or redo: a tuple of all its changes (views re-render once here).
    batch = Signal(object)


class Project:
    """All records of a project, in memory. Mutate only inside commands (see `annotator.core.model.commands`)."""

    def __init__(self, root: Path | str | None = None, schema: LabelSchema | None = None) -> None:
        self.root = Path(root) if root is not None else None
        self.events = ProjectEvents()
        self.frames: dict[int, Frame] = {}
        self.tracks: dict[int, Track] = {}
        self.annotations: dict[int, Annotation] = {}
        self.schema: LabelSchema = schema or default_schema()
        self.settings: dict[str, Any] = dict(DEFAULT_SETTINGS)
        self.model_versions: dict[str, Any] = {}
        self._by_frame: dict[int, dict[int, None]] = {}
        self._next_id = {"frame": 1, "track": 1, "annotation": 1}
        self._recording: list[Change] | None = None
        #: Who is editing (a user name), or None: commands then stamp it on every annotation they add or
        #: change that is not an unreviewed proposal (`Provenance.author`), so two people's boxes can be
        #: told apart. Undo and redo restore records exactly as they were.
        self.author: str | None = None
        #: Where new ids come from instead of this project's counters (a shared store hands out ids
        #: reserved on its server, so annotators never pick the same one); returning None: the counters.
        self.id_source: Callable[[str], int | None] | None = None

    # -- reading ------------------------------------------------------------------------------------
    def frames_in_order(self) -> list[Frame]:
        """Frames sorted by index (then id)."""
        return sorted(self.frames.values(), key=lambda f: (f.index, f.id))

    def frame_by_name(self, name: str) -> Frame | None:
        """The frame called ``name``, or None."""
        return next((f for f in self.frames.values() if f.name == name), None)

    def annotations_of(self, frame_id: int, kind: str | None = None) -> list[Annotation]:
        """Annotations of one frame in id order, optionally only ``"cuboid"`` or ``"box2d"`` ones."""
        ids = self._by_frame.get(frame_id, {})
        result = [self.annotations[i] for i in ids]
        if kind is not None:
            result = [a for a in result if a.kind == kind]
        return sorted(result, key=lambda a: a.id)

    def annotations_of_track(self, track_id: int) -> list[Annotation]:
        """Annotations of one track, ordered by frame index."""
        found = [a for a in self.annotations.values() if a.track_id == track_id]
        return sorted(found, key=lambda a: (self.frames[a.frame_id].index, a.id))

    def setting(self, name: str) -> Any:
        """A setting's value (its default when unset)."""
        return self.settings.get(name, DEFAULT_SETTINGS.get(name))

    def resolve_path(self, stored: str) -> Path:
        """A stored (possibly project-relative) path as a usable path."""
        path = Path(stored)
        if path.is_absolute() or self.root is None:
            return path
        return self.root / path

    def store_path(self, path: Path | str) -> str:
        """How a path is stored: relative to the project directory when inside it, else absolute."""
        path = Path(path).absolute()
        if self.root is not None:
            try:
                return path.relative_to(self.root.absolute()).as_posix()
            except ValueError:
                pass
        return str(path)

    def get(self, kind: str, key: Any) -> Any:
        """The record of ``kind`` under ``key``, or None."""
        if kind == "schema":
            return self.schema
        if kind == "setting":
            return self.settings.get(key)
        return self._table(kind).get(key)

    def records(self) -> Iterator[tuple[str, Any, Any]]:
        """Every record as (kind, key, value) (used to compare and persist whole projects)."""
        for kind in ("frame", "track", "annotation"):
            for key, value in self._table(kind).items():
                yield kind, key, value
        yield "schema", "schema", self.schema
        for key, value in self.settings.items():
            yield "setting", key, value
        for key, value in self.model_versions.items():
            yield "model_version", key, value

    # -- ids ----------------------------------------------------------------------------------------
    def new_id(self, kind: str) -> int:
        """A fresh id for a new frame, track or annotation (never reused within this session)."""
        if self.id_source is not None:
            table = self._table(kind)
            value = self.id_source(kind)
            while value is not None and value in table:
                value = self.id_source(kind)
            if value is not None:
                return value
        value = self._next_id[kind]
        self._next_id[kind] = value + 1
        return value

    # -- mutation (commands only) -------------------------------------------------------------------
    @property
    def is_recording(self) -> bool:
        """True while a command runs."""
        return self._recording is not None

    @contextmanager
    def recording(self) -> Iterator[list[Change]]:
        """Collect the changes made inside the block; on an exception, revert them and re-raise."""
        if self._recording is not None:
            raise RuntimeError("commands do not nest; use UndoStack.group for macros")
        changes: list[Change] = []
        self._recording = changes
        try:
            yield changes
        except BaseException:
            self._recording = None
            self.apply_changes([c.inverse() for c in reversed(changes)], emit_batch=False)
            raise
        finally:
            self._recording = None

    def put(self, kind: str, key: Any, value: Any) -> None:
        """Add or replace a record (inside a command)."""
        self._mutate(kind, key, value)

    def delete(self, kind: str, key: Any) -> None:
        """Remove a record (inside a command)."""
        self._mutate(kind, key, None)

    def _mutate(self, kind: str, key: Any, value: Any) -> None:
        if self._recording is None:
            raise RuntimeError("projects change only through commands on an UndoStack")
        before = self.get(kind, key)
        if before is None and value is None:
            return
        if kind == "annotation" and value is not None and self.author is not None:
            value = _authored(value, self.author)
        change = Change(kind, key, before, value)
        self._set(change)
        self._recording.append(change)

    def apply_changes(self, changes: Sequence[Change], emit_batch: bool = True) -> None:
        """Apply recorded changes as they are (used by undo/redo and when loading); with ``emit_batch``
        they are announced at once (changes read from the store are durable already)."""
        for change in changes:
            self._set(change)
        if emit_batch:
            self.announce(changes)

    def announce(self, changes: Sequence[Change]) -> None:
        """Emit the events of a durable step: one per change by kind, then the whole ``batch``.

        The undo stack calls this only after its journal committed the step, so a listener never sees
        a change that a failed write takes back.
        """
        if not changes:
            return
        for change in changes:
            getattr(self.events, change.kind).emit(change)
        self.events.batch.emit(tuple(changes))

    def _set(self, change: Change) -> None:
        kind, key, value = change.kind, change.key, change.after
        if kind == "schema":
            if value is None:
                raise ValueError("a project always has a schema")
            self.schema = value
        elif kind == "setting":
            if value is None:
                self.settings.pop(key, None)
            else:
                self.settings[key] = value
        else:
            table = self._table(kind)
            if kind == "annotation" and value is not None and value.frame_id not in self.frames:
                raise ValueError(f"annotation {key} refers to a missing frame {value.frame_id}")
            if kind == "annotation":
                self._reindex_annotation(change.before, value)
            if value is None:
                table.pop(key, None)
            else:
                table[key] = value
                if isinstance(key, int) and key >= self._next_id[kind]:
                    self._next_id[kind] = key + 1

    def _reindex_annotation(self, before: Annotation | None, after: Annotation | None) -> None:
        if before is not None:
            self._by_frame.get(before.frame_id, {}).pop(before.id, None)
        if after is not None:
            self._by_frame.setdefault(after.frame_id, {})[after.id] = None

    def _table(self, kind: str) -> dict[int, Any]:
        if kind == "frame":
            return self.frames
        if kind == "track":
            return self.tracks
        if kind == "annotation":
            return self.annotations
        if kind == "model_version":
            return self.model_versions  # type: ignore[return-value]
        raise KeyError(f"unknown record kind {kind!r}")

    def copy(self) -> Project:
        """A private copy of the project's records for a worker thread to read while this one changes
        (records are immutable, so they are shared, not copied); no events, no undo history."""
        twin = Project(self.root, self.schema)
        twin.frames, twin.tracks, twin.annotations = (
            dict(self.frames),
            dict(self.tracks),
            dict(self.annotations),
        )
        twin.settings = dict(self.settings)
        twin.model_versions = dict(self.model_versions)
        twin._by_frame = {frame_id: dict(ids) for frame_id, ids in self._by_frame.items()}
        twin._next_id = dict(self._next_id)
        return twin

    def load_records(self, records: Iterable[tuple[str, Any, Any]]) -> None:
        """Fill an empty project from stored records (no recording, no events; for loading)."""
        for kind, key, value in records:
            if kind == "annotation":
                self.annotations[key] = value
                self._by_frame.setdefault(value.frame_id, {})[key] = None
            elif kind in ("frame", "track", "model_version"):
                self._table(kind)[key] = value
            elif kind == "schema":
                self.schema = value
            else:
                self.settings[key] = value
        for kind in ("frame", "track", "annotation"):
            self._next_id[kind] = max(self._next_id[kind], max(self._table(kind), default=0) + 1)
