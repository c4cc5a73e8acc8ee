"""Pre-annotation in the app: a plugin runs over frames in a worker thread, and each frame's proposals
enter the project on the UI thread as one undoable, saved step.

The worker loads the plugin (and the project's latest trained weights for it), reads each frame's
points or images and runs the model; it hands each frame's proposals back over a queued signal, and the
controller pushes a `ReplaceProposals` command on the document's undo stack. A progress bar with a
Cancel button sits in the status bar. A plugin that fails to load or run leaves the project as it was
(failed frames get no step) and is reported in a message box naming the frames and the error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from annotator.core.errors import AnnotatorError
from annotator.core.project import Project
from annotator.core.records import Annotation, Frame
from annotator.core.track_linking import LinkTracks
from annotator.io.workspace import Workspace
from annotator.ml.defaults import BUILTIN_DEFAULT_3D, DEFAULT_PLUGIN_SETTING
from annotator.ml.manifest import PluginManifest
from annotator.ml.preannotate import (
    PreannotationSummary,
    ReplaceProposals,
    predict_frame,
    proposals_from_detections,
)
from annotator.ml.protocol import CancelToken
from annotator.ml.registry import PluginRegistry
from annotator.ml.shipped import cards_text
from annotator.ml.weights import load_weights
from annotator.qt.dialog_focus import exec_returning_focus
from annotator.qt.document import Document
from annotator.qt.model_dialogs import ModelChoices, PreannotateDialog
from annotator.qt.parameter_form import ParameterMemory
from annotator.qt.settings import AppSettings
from annotator.qt.status_progress import StatusProgress
from annotator.qt.threads import release_worker
from annotator.render.cloud import PreparedCloud

logger = logging.getLogger(__name__)

#: At most this many failed frames are listed in the error message.
LISTED_FAILURES = 5


def fitting_plugins(
    registry: PluginRegistry, frames: Sequence[Frame]
) -> tuple[list[PluginManifest], list[str]]:
    """The available plugins whose task fits ``frames`` (3D: a frame has a cloud; 2D: images), and why
    each other plugin does not fit."""
    has_cloud = any(frame.cloud for frame in frames)
    has_images = any(frame.images for frame in frames)
    fitting, reasons = [], []
    for entry in registry.entries():
        if not entry.available or entry.manifest is None:
            reasons.append(f"{entry.id}: {entry.reason}")
            continue
        manifest = entry.manifest
        if (manifest.task == "detect3d" and has_cloud) or (manifest.task == "detect2d" and has_images):
            fitting.append(manifest)
        else:
            needs = "point clouds" if manifest.task == "detect3d" else "camera images"
            reasons.append(f"{manifest.id}: needs {needs}, the frames have none")
    return fitting, reasons


class PreannotationWorker(QObject):
    """Runs a plugin over frames; lives in a worker thread and talks only through signals."""

    #: A frame was predicted: the frame record and its proposals (list of `Annotation`).
    frame_done = Signal(object, object)
    #: A frame could not be predicted: the message (naming the frame).
    frame_failed = Signal(str)
    #: How many frames are finished (done or failed).
    progress = Signal(int)
    #: The run ended: a fatal error message (the plugin could not be loaded), or "".
    finished = Signal(str)

    def __init__(
        self,
        registry: PluginRegistry,
        project: Project,
        plugin_id: str,
        frames: Sequence[Frame],
        threshold: float,
        params: dict[str, Any] | None,
        cancel: CancelToken,
        shown_cloud: Callable[[int], PreparedCloud | None] = lambda frame_id: None,
    ) -> None:
        super().__init__()
        self.shown_cloud = shown_cloud
        self.registry = registry
        self.project = project
        self.plugin_id = plugin_id
        self.frames = list(frames)
        self.threshold = threshold
        self.params = params
        self.cancel = cancel

    def run(self) -> None:
        """Load the plugin, then predict frame after frame until done or cancelled."""
        try:
            manifest = self.registry.manifest(self.plugin_id)
            values = manifest.parameter_values(self.params)
            load_weights(self.registry.load(self.plugin_id), manifest, self.project)
        except Exception as error:  # a broken plugin must never take the app down
            logger.warning("pre-annotation with %s cannot start: %s", self.plugin_id, error)
            self.finished.emit(str(error))
            return
        for position, frame in enumerate(self.frames):
            if self.cancel.is_set():
                break
            try:
                proposals = self.propose(frame, values)
            except Exception as error:
                message = str(error)
                if frame.name not in message:
                    message = f"frame {frame.name}: {message}"
                logger.warning("pre-annotation failed: %s", message)
                self.frame_failed.emit(message)
            else:
                self._warm(frame.id, proposals)
                self.frame_done.emit(frame, proposals)
            self.progress.emit(position + 1)
        self.finished.emit("")

    def propose(self, frame: Frame, values: dict[str, Any]) -> list[Annotation]:
        """The frame's proposals (runs in the worker thread; subclasses sample differently)."""
        detections = predict_frame(self.registry, self.plugin_id, self.project, frame, values)
        return proposals_from_detections(detections, frame.id, self.plugin_id, self.threshold)

    def _warm(self, frame_id: int, proposals: list[Annotation]) -> None:
        """Find the points inside the proposals here when their frame is on screen, so that the UI
        thread (object list, highlights) only looks them up."""
        cloud = self.shown_cloud(frame_id)
        if cloud is None:
            return
        try:
            cloud.warm([p.cuboid for p in proposals if p.cuboid is not None])
        except RuntimeError:  # the cache was trimmed on the UI thread meanwhile: it is only a head start
            logger.debug("points-inside warm-up of frame %s skipped", frame_id)


