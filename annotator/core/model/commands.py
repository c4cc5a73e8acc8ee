"""Commands and the undo stack: every change to a project is a command with a human label.

A command's `do` mutates the project through `Project.put`/`delete`; the stack records the resulting
`Change` list. Undo and redo replay that list backwards/forwards, so they are exact and need no per-command
code. Consecutive commands with the same ``merge_key`` (one drag) merge into one step until
`UndoStack.close_merge` is called; `UndoStack.group` makes one step of several commands.

A `Journal` (the project store) receives every step's changes and writes them in one transaction before
the step counts as done; if it fails, the in-memory change is rolled back and the error re-raised. The
project's events (`Project.announce`) fire only after the journal committed: a listener never sees a
step that did not happen, and the commands of a group are announced once, with the group.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from psygnal import Signal

from annotator.core.model.project import Change, Project, combine_changes

logger = logging.getLogger(__name__)


class Command:
    """Base class: subclasses set ``label`` and implement `do`. ``merge_key`` enables drag merging."""

    label: str = "Edit"
    merge_key: Any = None

    def do(self, project: Project) -> None:
        """Apply the command's effect through `Project.put` / `Project.delete`."""
        raise NotImplementedError


class FunctionCommand(Command):
    """A command made from a function of the project (for compound edits)."""

    def __init__(self, label: str, function: Callable[[Project], Any], merge_key: Any = None) -> None:
        self.label = label
        self.function = function
        self.merge_key = merge_key
        self.result: Any = None

    def do(self, project: Project) -> None:
        self.result = self.function(project)


@dataclass
class HistoryEntry:
    """One undoable step: its label and the changes it made (``merge_key`` while a drag is open)."""

    label: str
    changes: tuple[Change, ...]
    merge_key: Any = None


@dataclass(frozen=True)
class HistoryUpdate:
    """How the history changed in one step, for the journal to persist.

    ``action`` is ``"push"`` (entry appended at ``index - 1``, anything after it dropped), ``"merge"``
    (the entry at ``index - 1`` replaced), ``"undo"`` or ``"redo"`` (only ``index`` moved).
    ``index`` is the number of done entries afterwards.
    """

    action: str
    index: int
    entry: HistoryEntry | None = None


class Editor(Protocol):
    """Runs commands as saved, undoable steps (an io `Workspace`, the window's `Session`)."""

    def push(self, command: Command) -> Command:
        """Run ``command`` as one step and return it."""


class Journal(Protocol):
    """Persists each step atomically (implemented by the project store)."""

    def write(self, changes: Sequence[Change], update: HistoryUpdate) -> None:
        """Write the changes and the history update in one transaction, or raise."""


@dataclass
class _Group:
    label: str
    changes: list[Change] = field(default_factory=list)


