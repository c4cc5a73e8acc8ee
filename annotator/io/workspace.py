"""An open project: the in-memory model, its undo stack, and the store every step is saved to.

Other processes may write to the same project (a batch command while the window is open). A step
whose store finds that someone else wrote first is undone in memory, the others' changes are
reloaded (`Workspace.refresh`) and the command runs again on the fresh state: both writers' work is
kept. A command that was prepared from the old state (an edited copy of a record the other process has
changed since) would write that old state back; it is refused with `ProjectChanged` instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from annotator.core.model.commands import Command, HistoryUpdate, Journal, UndoStack
from annotator.core.model.project import Change, Project
from annotator.core.model.schema import LabelSchema
from annotator.io.errors import EditRefused, ProjectChanged
from annotator.io.store import HISTORY_LIMIT
from annotator.io.store_api import Location, SharedStore, Store, create_store, open_store

logger = logging.getLogger(__name__)


@dataclass
class Workspace:
    """A project opened for editing. Push commands with `push`; every step is saved at once."""

    project: Project
    stack: UndoStack
    store: Store

    @property
    def root(self) -> Path:
        """The project directory (for a shared project: the directory its frame paths resolve in)."""
        return self.store.root

    @property
    def location(self) -> Location:
        """Where the project is: its directory, or its URL in a shared store."""
        return self.store.location if isinstance(self.store, SharedStore) else self.store.root

    @property
    def read_only(self) -> bool:
        """True when the project cannot be written (read-only media or permissions)."""
        return self.store.read_only

    @classmethod
    def create(cls, root: Location, schema: LabelSchema | None = None) -> Workspace:
        """Create a new project (a directory, or a store URL) and open it."""
        create_store(root, schema).close()
        return cls.open(root)

    @classmethod
    def open(cls, root: Location, keep_history: bool = True) -> Workspace:
        """Open an existing project (a directory, or a store URL); with ``keep_history`` the last
        session's undo history is restored."""
        store = open_store(root)
        try:
            project, entries, index = store.snapshot()
            if isinstance(store, SharedStore):
                project.id_source = store.reserve_id  # ids no other annotator picks
            stack = UndoStack(project, journal=store, limit=HISTORY_LIMIT)
            if keep_history:
                stack.restore(entries, index)
            else:
                store.clear_history()
        except BaseException:
            store.close()
            raise
        logger.info(
            "opened %s: %d frames, %d annotations", root, len(project.frames), len(project.annotations)
        )
        return cls(project, stack, store)

    def push(self, command: Command) -> Command:
        """Run a command as one undoable, saved step (re-run on fresh data if another process wrote)."""
        try:
            return self.stack.push(command)
        except ProjectChanged as error:
            attempted = getattr(error, "changes", None)
            if attempted is None:
                raise
        # Behind another writer: reload and re-run while holding the write lock, so it cannot happen again.
        journal = self.stack.journal
        try:
            with self.store.locked():
                moved = self._reload()
                self.stack.journal = _StaleEditGuard(self.store, self.location, attempted, moved)
                try:
                    return self.stack.push(command)
                finally:
                    self.stack.journal = journal
        except (LookupError, ValueError) as error:  # the others' changes left it nothing to apply to
            raise ProjectChanged(
                f"{self.location}: '{command.label}' no longer applies after another process's changes ({error})"
            ) from error

    def undo(self) -> None:
        """Undo the last step; raises `ProjectChanged` (after reloading) when another process wrote first."""
        self._step(self.stack.undo)

    def redo(self) -> None:
        """Redo the last undone step; raises `ProjectChanged` (after reloading) when another process wrote."""
        self._step(self.stack.redo)

    def _step(self, action: Callable[[], None]) -> None:
        try:
            action()
        except EditRefused:
            self.refresh()  # the undo put the step's old values back in memory: load the stored ones
            raise
        except ProjectChanged:
            self.refresh()
            raise ProjectChanged(
                f"{self.location}: another process changed the project; its changes are loaded, try again"
            ) from None

    def refresh(self) -> bool:
        """Load what other processes wrote (project and shared undo history); True when anything changed.

        The changes are applied to the in-memory project with the usual events, so views update.
        """
        return bool(self._reload())

    def _reload(self) -> list[Change]:
        changes, entries, index = self.store.changes_since_read(self.project)
        if changes:
            logger.info("%s: %d records changed by another process", self.root, len(changes))
            self.project.apply_changes(changes)
        self.stack.restore(entries, index)
        return changes

    def refresh_if_changed(self) -> bool:
        """`refresh` when another process wrote since the last read or write (cheap to poll)."""
        return self.store.changed_elsewhere() and self.refresh()

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _StaleEditGuard:
    """The journal for a command re-run after a reload: refuses to write back a record exactly as the
    first try had it when another process changed that record in between (a stale, prepared edit)."""

    def __init__(
        self, store: Journal, root: Location, attempted: Sequence[Change], moved: Sequence[Change]
    ) -> None:
        self.store = store
        self.root = root
        self.attempted = {(c.kind, c.key): c.after for c in attempted}
        self.moved = {(c.kind, c.key) for c in moved}

    def write(self, changes: Sequence[Change], update: HistoryUpdate) -> None:
        """Check the re-run's changes, then write them through the store."""
        for change in changes:
            key = (change.kind, change.key)
            if key in self.moved and key in self.attempted and self.attempted[key] == change.after:
                raise ProjectChanged(
                    f"{self.root}: {change.kind} {change.key} was changed by another process meanwhile; "
                    "its new state is loaded, make the edit again"
                )
        self.store.write(changes, update)
