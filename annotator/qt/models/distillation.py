"""Models > Distil student: the plugin's distillation as a background job, with progress and Cancel.

A dialog asks which project frames the student learns from beside the generated ones (the verified frames,
also the unverified ones as soft targets, or none) and its epochs. A worker thread reads those frames from
the document's snapshot and runs the plugin's
distillation in a child process (`annotator.ml.distill_process`); steps arrive in the status bar's
progress bar; Cancel stops the child after its current step (finished epochs are kept: the next run
resumes). The finished student is recorded as a model version on the UI thread (one undoable, saved step)
and can then be chosen in Models > Model version > student.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QWidget

from annotator.core.model.project import Project
from annotator.core.model.records import FrameStatus
from annotator.jobs import JobContext, JobHandle, Outcome
from annotator.ml.distill import (
    DistillResult,
    distiller_name,
    finished,
    record_student,
    student_file,
    unverified_frames,
    verified_frames,
)
from annotator.ml.distill_process import distill_in_child
from annotator.ml.registry import PluginRegistry
from annotator.qt.app.dialog_focus import exec_returning_focus
from annotator.qt.app.settings import AppSettings
from annotator.qt.app.status_progress import StatusProgress
from annotator.qt.document import Document
from annotator.qt.jobs import QtJobs
from annotator.qt.models.distill_dialog import DistillChoices, DistillDialog

logger = logging.getLogger(__name__)

#: The plugin distilled from the menu (the one whose variants Models > Model version lists).
PLUGIN = "pointpillars"


class DistillController(QObject):
    """Starts, follows, cancels and records a distillation run of the open project."""

    message = Signal(str, int)
    #: A run ended: its `DistillResult` (None when it failed or was cancelled).
    finished = Signal(object)

    def __init__(
        self,
        document: Document,
        plugins: PluginRegistry,
        app_settings: AppSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self._registry = plugins
        self.choices = DistillChoices(app_settings)
        self._parent = parent
        self.settings: dict[str, Any] = {}
        #: Which project frames the run learns from (a `DistillChoice.frames`).
        self.frames = "verified"
        self.progress = StatusProgress()
        self.progress.cancel_requested.connect(self.cancel)
        self.jobs = QtJobs(self, name="distill")
        self._run: JobHandle | None = None
        self._project: Project | None = None

    @property
    def running(self) -> bool:
        """True while a run is in progress."""
        return self._run is not None

    def ask(self) -> None:
        """Models > Distil student...: choose the project frames and epochs, then start."""
        project = self.document.project
        if self.running or project is None or project.root is None:
            self.start()  # says why not
            return
        statuses = [frame.status for frame in project.frames_in_order()]
        verified = sum(status == FrameStatus.VERIFIED for status in statuses)
        counts = {
            "verified": f"{verified} frames",
            "all": f"{verified} + {len(statuses) - verified} frames",
            "none": "no project frames",
        }
        dialog = DistillDialog(PLUGIN, counts, self.choices.last(), self._parent)
        if exec_returning_focus(dialog) != QDialog.DialogCode.Accepted:
            return
        choice = dialog.choice()
        self.choices.remember(choice)
        self.start(choice.settings(), choice.frames)

    def start(self, settings: dict[str, Any] | None = None, frames: str | None = None) -> bool:
        """Start a run with the plugin's defaults (or ``settings``) on the project frames ``frames`` (a
        `DistillChoice.frames`; the last ones when None); False when one is running, no project is open or
        the plugin offers no distillation."""
        if self.running:
            self.message.emit("Distillation is already running (Cancel it in the status bar)", 5000)
            return False
        project = self.document.project
        if project is None or project.root is None:
            self.message.emit("Open a project (a folder) to distil a student into", 5000)
            return False
        try:
            manifest = self._registry.manifest(PLUGIN)
            name = distiller_name(manifest)
        except Exception as error:  # no such plugin, or it offers no distillation: say so, one line
            self.message.emit(str(error), 8000)
            return False
        self.settings = dict(settings if settings is not None else self.settings)
        self.frames = frames or self.frames
        self._project = project
        self.progress.begin(f"Distilling a {PLUGIN} student", 1)
        frames_now = self.frames
        self._run = self.jobs.submit(
            lambda context: self._work(context, name, manifest, self.settings, frames_now),
            name="distill", document=self.document, guard=False,
            on_progress=self._on_step, on_done=self._done,
        )  # fmt: skip
        self.message.emit(
            f"Distilling a {PLUGIN} student in the background (Models > Cancel distillation)", 5000
        )
        return True

    def cancel(self) -> None:
        """Stop the run after the child's current step (the finished epochs are kept for a resume)."""
        if self._run is not None:
            self.jobs.cancel("distill")

    def shutdown(self, msecs: int = 30_000) -> None:
        """Stop and wait (closing the window)."""
        self.jobs.shutdown(msecs)

    @staticmethod
    def _work(
        context: JobContext, name: str, manifest: Any, settings: dict[str, Any], frames: str
    ) -> DistillResult:
        started = time.perf_counter()
        project: Project = context.snapshot
        labelled = [] if frames == "none" else verified_frames(project, manifest)
        soft = unverified_frames(project, manifest) if frames == "all" else []
        logger.info("distilling on %d verified and %d unverified frames", len(labelled), len(soft))
        out = student_file(project, manifest.id)
        card = distill_in_child(
            name, out, None, labelled + soft, settings, context.token, logger.info, context.progress
        )
        return finished(out, card, len(labelled), time.perf_counter() - started)

    def _on_step(self, step: tuple[int, int, dict[str, float]]) -> None:
        done, total, metrics = step
        if self.progress.bar.maximum() != total:
            self.progress.begin(f"Distilling a {PLUGIN} student", total)
        self.progress.advance(done)
        self.progress.setToolTip(", ".join(f"{k} {v:.3f}" for k, v in metrics.items()))

    def _done(self, outcome: Outcome) -> None:
        self._run = None
        self.progress.end()
        result: DistillResult | None = outcome.result if outcome.ok else None
        if outcome.error:
            self.message.emit(f"Distillation failed: {outcome.error}", 15000)
        elif result is None or result.card is None:
            self.message.emit(
                "Distillation stopped: its finished epochs are kept, the next run resumes", 10000
            )
            result = None
        elif (
            self.document.project is None
            or self._project is None
            or self.document.project.root != self._project.root
        ):
            self.message.emit("Distillation finished after its project was closed: not recorded", 10000)
            result = None
        else:
            command = self.document.push(record_student(self.document.project, PLUGIN, result))
            version = getattr(command, "version", None)
            self.message.emit(
                f"Student {getattr(version, 'id', '')} recorded: choose it in Models > Model version > student",
                15000,
            )
        self.finished.emit(result)
