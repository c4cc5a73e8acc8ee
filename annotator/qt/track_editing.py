"""Frames and tracks in the window: copy or propagate cuboids to the next frame, interpolate a track,
keep a track consistent. The handlers behind the Tracks menu; the planning is `annotator.core.tracks`.

After a copy or propagation the window moves to the next frame and selects the copy of the selected
cuboid, ready for a correction. A track with one keyframe has no velocity: propagating it searches the
next frame's points for the object (`annotator.core.carry.search_box`). With "Re-fit propagated boxes"
on, each predicted box is moved onto the next frame's points (`annotator.core.cuboids.box_fit.refit_keep_size`);
that frame's cloud comes from the loader: from its cache at once, else the propagation waits for the loader's
worker to read the whole cloud (a large next frame is prefetched as page cache only, and reading it on the
window's thread froze the window for seconds at 10M points). "Copy from previous frame" fills
the current frame with the previous frame's boxes. Actions that need a selected cuboid are disabled
without one (`bind_actions`).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction

from annotator.core.carry import search_box
from annotator.core.cuboids.box_fit import points_outside, refit_keep_size
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.static_tracks import SetStatic, is_static
from annotator.core.track_linking import LinkTracks
from annotator.core.tracks import TrackEdit, frame_after, harmonize_track, interpolate_track, propagate
from annotator.qt.app.settings import AppSettings
from annotator.qt.document import Document
from annotator.qt.frame_loader import LoadedFrame

logger = logging.getLogger(__name__)

MESSAGE_MS = 5000
REFIT_KEY = "tracks/refit_propagated"
#: Tracks actions that work on the selected cuboid (disabled without one).
NEEDS_SELECTION = ("tracks.copy", "tracks.propagate", "tracks.interpolate", "tracks.harmonize")


class TrackEditor(QObject):
    """Handlers of the Tracks menu (``"tracks.propagate"``) for a document."""

    #: A message for the status bar and how long to show it (ms).
    message = Signal(str, int)

    def __init__(self, document: Document, settings: AppSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.settings = settings
        #: A propagation waiting for its target frame's cloud: (source frame, target frame, the cuboids
        #: to carry, with_motion, refit).
        self._waiting: tuple[int, int, list[int], bool, bool] | None = None
        document.loader.loaded.connect(self._cloud_loaded)
        document.loader.failed.connect(self._cloud_failed)

    @property
    def refit(self) -> bool:
        """Whether propagated boxes are moved onto the next frame's points (kept in the user settings)."""
        value = self.settings.qsettings.value(REFIT_KEY, False)
        return value if isinstance(value, bool) else str(value).lower() in ("1", "true")

    def set_refit(self, on: bool) -> None:
        """Tracks > Re-fit propagated boxes."""
        self.settings.qsettings.setValue(REFIT_KEY, bool(on))

    def bind_actions(self, actions: dict[str, QAction]) -> None:
        """Keep the Tracks actions that need a selected cuboid (or a previous frame) enabled only then."""

        def update(*_: object) -> None:
            selected = self.document.selected
            has_cuboid = selected is not None and selected.cuboid is not None
            for action_id in NEEDS_SELECTION:
                if action_id in actions:
                    actions[action_id].setEnabled(has_cuboid)
            if "tracks.copy_previous" in actions:
                actions["tracks.copy_previous"].setEnabled(self._previous_frame() is not None)

        self.document.selection_changed.connect(update)
        self.document.frame_changed.connect(update)
        self.document.opened.connect(update)
        update()

    def _previous_frame(self):
        project, frame = self.document.project, self.document.frame
        if project is None or frame is None:
            return None
        return frame_after(project, frame.id, -1)

    def copy_from_previous(self) -> None:
        """Tracks > Copy from previous frame: the previous frame's cuboids into this frame, unchanged
        (a track that has a keyframe here already is left alone)."""
        project, previous = self.document.project, self._previous_frame()
        if project is None or previous is None:
            self.message.emit("This is the first frame: there is no previous frame to copy from", MESSAGE_MS)
            return
        ids = [a.id for a in project.annotations_of(previous.id, "cuboid")]
        if not ids:
            self.message.emit(f"Frame {previous.name} has no cuboids to copy", MESSAGE_MS)
            return
        self._push(propagate(project, ids, with_motion=False))

    # -- copy and propagate -------------------------------------------------------------------------
    def _targets(self, everything: bool) -> list[int]:
        if everything:
            return [a.id for a in self.document.cuboids()]
        selected = self.document.selected
        if selected is None or selected.cuboid is None:
            self.message.emit("Select a cuboid first (or use the 'all cuboids' entry)", MESSAGE_MS)
            return []
        return self.document.selected_ids

    def copy(self, everything: bool = False) -> None:
        """Copy the selected (or every) cuboid to the next frame unchanged."""
        self._propagate(everything, with_motion=False, refit=False)

    def propagate(self, everything: bool = False) -> None:
        """Propagate with constant velocity (and re-fit when that option is on)."""
        self._propagate(everything, with_motion=True, refit=self.refit)

    def _propagate(self, everything: bool, with_motion: bool, refit: bool) -> None:
        self._propagate_ids(self._targets(everything), with_motion, refit)

    def _propagate_ids(self, ids: list[int], with_motion: bool, refit: bool) -> None:
        project = self.document.project
        frame = self.document.frame
        if project is None or frame is None or not ids:
            return
        target = frame_after(project, frame.id)
        if target is None:
            self.message.emit("This is the last frame", MESSAGE_MS)
            return
        if (refit or with_motion) and not self._cloud_ready(target.id):
            self._waiting = (frame.id, target.id, ids, with_motion, refit)
            self.message.emit(f"Reading frame {target.name} to propagate onto it...", MESSAGE_MS)
            return
        selected = self.document.selected
        fitter = self._refitter(target.id) if refit else None
        searcher = self._searcher(target.id) if with_motion else None
        edit = propagate(project, ids, with_motion=with_motion, refit=fitter, search=searcher)
        self._push(edit)
        if edit.command is None:
            return
        self.document.set_frame(target.id)
        if selected is not None and selected.track_id is not None:
            copy = next((a for a in self.document.cuboids() if a.track_id == selected.track_id), None)
            self.document.select(copy.id if copy is not None else None)

    def _cloud_ready(self, frame_id: int) -> bool:
        """True when frame ``frame_id`` has no cloud or its whole cloud is in the loader's cache; else
        its loading is requested (`_cloud_loaded` goes on)."""
        project = self.document.project
        frame = project.frames.get(frame_id) if project is not None else None
        if frame is None or not frame.cloud:
            return True
        return self.document.loader.request(frame_id, project.resolve_path(frame.cloud)) is not None

    def _cloud_loaded(self, result: LoadedFrame) -> None:
        """The waiting propagation goes on once its target's whole cloud is read, if the user is still on
        the frame it started from (with the cuboids chosen then that still exist)."""
        waiting, project, frame = self._waiting, self.document.project, self.document.frame
        if waiting is None or result.frame_id != waiting[1] or result.cloud.partial:
            return
        self._waiting = None
        source, _, ids, with_motion, refit = waiting
        if project is not None and frame is not None and frame.id == source:
            self._propagate_ids([i for i in ids if i in project.annotations], with_motion, refit)

    def _cloud_failed(self, frame_id: int, message: str) -> None:
        if self._waiting is not None and frame_id == self._waiting[1]:
            self._waiting = None
            self.message.emit(f"Cannot propagate: {message}", MESSAGE_MS)

    def _searcher(self, frame_id: int):
        """A function looking for a box's object in frame ``frame_id``'s points, its shape taken from the
        current frame's points (None without both clouds)."""
        project, source = self.document.project, self.document.cloud
        target = self._cloud_of(frame_id)
        if project is None or source is None or target is None:
            return None
        others = [a.cuboid for a in project.annotations_of(frame_id, "cuboid")]

        def search(cuboid: Cuboid) -> Cuboid:
            return search_box(
                cuboid, target.xyz, others, source_points=source.xyz[source.indices_near(cuboid, 0.5)]
            )

        return search

    def _cloud_of(self, frame_id: int):
        """Frame ``frame_id``'s prepared cloud from the loader's cache (see `_cloud_ready`), or None."""
        project = self.document.project
        frame = project.frames[frame_id] if project is not None else None
        if frame is None or not frame.cloud:
            return None
        loaded = self.document.loader.cached(frame_id, project.resolve_path(frame.cloud))
        return loaded.cloud if loaded is not None else None

    def _refitter(self, frame_id: int):
        """A function moving a predicted box onto frame ``frame_id``'s points (None without a cloud)."""
        project, cloud = self.document.project, self._cloud_of(frame_id)
        if project is None or cloud is None:
            return None
        others = [a.cuboid for a in project.annotations_of(frame_id, "cuboid")]

        def refit(cuboid: Cuboid) -> Cuboid:
            near = points_outside(cloud.xyz[cloud.indices_near(cuboid, 1.0)], others)
            return refit_keep_size(cuboid, near)

        return refit

    # -- tracks ---------------------------------------------------------------------------------------
    def _selected_track(self) -> int | None:
        selected = self.document.selected
        if selected is None or selected.track_id is None:
            self.message.emit("Select a cuboid of the track first", MESSAGE_MS)
            return None
        return selected.track_id

    def interpolate(self) -> None:
        """Fill the frames between the selected track's keyframes."""
        project = self.document.project
        track = self._selected_track()
        if project is not None and track is not None:
            self._push(interpolate_track(project, track))

    def harmonize(self) -> None:
        """Give the selected track one class and one size: those of the selected cuboid."""
        project = self.document.project
        track = self._selected_track()
        if project is not None and track is not None:
            self._push(harmonize_track(project, track, self.document.selected_id))

    def toggle_static(self) -> None:
        """Tracks > Mark track static / moving: flips the selected track's static flag (undoable)."""
        project = self.document.project
        track = self._selected_track()
        if project is None or track is None:
            return
        command = SetStatic(track, not is_static(project, track))
        self.document.push(command)
        self.message.emit(command.label, MESSAGE_MS)

    def link_proposals(self) -> None:
        """Tracks > Link proposals into tracks: every frame's model proposals linked across the sequence
        (world frame when the frames carry poses), one undoable step; accepted proposals keep the ids."""
        frames = self.document.frames()
        if len(frames) < 2:
            self.message.emit("Linking needs a sequence of at least two frames", MESSAGE_MS)
            return
        command = LinkTracks(frames)
        self.document.push(command)
        where = "world" if command.world else "sensor"
        self.message.emit(
            f"Linked {command.linked} proposals into {command.tracks} tracks ({where} frame)", MESSAGE_MS
        )

    def _push(self, edit: TrackEdit) -> None:
        if edit.command is not None:
            self.document.push(edit.command)
            text = edit.command.label
            if edit.skipped:
                text += f"; {len(edit.skipped)} left alone ({edit.skipped[0][1]})"
            self.message.emit(text, MESSAGE_MS)
        elif edit.skipped:
            self.message.emit(f"Nothing done: {edit.skipped[0][1]}", MESSAGE_MS)
