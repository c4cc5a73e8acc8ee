"""The open project as the views see it: the current frame, its cloud, its cuboids and the selection.

`Document` listens to the project's events (one ``batch`` per command, undo or redo) and re-emits what
the views care about as Qt signals; views never poll. The current frame and the selection are view
state, not project data: changing them pushes no command.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from annotator.core.commands import Command
from annotator.core.geometry import Cuboid
from annotator.core.project import Change, Project
from annotator.core.records import Annotation, Frame
from annotator.io.errors import ProjectError
from annotator.io.identity import current_user
from annotator.io.workspace import Workspace
from annotator.qt.flagging import FlagState
from annotator.qt.frame_loader import FrameLoader, LoadedFrame
from annotator.render.cloud import PreparedCloud
from annotator.render.cuboids import CuboidItem

logger = logging.getLogger(__name__)

#: Colour of annotations whose class is not in the schema.
UNKNOWN_CLASS_COLOR = (180, 180, 180)


class Document(QObject):
    """Current frame, its prepared cloud, the selected annotation and hidden classes of one workspace."""

    #: A workspace was opened or closed.
    opened = Signal()
    #: Frames were added, removed or changed.
    frames_changed = Signal()
    #: The current frame changed (its cloud may still be loading): frame id or None.
    frame_changed = Signal(object)
    #: The current frame's cloud is ready (or gone).
    cloud_changed = Signal()
    #: Loading the current frame's cloud failed: the message.
    cloud_failed = Signal(str)
    #: The current frame's annotations (or their classes' colours) changed; True when the selected one did.
    annotations_changed = Signal(bool)
    #: The selection changed: annotation id or None.
    selection_changed = Signal(object)
    #: The label schema changed.
    schema_changed = Signal()
    #: The class new boxes get changed: its name.
    active_class_changed = Signal(str)
    #: Project settings changed (e.g. ``nine_dof``).
    settings_changed = Signal()
    #: A cuboid is being dragged: annotation id and the cuboid as the cursor has it (None: the drag ended).
    cuboid_previewed = Signal(int, object)
    #: A background job (pre-annotation, scoring) is about to change the frame on screen: views may draw
    #: coarse until the updates stop, as while the camera moves.
    background_edit = Signal()
    #: An edit could not be saved (another process changed the record, read-only or full disk): why.
    edit_refused = Signal(str)

    def __init__(self, loader: FrameLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.workspace: Workspace | None = None
        self.frame_id: int | None = None
        self.loaded: LoadedFrame | None = None
        self.selected_id: int | None = None
        self.also_selected: tuple[int, ...] = ()  # more boxes selected with Ctrl+click or the band
        self.hidden_classes: set[str] = set()
        self._active_class: str | None = None
        self.load_ms = 0.0
        self.flags = FlagState(self)
        self.flags.changed.connect(lambda: self.annotations_changed.emit(False))
        loader.loaded.connect(self._cloud_loaded)
        loader.failed.connect(self._cloud_failed)

    # -- workspace ----------------------------------------------------------------------------------
    @property
    def project(self) -> Project | None:
        """The open project, or None."""
        return None if self.workspace is None else self.workspace.project

    def open(self, workspace: Workspace, frame_id: int | None = None, wait: bool = False) -> None:
        """Show ``workspace`` (the caller closes any previous one), at ``frame_id`` or the first frame.

        With ``wait`` the frame's cloud is loaded on this thread (headless snapshots).
        """
        self.close()
        self.workspace = workspace
        if workspace.project.author is None:  # edits in the window are the user's (Provenance.author)
            workspace.project.author = current_user()
        workspace.project.events.batch.connect(self._on_batch)
        self.opened.emit()
        self.frames_changed.emit()
        frames = self.frames()
        if frame_id not in workspace.project.frames:
            frame_id = frames[0].id if frames else None
        self.set_frame(frame_id, wait=wait)

    def close(self) -> None:
        """Forget the workspace (it is not closed here)."""
        if self.workspace is None:
            return
        self.workspace.project.events.batch.disconnect(self._on_batch)
        self.workspace = None
        self.frame_id = None
        self.loaded = None
        self.selected_id, self.also_selected = None, ()
        self.loader.clear()
        self.opened.emit()
        self.frame_changed.emit(None)
        self.cloud_changed.emit()

    def push(self, command: Command) -> None:
        """Run a command on the workspace's undo stack (saved at once); a refusal is announced in
        `edit_refused` (the project is left as it was saved)."""
        if self.workspace is not None:
            try:
                self.workspace.push(command)
            except ProjectError as error:
                logger.warning("%s", error)
                self.edit_refused.emit(str(error))

    # -- frames -------------------------------------------------------------------------------------
    def frames(self) -> list[Frame]:
        """Frames in sequence order."""
        return [] if self.project is None else self.project.frames_in_order()

    @property
    def frame(self) -> Frame | None:
        """The current frame record."""
        project = self.project
        return None if project is None or self.frame_id is None else project.frames.get(self.frame_id)

    @property
    def cloud(self) -> PreparedCloud | None:
        """The current frame's cloud when loaded."""
        return None if self.loaded is None else self.loaded.cloud

    def frame_position(self) -> int:
        """0-based position of the current frame in the sequence (-1 without one)."""
        return next((i for i, f in enumerate(self.frames()) if f.id == self.frame_id), -1)

    def set_frame(self, frame_id: int | None, wait: bool = False) -> None:
        """Make ``frame_id`` current and load its cloud (from the cache at once, else in a worker, or
        on this thread with ``wait``; a file that cannot be read then raises `AnnotatorError`)."""
        if frame_id == self.frame_id and frame_id is not None:
            return
        self.frame_id = frame_id
        self.loaded = None
        self.load_ms = 0.0
        if self.selected_id is not None:
            self.selected_id, self.also_selected = None, ()
            self.selection_changed.emit(None)
        self.frame_changed.emit(frame_id)
        frame = self.frame
        if frame is None or not frame.cloud:
            self.cloud_changed.emit()
            return
        path = self._cloud_path(frame)
        boxes = self._boxes_of(frame.id)
        result = (
            self.loader.load_now(frame.id, path, boxes)
            if wait
            else self.loader.request(frame.id, path, boxes)
        )
        if result is not None:
            self._adopt(result)
        else:
            self.cloud_changed.emit()  # nothing to draw until the worker answers

    def step_frame(self, step: int) -> None:
        """Go ``step`` frames forward (negative: back), stopping at the ends."""
        frames = self.frames()
        if not frames:
            return
        position = max(0, min(len(frames) - 1, self.frame_position() + step))
        self.set_frame(frames[position].id)

    def _cloud_path(self, frame: Frame) -> Path:
        assert self.project is not None and frame.cloud
        return self.project.resolve_path(frame.cloud)

    def _cloud_loaded(self, result: LoadedFrame) -> None:
        frame = self.frame
        if frame is None or result.frame_id != frame.id or self.loaded is not None:
            return
        if result.path != self._cloud_path(frame):
            return
        self._adopt(result)

    def _adopt(self, result: LoadedFrame) -> None:
        self.loaded = result
        self.load_ms = result.load_ms
        self.cloud_changed.emit()
        self._prefetch_next()

    def _cloud_failed(self, frame_id: int, message: str) -> None:
        if frame_id == self.frame_id:
            self.cloud_failed.emit(message)

    def _prefetch_next(self) -> None:
        frames = self.frames()
        position = self.frame_position()
        if 0 <= position < len(frames) - 1:
            following = frames[position + 1]
            if following.cloud:
                self.loader.prefetch(following.id, self._cloud_path(following), self._boxes_of(following.id))

    def _boxes_of(self, frame_id: int) -> list[Cuboid]:
        """The frame's cuboids, so the loader can find their points in its worker."""
        assert self.project is not None
        return [a.cuboid for a in self.project.annotations_of(frame_id, "cuboid") if a.cuboid is not None]

    # -- annotations --------------------------------------------------------------------------------
    def cuboids(self) -> list[Annotation]:
        """The current frame's cuboid annotations, in id order."""
        if self.project is None or self.frame_id is None:
            return []
        return self.project.annotations_of(self.frame_id, "cuboid")

    def class_color(self, class_name: str) -> tuple[int, int, int]:
        """The schema colour of a class (grey when the class is unknown)."""
        label_class = None if self.project is None else self.project.schema.get(class_name)
        return UNKNOWN_CLASS_COLOR if label_class is None else label_class.color

    def cuboid_items(self) -> list[CuboidItem]:
        """The visible cuboids of the current frame, ready to draw (uncertain ones flagged)."""
        return [
            CuboidItem(
                annotation.id,
                annotation.cuboid,
                self.class_color(annotation.class_name),
                cuboid_label(annotation) + (" ?" if flagged else ""),
                annotation.is_proposal,
                flagged,
            )
            for annotation in self.cuboids()
            if annotation.class_name not in self.hidden_classes and annotation.cuboid is not None
            for flagged in [self.flags.flagged(annotation)]
        ]

    def points_inside(self, annotation: Annotation) -> int | None:
        """Points of the current cloud inside the annotation's cuboid (None until the cloud is loaded)."""
        cloud = self.cloud
        if cloud is None or annotation.cuboid is None:
            return None
        return len(cloud.inside(annotation.cuboid))

    @property
    def selected(self) -> Annotation | None:
        """The selected annotation record."""
        project = self.project
        return (
            None if project is None or self.selected_id is None else project.annotations.get(self.selected_id)
        )

    def _on_frame(self, annotation_id: int | None) -> bool:
        project = self.project
        return (
            annotation_id is not None
            and project is not None
            and annotation_id in project.annotations
            and project.annotations[annotation_id].frame_id == self.frame_id
        )

    def select(self, annotation_id: int | None) -> None:
        """Select an annotation of the current frame, alone (None: clear)."""
        if not self._on_frame(annotation_id):
            annotation_id = None
        if annotation_id != self.selected_id or self.also_selected:
            self.selected_id = annotation_id
            self.also_selected = ()
            self.selection_changed.emit(annotation_id)

    @property
    def selected_ids(self) -> list[int]:
        """Every selected annotation: the primary one (Properties, handles) first."""
        if self.selected_id is None:
            return []
        return [self.selected_id, *self.also_selected]

    def select_many(self, annotation_ids: list[int]) -> None:
        """Select several annotations of the current frame; the first becomes the primary one."""
        ids = list(dict.fromkeys(i for i in annotation_ids if self._on_frame(i)))
        primary = ids[0] if ids else None
        if primary != self.selected_id or tuple(ids[1:]) != self.also_selected:
            self.selected_id, self.also_selected = primary, tuple(ids[1:])
            self.selection_changed.emit(primary)

    def toggle_selected(self, annotation_id: int | None) -> None:
        """Add an annotation to the selection, or take it out when it is in (Ctrl+click)."""
        if not self._on_frame(annotation_id):
            return
        ids = self.selected_ids
        self.select_many(
            [i for i in ids if i != annotation_id] if annotation_id in ids else [*ids, annotation_id]
        )

    @property
    def active_class(self) -> str | None:
        """The class new boxes get: the one chosen, else the schema's first class (None without classes)."""
        names = [] if self.project is None else self.project.schema.names
        if self._active_class in names:
            return self._active_class
        return names[0] if names else None

    def set_active_class(self, name: str) -> None:
        """Choose the class new boxes get (view state, not project data: no command)."""
        if name and name != self._active_class:
            self._active_class = name
            self.active_class_changed.emit(name)

    def preview_cuboid(self, annotation_id: int, cuboid: Cuboid | None) -> None:
        """Announce a cuboid's live shape during a drag (None when the drag ends); no command, no save."""
        self.cuboid_previewed.emit(annotation_id, cuboid)

    def set_class_hidden(self, class_name: str, hidden: bool) -> None:
        """Hide or show the cuboids of a class in the views."""
        if hidden:
            self.hidden_classes.add(class_name)
        else:
            self.hidden_classes.discard(class_name)
        self.annotations_changed.emit(False)

    # -- project events -----------------------------------------------------------------------------
    def _on_batch(self, changes: Sequence[Change]) -> None:
        frame_changes = [c for c in changes if c.kind == "frame"]
        if frame_changes:
            self.frames_changed.emit()
            if self.frame_id is not None and self.frame is None:  # the current frame was removed
                frames = self.frames()
                self.set_frame(frames[0].id if frames else None)
            elif self.frame_id is None and self.frames():
                self.set_frame(self.frames()[0].id)
            elif any(c.key == self.frame_id and _cloud_moved(c) for c in frame_changes):
                current, self.frame_id = self.frame_id, None
                self.set_frame(current)
        if any(c.kind == "setting" for c in changes):
            self.settings_changed.emit()
        schema = any(c.kind == "schema" for c in changes)
        if schema:
            self.schema_changed.emit()
        touched = [c for c in changes if c.kind == "annotation" and self._on_current_frame(c)]
        if self.also_selected and any(not self._on_frame(i) for i in self.also_selected):
            self.select_many([i for i in self.selected_ids if self._on_frame(i)])
        if self.selected_id is not None and self.selected is None:
            self.select_many([i for i in self.also_selected if self._on_frame(i)])
        if touched or schema:
            selected_touched = any(c.key == self.selected_id for c in touched)
            self.annotations_changed.emit(selected_touched)

    def _on_current_frame(self, change: Change) -> bool:
        return any(
            record is not None and record.frame_id == self.frame_id
            for record in (change.before, change.after)
        )


def cuboid_label(annotation: Annotation) -> str:
    """A cuboid's label in the views: class and track id, or class and score for a proposal."""
    score = annotation.provenance.score
    if annotation.is_proposal and score is not None:
        return f"{annotation.class_name} {score:.2f}"
    if annotation.track_id:
        return f"{annotation.class_name} {annotation.track_id}"
    return annotation.class_name


def _cloud_moved(change: Change) -> bool:
    before, after = change.before, change.after
    return before is not None and after is not None and before.cloud != after.cloud
