"""The open project as one Qt-free object: the workspace (project, undo stack, store) and the view state.

Every edit goes through `Session.push` (or `group`, `undo`, `redo`); the session announces a step in
`SessionEvents.project` only once it is saved, and counts it in `generation`. A background job takes a
`snapshot` with the generation it was taken at; a result for an older generation is stale. The view state
(current frame, selection, the class new boxes get, hidden classes) changes no project data and pushes no
command; it follows the project (a removed frame or box leaves the view and the selection) before the
project event goes out, so a listener always sees a consistent session.

The session works without Qt: `annotator.qt.document.Document` adapts its events to Qt signals.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from annotator.core.model.commands import Command
from annotator.core.model.project import Change, Project
from annotator.core.model.records import Annotation, Frame
from annotator.io.store_api import Store
from annotator.io.workspace import Workspace
from annotator.session.events import SessionEvents

logger = logging.getLogger(__name__)


class Session:
    """One open project (or none) with its undo history, view state and events."""

    def __init__(self) -> None:
        self.events = SessionEvents()
        self._workspace: Workspace | None = None
        self._generation = 0
        self._frame_id: int | None = None
        self._selected_id: int | None = None
        self._also_selected: tuple[int, ...] = ()
        self._hidden_classes: frozenset[str] = frozenset()
        self._active_class: str | None = None

    # -- the open project ---------------------------------------------------------------------------
    @property
    def workspace(self) -> Workspace | None:
        """The open workspace (for the adapter and entry points; edit through the session)."""
        return self._workspace

    @property
    def project(self) -> Project | None:
        """The open project, or None (read it; change it only through `push`)."""
        return None if self._workspace is None else self._workspace.project

    @property
    def store(self) -> Store | None:
        """The open project's store (a shared store takes frame leases and reports through it)."""
        return None if self._workspace is None else self._workspace.store

    @property
    def root(self) -> Path | None:
        """The open project's directory."""
        return None if self._workspace is None else self._workspace.root

    @property
    def read_only(self) -> bool:
        """True when the open project cannot be written."""
        return self._workspace is not None and self._workspace.read_only

    @property
    def generation(self) -> int:
        """A number that changes whenever the project changes (a step, undo, redo, reload, open, close)."""
        return self._generation

    def open(self, workspace: Workspace, frame_id: int | None = None) -> None:
        """Make ``workspace`` the open project (forgetting any other) at ``frame_id`` or its first frame."""
        self.close()
        self._workspace = workspace
        workspace.project.events.batch.connect(self._on_batch)
        workspace.stack.changed.connect(self._on_history)
        self._generation += 1
        self.events.opened.emit()
        if frame_id not in workspace.project.frames:
            frames = self.frames()
            frame_id = frames[0].id if frames else None
        self.set_frame(frame_id)
        self.events.history.emit()

    def close(self) -> None:
        """Forget the open project (its workspace is not closed here)."""
        workspace = self._workspace
        if workspace is None:
            return
        workspace.project.events.batch.disconnect(self._on_batch)
        workspace.stack.changed.disconnect(self._on_history)
        self._workspace = None
        self._frame_id = None
        self._selected_id, self._also_selected = None, ()
        self._generation += 1
        self.events.opened.emit()
        self.events.frame.emit(None)
        self.events.history.emit()

    def snapshot(self) -> Project:
        """A private copy of the project for a background job to read (see `generation`)."""
        project = self.project
        if project is None:
            raise RuntimeError("no project is open")
        return project.copy()

    # -- editing ------------------------------------------------------------------------------------
    def push(self, command: Command) -> Command:
        """Run ``command`` as one saved, undoable step and return it (as pushed, or merged into the open
        drag). Raises `ProjectError` when it cannot be saved (the project stays as it was saved)."""
        return self._open().push(command)

    @contextmanager
    def group(self, label: str) -> Iterator[None]:
        """Make the commands pushed inside the block one step called ``label``, saved and announced at
        its end; an error inside (or while saving) takes them all back."""
        with self._open().stack.group(label):
            yield

    def close_merge(self) -> None:
        """End the open drag: the next command with the same merge key starts a new step."""
        if self._workspace is not None:
            self._workspace.stack.close_merge()

    def undo(self) -> None:
        """Undo the last step (raises `ProjectChanged` after reloading when another process wrote first)."""
        if self._workspace is not None:
            self._workspace.undo()

    def redo(self) -> None:
        """Redo the last undone step (raises `ProjectChanged` like `undo`)."""
        if self._workspace is not None:
            self._workspace.redo()

    def can_undo(self) -> bool:
        """True when there is a step to undo."""
        return self._workspace is not None and self._workspace.stack.can_undo()

    def can_redo(self) -> bool:
        """True when there is a step to redo."""
        return self._workspace is not None and self._workspace.stack.can_redo()

    def undo_label(self) -> str | None:
        """The label of the step Undo would revert ("Move cuboid"), or None."""
        return self._workspace.stack.undo_label() if self.can_undo() else None  # type: ignore[union-attr]

    def redo_label(self) -> str | None:
        """The label of the step Redo would re-apply, or None."""
        return self._workspace.stack.redo_label() if self.can_redo() else None  # type: ignore[union-attr]

    def refresh(self) -> bool:
        """Load what other processes wrote; True when the project changed."""
        return self._workspace is not None and self._workspace.refresh()

    def refresh_if_changed(self) -> bool:
        """`refresh` when another process wrote since the last read or write (cheap to poll)."""
        return self._workspace is not None and self._workspace.refresh_if_changed()

    def _open(self) -> Workspace:
        if self._workspace is None:
            raise RuntimeError("no project is open")
        return self._workspace

    # -- frames -------------------------------------------------------------------------------------
    def frames(self) -> list[Frame]:
        """Frames in sequence order."""
        project = self.project
        return [] if project is None else project.frames_in_order()

    @property
    def frame_id(self) -> int | None:
        """The current frame's id."""
        return self._frame_id

    @property
    def frame(self) -> Frame | None:
        """The current frame record."""
        project = self.project
        return None if project is None or self._frame_id is None else project.frames.get(self._frame_id)

    def frame_position(self) -> int:
        """0-based position of the current frame in the sequence (-1 without one)."""
        return next((i for i, f in enumerate(self.frames()) if f.id == self._frame_id), -1)

    def set_frame(self, frame_id: int | None) -> None:
        """Make ``frame_id`` current; the selection, which belongs to a frame, is cleared."""
        if frame_id == self._frame_id and frame_id is not None:
            return
        self._frame_id = frame_id
        if self._selected_id is not None:
            self._selected_id, self._also_selected = None, ()
            self.events.selection.emit(None)
        self.events.frame.emit(frame_id)

    def step_frame(self, step: int) -> None:
        """Go ``step`` frames forward (negative: back), stopping at the ends."""
        frames = self.frames()
        if frames:
            position = max(0, min(len(frames) - 1, self.frame_position() + step))
            self.set_frame(frames[position].id)

    def cuboids(self) -> list[Annotation]:
        """The current frame's cuboid annotations, in id order."""
        project = self.project
        if project is None or self._frame_id is None:
            return []
        return project.annotations_of(self._frame_id, "cuboid")

    # -- selection ----------------------------------------------------------------------------------
    @property
    def selected_id(self) -> int | None:
        """The primary selected annotation (Properties, handles), or None."""
        return self._selected_id

    @property
    def also_selected(self) -> tuple[int, ...]:
        """The other selected annotations (Ctrl+click, band), in the order they were added."""
        return self._also_selected

    @property
    def selected_ids(self) -> list[int]:
        """Every selected annotation: the primary one first."""
        return [] if self._selected_id is None else [self._selected_id, *self._also_selected]

    @property
    def selected(self) -> Annotation | None:
        """The primary selected annotation record."""
        project = self.project
        return (
            None
            if project is None or self._selected_id is None
            else project.annotations.get(self._selected_id)
        )

    def on_frame(self, annotation_id: int | None) -> bool:
        """True when ``annotation_id`` is an annotation of the current frame."""
        project = self.project
        if annotation_id is None or project is None or annotation_id not in project.annotations:
            return False
        return project.annotations[annotation_id].frame_id == self._frame_id

    def select(self, annotation_id: int | None) -> None:
        """Select an annotation of the current frame, alone (None, or one elsewhere: clear)."""
        if not self.on_frame(annotation_id):
            annotation_id = None
        if annotation_id != self._selected_id or self._also_selected:
            self._selected_id, self._also_selected = annotation_id, ()
            self.events.selection.emit(annotation_id)

    def select_many(self, annotation_ids: Sequence[int]) -> None:
        """Select several annotations of the current frame; the first becomes the primary one."""
        ids = list(dict.fromkeys(i for i in annotation_ids if self.on_frame(i)))
        primary = ids[0] if ids else None
        if primary != self._selected_id or tuple(ids[1:]) != self._also_selected:
            self._selected_id, self._also_selected = primary, tuple(ids[1:])
            self.events.selection.emit(primary)

    def toggle_selected(self, annotation_id: int | None) -> None:
        """Add an annotation to the selection, or take it out when it is in (Ctrl+click)."""
        if not self.on_frame(annotation_id):
            return
        ids = self.selected_ids
        self.select_many(
            [i for i in ids if i != annotation_id] if annotation_id in ids else [*ids, annotation_id]
        )

    # -- classes ------------------------------------------------------------------------------------
    @property
    def active_class(self) -> str | None:
        """The class new boxes get: the one chosen, else the schema's first class (None without classes)."""
        project = self.project
        names = [] if project is None else project.schema.names
        if self._active_class in names:
            return self._active_class
        return names[0] if names else None

    def set_active_class(self, name: str) -> None:
        """Choose the class new boxes get."""
        if name and name != self._active_class:
            self._active_class = name
            self.events.active_class.emit(name)

    @property
    def hidden_classes(self) -> frozenset[str]:
        """The classes whose boxes the views leave out."""
        return self._hidden_classes

    def set_class_hidden(self, class_name: str, hidden: bool) -> None:
        """Hide or show the boxes of a class."""
        self._hidden_classes = (
            self._hidden_classes | {class_name} if hidden else self._hidden_classes - {class_name}
        )
        self.events.hidden_classes.emit(class_name, hidden)

    # -- following the project ----------------------------------------------------------------------
    def _on_batch(self, changes: Sequence[Change]) -> None:
        """A durable step: count it, let the view state follow, then announce it."""
        self._generation += 1
        if any(c.kind == "frame" for c in changes):
            if self._frame_id is not None and self.frame is None:  # the current frame was removed
                frames = self.frames()
                self.set_frame(frames[0].id if frames else None)
            elif self._frame_id is None and self.frames():
                self.set_frame(self.frames()[0].id)
        if self._also_selected and any(not self.on_frame(i) for i in self._also_selected):
            self.select_many([i for i in self.selected_ids if self.on_frame(i)])
        if self._selected_id is not None and self.selected is None:
            self.select_many([i for i in self._also_selected if self.on_frame(i)])
        self.events.project.emit(tuple(changes))

    def _on_history(self) -> None:
        self.events.history.emit()
