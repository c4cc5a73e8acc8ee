"""An open project: the in-memory model, its undo stack, and the store every step is saved to."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from annotator.core.commands import Command, UndoStack
from annotator.core.project import Project
from annotator.core.schema import LabelSchema
from annotator.io.store import HISTORY_LIMIT, ProjectStore

logger = logging.getLogger(__name__)


@dataclass
class Workspace:
    """A project opened for editing. Push commands with `push`; every step is saved at once."""

    project: Project
    stack: UndoStack
    store: ProjectStore

    @property
    def root(self) -> Path:
        """The project directory."""
        return self.store.root

    @classmethod
    def create(cls, root: Path | str, schema: LabelSchema | None = None) -> Workspace:
        """Create a new project directory and open it."""
        ProjectStore.create(root, schema).close()
        return cls.open(root)

    @classmethod
    def open(cls, root: Path | str, keep_history: bool = True) -> Workspace:
        """Open an existing project; with ``keep_history`` the last session's undo history is restored."""
        store = ProjectStore.open(root)
        try:
            project = store.load()
            stack = UndoStack(project, journal=store, limit=HISTORY_LIMIT)
            if keep_history:
                entries, index = store.load_history()
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
        """Run a command as one undoable, saved step."""
        return self.stack.push(command)

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
