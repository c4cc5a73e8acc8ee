"""The open project as the views see it: a Qt adapter over the `Session`, plus the current frame's cloud.

The `Session` (Qt-free) holds the project, its undo history and the view state (current frame, selection,
active and hidden classes); `Document` owns one, forwards its events as the Qt signals the views connect
to (views never poll) and keeps what needs Qt: loading the current frame's cloud in a worker, and the
uncertainty flags. Everything in `annotator/qt` reaches the project through the Document or its session.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.model.commands import Command
from annotator.core.model.project import Change, Project
from annotator.core.model.records import Annotation, Frame
from annotator.io.errors import ProjectError
from annotator.io.identity import current_user
from annotator.io.workspace import Workspace
from annotator.qt.frame_loader import FrameLoader, LoadedFrame
from annotator.qt.models.flagging import FlagState
from annotator.render.cloud import PreparedCloud
from annotator.render.cuboids import CuboidItem
from annotator.session import Session

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
    #: `changed_ids` says which annotations the emission is about.
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

    #: The undo history changed (what Edit > Undo / Redo would do).
    history_changed = Signal()
    #: A worker found the points inside boxes whose counts were pending (`points_inside` said None).
    points_found = Signal()

    def __init__(
        self, loader: FrameLoader, parent: QObject | None = None, session: Session | None = None
    ) -> None:
        super().__init__(parent)
        self.loader = loader
        self.session = session or Session()
        self.loaded: LoadedFrame | None = None
        self.load_ms = 0.0
        self._wait = False  # load the next frame's cloud on this thread (headless snapshots)
        #: The current frame's annotations the last `annotations_changed` was about (edited, added or
        #: removed), or None when any of them may look different (flags, hidden classes, the schema).
        self.changed_ids: frozenset[int] | None = None
        self.flags = FlagState(self)
        self.flags.changed.connect(lambda: self._announce_annotations(False))
        loader.loaded.connect(self._cloud_loaded)
        loader.failed.connect(self._cloud_failed)
        events = self.session.events
        events.opened.connect(self._on_opened)
        events.frame.connect(self._on_frame_set)
        events.selection.connect(self.selection_changed.emit)
        events.active_class.connect(self.active_class_changed.emit)
        events.hidden_classes.connect(lambda _name, _hidden: self._announce_annotations(False))
        events.history.connect(self.history_changed.emit)
        events.project.connect(self._on_project_changed)

    # -- the session ---------------------------------------------------------------------------------
    @property
    def workspace(self) -> Workspace | None:
        """The open workspace (entry points and tests; the window edits through the session)."""
        return self.session.workspace

    @property
    def project(self) -> Project | None:
        """The open project, or None."""
        return self.session.project

    @property
    def generation(self) -> int:
        """The session's generation: changes whenever the project does (see `Session.generation`)."""
        return self.session.generation

    def snapshot(self) -> Project | None:
        """A private copy of the open project for a background job (None without one; see
        `Session.snapshot`)."""
        return None if self.session.project is None else self.session.snapshot()

    def open(self, workspace: Workspace, frame_id: int | None = None, wait: bool = False) -> None:
        """Show ``workspace`` (the caller closes any previous one), at ``frame_id`` or the first frame.

        With ``wait`` the frame's cloud is loaded on this thread (headless snapshots).
        """
        self.close()
        if workspace.project.author is None:  # edits in the window are the user's (Provenance.author)
            workspace.project.author = current_user()
        self._wait = wait
        try:
            self.session.open(workspace, frame_id)
        finally:
            self._wait = False

    def close(self) -> Workspace | None:
        """Forget the workspace (it is not closed here); returns it (None when none was open)."""
        workspace = self.session.workspace
        if workspace is not None:
            self.loaded = None
            self.loader.clear()
            self.session.close()
        return workspace

    def push(self, command: Command) -> Command | None:
        """Run a command as one saved, undoable step and return it; a refusal is announced in
        `edit_refused` (the project is left as it was saved) and gives None, as does no open project."""
        if self.session.workspace is None:
            return None
        try:
            return self.session.push(command)
        except ProjectError as error:
            logger.warning("%s", error)
            self.edit_refused.emit(str(error))
            return None

    def group(self, label: str) -> AbstractContextManager[None]:
        """Make the commands pushed inside the block one undoable step (see `Session.group`)."""
        return self.session.group(label)

    def close_merge(self) -> None:
        """End the open drag: the next command starts a new undo step."""
        self.session.close_merge()

    def _on_opened(self) -> None:
        self.opened.emit()
        if self.session.workspace is not None:
            self.frames_changed.emit()

    # -- frames -------------------------------------------------------------------------------------
    def frames(self) -> list[Frame]:
        """Frames in sequence order."""
        return self.session.frames()

    @property
    def frame_id(self) -> int | None:
        """The current frame's id."""
        return self.session.frame_id

    @property
    def frame(self) -> Frame | None:
        """The current frame record."""
        return self.session.frame

    @property
    def cloud(self) -> PreparedCloud | None:
        """The current frame's cloud when loaded."""
        return None if self.loaded is None else self.loaded.cloud

    def frame_position(self) -> int:
        """0-based position of the current frame in the sequence (-1 without one)."""
        return self.session.frame_position()

    def set_frame(self, frame_id: int | None, wait: bool = False) -> None:
        """Make ``frame_id`` current and load its cloud (from the cache at once, else in a worker, or
        on this thread with ``wait``; a file that cannot be read then raises `AnnotatorError`)."""
        if frame_id == self.frame_id and frame_id is not None:
            return
        self.loaded = None
        self.load_ms = 0.0
        self._wait = wait
        try:
            self.session.set_frame(frame_id)
        finally:
            self._wait = False

    def step_frame(self, step: int) -> None:
        """Go ``step`` frames forward (negative: back), stopping at the ends."""
        self.session.step_frame(step)

    def _on_frame_set(self, frame_id: int | None) -> None:
        """The session's current frame changed: announce it and load its cloud."""
        self.loaded = None
        self.load_ms = 0.0
        self.frame_changed.emit(frame_id)
        frame = self.frame
        if frame is None or not frame.cloud:
            self.cloud_changed.emit()
            return
        path = self._cloud_path(frame)
        boxes = self._boxes_of(frame.id)
        result = (
            self.loader.load_now(frame.id, path, boxes)
            if self._wait
            else self.loader.request(frame.id, path, boxes)
        )
        if result is not None:
            self._adopt(result)
        else:
            self.cloud_changed.emit()  # nothing to draw until the worker answers

    def _cloud_path(self, frame: Frame) -> Path:
        assert self.project is not None and frame.cloud
        return self.project.resolve_path(frame.cloud)

    def _cloud_loaded(self, result: LoadedFrame) -> None:
        frame = self.frame
        if frame is None or result.frame_id != frame.id:
            return
        if self.loaded is not None and (result.cloud.partial or not self.loaded.cloud.partial):
            return  # only the whole cloud replaces its preview
        if result.path != self._cloud_path(frame):
            return
        self._adopt(result)

    def _adopt(self, result: LoadedFrame) -> None:
        self.loaded = result
        self.load_ms = result.load_ms
        self.cloud_changed.emit()
        if not result.cloud.partial:  # the next frame is read once this one is whole, not beside it
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
        return self.session.cuboids()

    def class_color(self, class_name: str) -> tuple[int, int, int]:
        """The schema colour of a class (grey when the class is unknown)."""
        label_class = None if self.project is None else self.project.schema.get(class_name)
        return UNKNOWN_CLASS_COLOR if label_class is None else label_class.color

    def cuboid_items(self) -> list[CuboidItem]:
        """The visible cuboids of the current frame, ready to draw (uncertain ones flagged)."""
        colors: dict[str, tuple[int, int, int]] = {}  # the schema is searched once per class, not per box
        return [
            CuboidItem(
                annotation.id,
                annotation.cuboid,
                colors.get(annotation.class_name)
                or colors.setdefault(annotation.class_name, self.class_color(annotation.class_name)),
                cuboid_label(annotation) + (" ?" if flagged else ""),
                annotation.is_proposal,
                flagged,
            )
            for annotation in self.cuboids()
            if annotation.class_name not in self.hidden_classes and annotation.cuboid is not None
            for flagged in [self.flags.flagged(annotation)]
        ]

    def points_inside(self, annotation: Annotation) -> int | None:
        """Points of the current cloud inside the annotation's cuboid (None until the whole cloud is
        loaded, or while a worker finds them: a large cloud's box whose points are not known at once,
        `PreparedCloud.inside_at_once`, is counted by the views' workers, then `points_found`): the window's
        thread never queries the cloud's index for a count (a car of a 100M-point cloud holds 300k points:
        30-140 ms each, seconds for a frame's 35 new boxes)."""
        cloud = self.cloud
        if (
            cloud is None
            or cloud.partial
            or annotation.cuboid is None
            or not cloud.inside_at_once(annotation.cuboid)
        ):
            return None
        return len(cloud.inside(annotation.cuboid))

    @property
    def selected(self) -> Annotation | None:
        """The selected annotation record."""
        return self.session.selected

    @property
    def selected_id(self) -> int | None:
        """The primary selected annotation's id."""
        return self.session.selected_id

    @property
    def also_selected(self) -> tuple[int, ...]:
        """More boxes selected with Ctrl+click or the band."""
        return self.session.also_selected

    @property
    def selected_ids(self) -> list[int]:
        """Every selected annotation: the primary one (Properties, handles) first."""
        return self.session.selected_ids

    def select(self, annotation_id: int | None) -> None:
        """Select an annotation of the current frame, alone (None: clear)."""
        self.session.select(annotation_id)

    def select_many(self, annotation_ids: list[int]) -> None:
        """Select several annotations of the current frame; the first becomes the primary one."""
        self.session.select_many(annotation_ids)

    def toggle_selected(self, annotation_id: int | None) -> None:
        """Add an annotation to the selection, or take it out when it is in (Ctrl+click)."""
        self.session.toggle_selected(annotation_id)

    @property
    def active_class(self) -> str | None:
        """The class new boxes get: the one chosen, else the schema's first class (None without classes)."""
        return self.session.active_class

    def set_active_class(self, name: str) -> None:
        """Choose the class new boxes get (view state, not project data: no command)."""
        self.session.set_active_class(name)

    @property
    def hidden_classes(self) -> frozenset[str]:
        """The classes whose cuboids the views leave out."""
        return self.session.hidden_classes

    def preview_cuboid(self, annotation_id: int, cuboid: Cuboid | None) -> None:
        """Announce a cuboid's live shape during a drag (None when the drag ends); no command, no save."""
        self.cuboid_previewed.emit(annotation_id, cuboid)

    def set_class_hidden(self, class_name: str, hidden: bool) -> None:
        """Hide or show the cuboids of a class in the views."""
        self.session.set_class_hidden(class_name, hidden)

    # -- project events -----------------------------------------------------------------------------
    def _on_project_changed(self, changes: Sequence[Change]) -> None:
        """A saved step (the session already moved the frame and the selection off removed records)."""
        frame_changes = [c for c in changes if c.kind == "frame"]
        if frame_changes:
            self.frames_changed.emit()
            if any(c.key == self.frame_id and _cloud_moved(c) for c in frame_changes):
                self._on_frame_set(self.frame_id)  # the current frame's cloud is another file now
        if any(c.kind in ("setting", "model_version") for c in changes):  # versions show with the settings
            self.settings_changed.emit()
        schema = any(c.kind == "schema" for c in changes)
        if schema:
            self.schema_changed.emit()
        touched = [c for c in changes if c.kind == "annotation" and self._on_current_frame(c)]
        if touched or schema:
            selected_touched = any(c.key == self.selected_id for c in touched)
            self._announce_annotations(
                selected_touched, None if schema else frozenset(c.key for c in touched)
            )

    def _announce_annotations(self, selected_touched: bool, ids: frozenset[int] | None = None) -> None:
        """Emit `annotations_changed` about ``ids`` (None: about every annotation of the frame)."""
        self.changed_ids = ids
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
