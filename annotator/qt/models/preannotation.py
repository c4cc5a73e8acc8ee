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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from annotator.core.errors import AnnotatorError
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame
from annotator.core.track_linking import LinkTracks
from annotator.jobs import JobContext, JobHandle, Outcome
from annotator.ml.defaults import BUILTIN_DEFAULT_3D, DEFAULT_PLUGIN_SETTING
from annotator.ml.manifest import PluginManifest
from annotator.ml.preannotate import (
    PreannotationSummary,
    ReplaceProposals,
    predict_frame,
    proposals_from_detections,
)
from annotator.ml.registry import PluginRegistry
from annotator.ml.shipped import cards_text
from annotator.ml.variants import with_variant_precision
from annotator.ml.weights import load_weights
from annotator.qt.app.dialog_focus import exec_returning_focus
from annotator.qt.app.settings import AppSettings
from annotator.qt.app.status_progress import StatusProgress
from annotator.qt.document import Document
from annotator.qt.jobs import QtJobs
from annotator.qt.models.model_dialogs import ModelChoices, PreannotateDialog
from annotator.qt.models.parameter_form import ParameterMemory
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


@dataclass(frozen=True)
class FrameResult:
    """One frame of a run, as the job hands it to the UI thread: its proposals or why it failed."""

    position: int
    frame: Frame
    proposals: list[Annotation] | None = None
    error: str = ""


#: How a run finds one frame's proposals (in the worker, on the snapshot): snapshot, frame, parameter values.
Propose = Callable[[Project, Frame, dict[str, Any]], list[Annotation]]


class PreannotationJob:
    """Runs a plugin over frames of the document's snapshot: a generator job (`annotator.jobs`) that yields
    a `FrameResult` per frame; ``propose`` finds a frame's proposals (scoring samples differently)."""

    def __init__(
        self,
        registry: PluginRegistry,
        plugin_id: str,
        frames: Sequence[Frame],
        params: dict[str, Any] | None,
        propose: Propose,
        shown_cloud: Callable[[int], PreparedCloud | None] = lambda frame_id: None,
    ) -> None:
        self.registry = registry
        self.plugin_id = plugin_id
        self.frames = list(frames)
        self.params = params
        self.propose = propose
        self.shown_cloud = shown_cloud

    def __call__(self, context: JobContext) -> Iterator[FrameResult]:
        """Load the plugin (a failure ends the run with its message), then predict frame after frame; the
        runner stops after the frame being predicted when cancelled."""
        project: Project = context.snapshot
        try:
            manifest = self.registry.manifest(self.plugin_id)
            values = with_variant_precision(
                manifest.parameter_values(self.params), project, manifest, self.params
            )
            load_weights(self.registry.load(self.plugin_id), manifest, project)
        except Exception as error:  # a broken plugin must never take the app down: its words, one line
            logger.warning("pre-annotation with %s cannot start: %s", self.plugin_id, error)
            raise AnnotatorError(str(error)) from error
        for position, frame in enumerate(self.frames):
            try:
                proposals = self.propose(project, frame, values)
            except Exception as error:
                message = str(error)
                if frame.name not in message:
                    message = f"frame {frame.name}: {message}"
                logger.warning("pre-annotation failed: %s", message)
                yield FrameResult(position, frame, error=message)
            else:
                self._warm(frame.id, proposals)
                yield FrameResult(position, frame, proposals)

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

    The run is a `PreannotationJob` on the controller's `QtJobs`, reading the document's snapshot; each
    frame's proposals become one command as they arrive. Subclasses (scoring) reuse the progress and
    Cancel machinery through `proposer`, `command` and the ``activity`` / ``doing`` words."""

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
        self.jobs = QtJobs(self, name="preannotation")
        self._run: JobHandle | None = None
        self._project: Project | None = None  # the project the run was started on
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
        return self._run is not None

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
        project = self.document.project
        if self.running or project is None or not frames:
            return False
        self._project = project
        self._plugin_id = plugin_id
        self._frames = list(frames)
        self._total = len(frames)
        self.summary = PreannotationSummary()
        job = PreannotationJob(
            self.registry, plugin_id, frames, params, self.proposer(plugin_id, threshold), self._shown_cloud
        )
        # each frame's step replaces the plugin's proposals of that frame, right against any later state:
        # the job's own steps move the generation on, so its end is not held against it (no stale guard)
        self._run = self.jobs.submit(
            job,
            name="run",
            document=self.document,
            guard=False,
            on_progress=self._frame_result,
            on_done=self._job_finished,
        )
        self.progress.begin(f"{self.doing} with {plugin_id}", len(frames))
        logger.info("%s %d frames with %s (threshold %.2f)", self.doing, len(frames), plugin_id, threshold)
        return True

    def proposer(self, plugin_id: str, threshold: float) -> Propose:
        """How the run finds a frame's proposals (called in the worker thread, on the snapshot)."""
        registry = self.registry

        def propose(project: Project, frame: Frame, values: dict[str, Any]) -> list[Annotation]:
            detections = predict_frame(registry, plugin_id, project, frame, values)
            return proposals_from_detections(detections, frame.id, plugin_id, threshold)

        return propose

    def command(self, frame: Frame, proposals: list[Annotation]) -> ReplaceProposals:
        """The undoable step that puts one frame's proposals into the project."""
        return ReplaceProposals(frame.id, self._plugin_id, proposals, frame.name)

    def cancel(self) -> None:
        """Ask the run to stop after the frame being predicted (frames done so far stay, undoable)."""
        if self._run is not None:
            self._run.cancel()

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Cancel and wait for the worker (closing the window)."""
        self.cancel()
        self.jobs.wait(timeout_ms)

    def _shown_cloud(self, frame_id: int) -> PreparedCloud | None:
        """The prepared cloud of ``frame_id`` when it is the frame on screen (read by the worker)."""
        loaded = self.document.loaded
        return loaded.cloud if loaded is not None and loaded.frame_id == frame_id else None

    def _current(self) -> bool:
        return self._project is not None and self._project is self.document.project

    def _frame_done(self, frame: Frame, proposals: list[Annotation]) -> None:
        summary = self.summary
        if summary is None or not self._current() or frame.id not in self._project.frames:
            return
        if self.document.frame_id == frame.id:
            self.document.background_edit.emit()
        command = self.command(frame, proposals)
        if self.document.push(command) is None:  # refused (the database cannot be written, a lease, ...):
            summary.failures.append(f"frame {frame.name}: not saved")  # edit_refused says why; stop, keep
            self.cancel()  # what is done
            return
        summary.frames_done += 1
        summary.proposals += len(command.added)
        self.counted(command)

    def counted(self, command: ReplaceProposals) -> None:
        """A frame's step was pushed: a subclass counts what it did for its finished message (`more_words`)."""

    def more_words(self) -> str:
        """What a subclass adds to the finished message (nothing here)."""
        return ""

    def _frame_failed(self, message: str) -> None:
        if self.summary is not None:
            self.summary.failures.append(message)

    def _frame_result(self, result: FrameResult) -> None:
        if result.proposals is None:
            self._frame_failed(result.error)
        else:
            self._frame_done(result.frame, result.proposals)
        self.progress.advance(result.position + 1)

    def _job_finished(self, outcome: Outcome) -> None:
        summary = self.summary or PreannotationSummary()
        summary.cancelled = outcome.cancelled
        fatal = outcome.error
        self._run = None
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
            + self.more_words()
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
        frames = [f for f in self._frames if f.id in self._project.frames]
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