class PreannotationController(QObject):
    """The Models menu's pre-annotation: asks for a plugin and threshold, runs it off the UI thread.

    Subclasses (scoring) reuse the thread, progress and Cancel machinery through `make_worker`,
    `command` and the ``activity`` / ``doing`` words."""

    #: What a run is called in messages ("Pre-annotation with geometric done").
    activity = "Pre-annotation"
    #: The progress bar's label ("Pre-annotating with geometric").
    doing = "Pre-annotating"

    #: Whether a run over several frames links the proposals into tracks afterwards (`LinkTracks`).
    links_tracks = True

    #: A status-bar message and how long to show it (ms).
    message = Signal(str, int)
    #: A run ended: its `PreannotationSummary`.
    finished = Signal(object)

    def __init__(
        self,
        document: Document,
        settings: AppSettings,
        plugins: PluginRegistry,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.choices = ModelChoices(settings)
        self.parameter_memory = ParameterMemory(settings)
        self._registry = plugins
        self._widget = parent
        self.progress = StatusProgress()
        self.progress.cancel_requested.connect(self.cancel)
        self.error_box: QMessageBox | None = None
        self.card_box: QMessageBox | None = None
        self.summary: PreannotationSummary | None = None
        self._thread: QThread | None = None
        self._worker: PreannotationWorker | None = None
        self._cancel: CancelToken | None = None
        self._workspace: Workspace | None = None
        self._plugin_id = ""
        self._frames: list[Frame] = []
        self._total = 0
        document.opened.connect(self._workspace_changed)

    @property
    def registry(self) -> PluginRegistry:
        """The application's plugin host (shared with scoring, the review queue and fine-tuning)."""
        return self._registry

    @property
    def running(self) -> bool:
        """True while a run is in progress."""
        return self._thread is not None

    # -- menu actions -------------------------------------------------------------------------------
    def ask_frame(self) -> None:
        """Models > Pre-annotate frame: choose a plugin and threshold, run it on the current frame."""
        frame = self.document.frame
        if frame is None:
            self.message.emit("Open a project with frames to pre-annotate", 5000)
            return
        self._ask([frame], f"frame {frame.name}")

    def ask_all(self) -> None:
        """Models > Pre-annotate all frames: choose a plugin and threshold, run it on every frame."""
        frames = self.document.frames()
        if not frames:
            self.message.emit("Open a project with frames to pre-annotate", 5000)
            return
        self._ask(frames, f"all {len(frames)} frames")

    def show_model_cards(self) -> None:
        """Models > Model cards: what the shipped weights of each plugin are (data, training, quality)."""
        text = cards_text(self.registry)
        if self.card_box is not None:
            self.card_box.close()
        self.card_box = QMessageBox(QMessageBox.Icon.Information, "Model cards", text, parent=self._widget)
        self.card_box.setObjectName("modelCards")
        self.card_box.open()

    def _ask(self, frames: list[Frame], scope: str) -> None:
        if self.running:
            self.message.emit(f"{self.activity} is already running (Cancel it in the status bar)", 5000)
            return
        fitting, reasons = fitting_plugins(self.registry, frames)
        if not fitting:
            self._show_error(
                "No plugin can pre-annotate these frames", "\n".join(reasons) or "No plugins found."
            )
            return
        ids = {m.id for m in fitting}
        project = self.document.project
        chosen = project.settings.get(DEFAULT_PLUGIN_SETTING) if project is not None else None
        # the project's default 3D plugin when it names one, else the last choice, else the built-in default
        preferred = next(
            (p for p in (chosen, self.choices.plugin, BUILTIN_DEFAULT_3D) if p in ids), fitting[0].id
        )
        dialog = PreannotateDialog(
            fitting, scope, preferred, self.choices.threshold, self._widget, self.parameter_memory
        )
        if exec_returning_focus(dialog) != QDialog.DialogCode.Accepted:
            return
        plugin_id, threshold = dialog.choice()
        params = dialog.parameters()
        self.choices.remember_preannotation(plugin_id, threshold)
        self.parameter_memory.remember(plugin_id, params)
        self.start(plugin_id, frames, threshold, params or None)

    # -- running ------------------------------------------------------------------------------------
    def start(
        self, plugin_id: str, frames: Sequence[Frame], threshold: float, params: dict[str, Any] | None = None
    ) -> bool:
        """Run ``plugin_id`` on ``frames`` in a worker thread; False when a run is already going or no
        project is open."""
        workspace = self.document.workspace
        if self.running or workspace is None or not frames:
            return False
        self._workspace = workspace
        self._plugin_id = plugin_id
        self._frames = list(frames)
        self._total = len(frames)
        self.summary = PreannotationSummary()
        self._cancel = CancelToken()
        self._thread = QThread(self)
        self._thread.setObjectName("preannotation")
        self._worker = self.make_worker(workspace.project, plugin_id, frames, threshold, params)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.frame_done.connect(self._frame_done)
        self._worker.frame_failed.connect(self._frame_failed)
        self._worker.progress.connect(self.progress.advance)
        self._worker.finished.connect(self._worker_finished)
        self.progress.begin(f"{self.doing} with {plugin_id}", len(frames))
        self._thread.start()
        logger.info("%s %d frames with %s (threshold %.2f)", self.doing, len(frames), plugin_id, threshold)
        return True

    def make_worker(
        self,
        project: Project,
        plugin_id: str,
        frames: Sequence[Frame],
        threshold: float,
        params: dict[str, Any] | None,
    ) -> PreannotationWorker:
        """The worker of one run (moved to the run's thread by `start`)."""
        assert self._cancel is not None
        return PreannotationWorker(
            self.registry, project, plugin_id, frames, threshold, params, self._cancel, self._shown_cloud
        )

    def command(self, frame: Frame, proposals: list[Annotation]) -> ReplaceProposals:
        """The undoable step that puts one frame's proposals into the project."""
        return ReplaceProposals(frame.id, self._plugin_id, proposals, frame.name)

    def cancel(self) -> None:
        """Ask the run to stop after the frame being predicted (frames done so far stay, undoable)."""
        if self._cancel is not None:
            self._cancel.cancel()

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Cancel and wait for the worker thread (closing the window)."""
        self.cancel()
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait(timeout_ms)

    def _shown_cloud(self, frame_id: int) -> PreparedCloud | None:
        """The prepared cloud of ``frame_id`` when it is the frame on screen (read by the worker)."""
        loaded = self.document.loaded
        return loaded.cloud if loaded is not None and loaded.frame_id == frame_id else None

    def _current(self) -> bool:
        return self._workspace is not None and self._workspace is self.document.workspace

    def _frame_done(self, frame: Frame, proposals: list[Annotation]) -> None:
        summary = self.summary
        if summary is None or not self._current() or frame.id not in self._workspace.project.frames:
            return
        if self.document.frame_id == frame.id:
            self.document.background_edit.emit()
        command = self.command(frame, proposals)
        try:
            self.document.push(command)
        except AnnotatorError as error:  # e.g. the database cannot be written: stop, keep what is done
            summary.failures.append(f"frame {frame.name}: {error}")
            self.cancel()
            return
        summary.frames_done += 1
        summary.proposals += len(command.added)

    def _frame_failed(self, message: str) -> None:
        if self.summary is not None:
            self.summary.failures.append(message)

    def _worker_finished(self, fatal: str) -> None:
        summary = self.summary or PreannotationSummary()
        summary.cancelled = self._cancel is not None and self._cancel.is_set()
        release_worker(self._thread, self._worker)
        self._thread = self._worker = None
        self.progress.end()
        plugin = self._plugin_id
        if fatal:
            summary.failures.insert(0, fatal)
            self._show_error(
                f"{self.activity} with {plugin} failed", f"{fatal}\n\nThe project was not changed."
            )
        elif summary.failures:
            listed = "\n".join(summary.failures[:LISTED_FAILURES])
            more = len(summary.failures) - LISTED_FAILURES
            if more > 0:
                listed += f"\n... and {more} more"
            self._show_error(
                f"{self.activity} with {plugin} failed on {len(summary.failures)} frame(s)",
                f"{listed}\n\n{summary.frames_done} frame(s) were done; failed frames were not changed.",
            )
        state = "cancelled" if summary.cancelled else "done"
        self.message.emit(
            f"{self.activity} with {plugin} {state}: {summary.proposals} proposals on "
            f"{summary.frames_done} of {self._total} frames"
            + (f", {len(summary.failures)} failed" if summary.failures else "")
            + self._link_tracks(summary),
            15_000,
        )
        self.finished.emit(summary)

    def _link_tracks(self, summary: PreannotationSummary) -> str:
        """Link a sequence run's proposals into tracks (one undoable step); the words for the message."""
        if not self.links_tracks or summary.frames_done < 2 or not self._current():
            return ""
        if self.registry.manifest(self._plugin_id).task != "detect3d":
            return ""
        frames = [f for f in self._frames if f.id in self._workspace.project.frames]
        command = LinkTracks(frames)
        self.document.push(command)
        return f", linked into {command.tracks} tracks"

    def _show_error(self, title: str, text: str) -> None:
        """A window-modal message that does not block the event loop (kept in `error_box`)."""
        if self.error_box is not None:
            self.error_box.close()
        self.error_box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=self._widget)
        self.error_box.setObjectName("preannotationError")
        self.error_box.open()

    def _workspace_changed(self) -> None:
        if self.running and not self._current():
            self.cancel()