class UndoStack:
    """Undo/redo history of a project, with merging, grouping and an optional journal."""

    #: Emitted after every push, undo, redo or history load (for menus: "Undo Move cuboid").
    changed = Signal()

    def __init__(self, project: Project, journal: Journal | None = None, limit: int = 1000) -> None:
        self.project = project
        self.journal = journal
        self.limit = limit
        self._entries: list[HistoryEntry] = []
        self._index = 0
        self._group: _Group | None = None
        self._merge_open = False

    # -- state --------------------------------------------------------------------------------------
    @property
    def index(self) -> int:
        """Number of done (undoable) entries."""
        return self._index

    @property
    def entries(self) -> list[HistoryEntry]:
        """All entries, done and undone (do not modify)."""
        return self._entries

    def can_undo(self) -> bool:
        """True when there is a step to undo (and no group is open)."""
        return self._index > 0 and self._group is None

    def can_redo(self) -> bool:
        """True when there is an undone step to redo."""
        return self._index < len(self._entries) and self._group is None

    def undo_label(self) -> str | None:
        """Label of the step `undo` would revert."""
        return self._entries[self._index - 1].label if self._index > 0 else None

    def redo_label(self) -> str | None:
        """Label of the step `redo` would re-apply."""
        return self._entries[self._index].label if self._index < len(self._entries) else None

    def restore(self, entries: Sequence[HistoryEntry], index: int) -> None:
        """Adopt a stored history whose first ``index`` entries are already applied to the project."""
        self._entries = list(entries)
        self._index = max(0, min(index, len(self._entries)))
        self._merge_open = False
        self.changed.emit()

    # -- doing --------------------------------------------------------------------------------------
    def push(self, command: Command) -> Command:
        """Execute ``command`` and record it as one step (or merge it into the open drag step)."""
        with self.project.recording() as changes:
            command.do(self.project)
        changes = tuple(changes)
        if not changes:
            return command
        if self._group is not None:  # announced with the group, once it is saved
            self._group.changes.extend(changes)
            return command
        top = self._entries[self._index - 1] if self._index > 0 else None
        if (
            self._merge_open
            and command.merge_key is not None
            and top is not None
            and top.merge_key == command.merge_key
            and self._index == len(self._entries)
        ):
            merged = HistoryEntry(top.label, combine_changes(top.changes, changes), top.merge_key)
            self._commit(changes, HistoryUpdate("merge", self._index, merged))
            self._entries[self._index - 1] = merged
        else:
            entry = HistoryEntry(command.label, changes, command.merge_key)
            self._commit(changes, HistoryUpdate("push", self._index + 1, entry))
            del self._entries[self._index :]
            self._entries.append(entry)
            self._index += 1
            self._trim()
        self._merge_open = command.merge_key is not None
        self.project.announce(changes)
        self.changed.emit()
        return command

    def close_merge(self) -> None:
        """End the open drag: the next command starts a new step even with the same merge key."""
        self._merge_open = False

    @contextmanager
    def group(self, label: str) -> Iterator[None]:
        """Make every command pushed inside the block one undoable step called ``label``."""
        if self._group is not None:  # nested groups fold into the outer one
            yield
            return
        group = _Group(label)
        self._group = group
        try:
            yield
        except BaseException:
            self._group = None
            self.project.apply_changes([c.inverse() for c in reversed(group.changes)], emit_batch=False)
            raise
        self._group = None
        if not group.changes:
            return
        changes = combine_changes(group.changes, ())
        entry = HistoryEntry(label, changes)
        try:
            self._commit(changes, HistoryUpdate("push", self._index + 1, entry))
        except BaseException:
            self.project.apply_changes([c.inverse() for c in reversed(group.changes)], emit_batch=False)
            raise
        del self._entries[self._index :]
        self._entries.append(entry)
        self._index += 1
        self._merge_open = False
        self._trim()
        self.project.announce(changes)
        self.changed.emit()

    def undo(self) -> None:
        """Revert the last done step."""
        if not self.can_undo():
            return
        entry = self._entries[self._index - 1]
        inverse = [c.inverse() for c in reversed(entry.changes)]
        self._apply(inverse, HistoryUpdate("undo", self._index - 1))

    def redo(self) -> None:
        """Re-apply the last undone step."""
        if not self.can_redo():
            return
        entry = self._entries[self._index]
        self._apply(list(entry.changes), HistoryUpdate("redo", self._index + 1))

    def undo_all(self) -> None:
        """Undo every step."""
        while self.can_undo():
            self.undo()

    def redo_all(self) -> None:
        """Redo every undone step."""
        while self.can_redo():
            self.redo()

    # -- internals ----------------------------------------------------------------------------------
    def _apply(self, changes: list[Change], update: HistoryUpdate) -> None:
        self.project.apply_changes(changes, emit_batch=False)
        try:
            if self.journal is not None:
                self.journal.write(changes, update)
        except BaseException:
            self.project.apply_changes([c.inverse() for c in reversed(changes)], emit_batch=False)
            raise
        self._index = update.index
        self._merge_open = False
        self.project.announce(changes)
        self.changed.emit()

    def _commit(self, changes: Sequence[Change], update: HistoryUpdate) -> None:
        """Persist a step's changes; on failure revert them in memory and re-raise."""
        if self.journal is None:
            return
        try:
            self.journal.write(changes, update)
        except BaseException:
            self.project.apply_changes([c.inverse() for c in reversed(changes)], emit_batch=False)
            raise

    def _trim(self) -> None:
        overflow = len(self._entries) - self.limit
        if overflow > 0:
            del self._entries[:overflow]
            self._index -= overflow
