"""Fine-tuning in the window: a `FineTuneJob` (child process) started on demand or after N newly verified
frames, polled from the UI thread by a timer (``poll`` never waits), its result recorded through the
forgetting gate as one undoable step; promote / roll back; re-scoring of proposals that became stale.

The controller owns no widgets: the Training panel (`annotator.qt.panels.training`) listens to its
signals and calls its methods, and so do the window's actions (Models menu).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from annotator.core.errors import AnnotatorError
from annotator.core.model.project import Project
from annotator.core.model.records import Frame, FrameStatus
from annotator.core.model_versions import SetCurrentVersion, VersionError, current_version
from annotator.jobs import JobContext, Outcome
from annotator.ml.finetune.job import FineTuneJob
from annotator.ml.finetune.pipeline import finetune_due, plan_finetune, record_result, stale_annotations
from annotator.ml.finetune.spec import FineTuneResult, FineTuneSpec
from annotator.ml.manifest import PluginManifest
from annotator.ml.registry import PluginRegistry
from annotator.ml.uncertainty.scoring import uncertainty_of
from annotator.qt.app.settings import AppSettings
from annotator.qt.document import Document
from annotator.qt.jobs import QtJobs
from annotator.qt.models.parameter_form import ParameterMemory
from annotator.qt.models.preannotation import PreannotationController
from annotator.qt.models.scoring import ScoringController
from annotator.qt.models.training_choices import TrainingChoice, TrainingChoices

logger = logging.getLogger(__name__)

#: UI time one poll of the job may spend handing over messages (seconds).
POLL_BUDGET = 0.02

#: A plan (or trigger check) answered after the project changed is made again this many times.
REPLANS = 2

#: How often the running job's messages are read (ms): often enough for live plots, cheap for the UI.
POLL_MS = 100


def trainable_plugins(registry: PluginRegistry) -> list[PluginManifest]:
    """The available plugins that can be fine-tuned (the ``fit`` capability)."""
    return [
        e.manifest
        for e in registry.entries()
        if e.available and e.manifest is not None and e.manifest.supports("fit")
    ]


def _plugin_folder(registry: PluginRegistry, plugin_id: str) -> Path | None:
    """The drop-in folder a plugin came from (so the child finds the same one), or None (entry point)."""
    for entry in registry.entries():
        if entry.id == plugin_id and entry.origin.endswith("manifest.json"):
            return Path(entry.origin).parent.parent
    return None


class FineTuneController(QObject):
    """Starts, polls, cancels and records fine-tuning jobs of the open project."""

    #: A status-bar message and how long to show it (ms).
    message = Signal(str, int)
    #: A job started: the plugin id and why ("on demand", "after 5 newly verified frames").
    job_started = Signal(str, str)
    #: The job's latest step (`FitProgress`).
    progress = Signal(object)
    #: A log line of the job.
    log_line = Signal(str)
    #: Held-apart scores: ``{"parent": {"old": .., "new": ..}, "candidate": {...}}``.
    scores = Signal(object)
    #: The job ended: a one-line summary.
    job_finished = Signal(str)
    #: The current version of the chosen plugin changed (promotion, rollback, undo): its id or None.
    current_changed = Signal(object)
    #: Pre-annotation or scoring ended (stale proposals may have been renewed).
    proposals_renewed = Signal()

    def __init__(
        self,
        document: Document,
        settings: AppSettings,
        registry: Callable[[], PluginRegistry],
        preannotation: PreannotationController,
        scoring: ScoringController,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.choices = TrainingChoices(settings)
        #: plugin parameters set in the Training panel, per plugin (the Epochs box wins for ``epochs``)
        self.parameter_memory = ParameterMemory(settings, "training")
        self.registry = registry
        self.preannotation = preannotation
        self.scoring = scoring
        self.job: FineTuneJob | None = None
        self.last_summary = ""
        self._spec: FineTuneSpec | None = None
        self._project: Project | None = None  # the project the job trains for
        self._verified = 0
        self._current: str | None = None
        self._planning = False
        self._cancel_requested = False
        self.jobs = QtJobs(self, name="finetune")
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        for run in (preannotation, scoring):
            run.finished.connect(lambda _summary: self.proposals_renewed.emit())
        document.opened.connect(self._workspace_changed)
        document.frames_changed.connect(self._frames_changed)
        document.settings_changed.connect(self._settings_changed)

    @property
    def running(self) -> bool:
        """True while a job is planned or runs."""
        return self._planning or self.job is not None

    def plugin_id(self) -> str:
        """The plugin chosen in the Training panel ("" when none yet)."""
        return self.choices.last().plugin_id

    # -- running ------------------------------------------------------------------------------------
    def start_now(self) -> bool:
        """Models > Fine-tune now: a job with the remembered choices."""
        return self.start(self.choices.last(), "on demand")

    def start(self, choice: TrainingChoice, reason: str = "on demand") -> bool:
        """Plan a job for ``choice`` in a worker thread (reading every verified frame's labels takes
        ~0.3 s for 1,000 frames), then start it; returns at once, False with a message when it cannot."""
        project = self.document.project
        if project is None:
            self.message.emit("Open a project to fine-tune a model", 5000)
            return False
        if self.running:
            self.message.emit("A fine-tuning job is already running (Cancel it in the Training panel)", 5000)
            return False
        if not choice.plugin_id:
            self.message.emit("Choose a plugin to fine-tune in the Training panel", 5000)
            return False
        try:
            registry = self.registry()
            manifest = registry.manifest(choice.plugin_id)
        except AnnotatorError as error:
            self.message.emit(f"Cannot fine-tune {choice.plugin_id}: {error}", 10_000)
            return False
        has_epochs = any(p.name == "epochs" for p in manifest.parameters)
        folder = _plugin_folder(registry, choice.plugin_id)
        options = choice.options(has_epochs)
        names = {p.name for p in manifest.parameters}
        remembered = {k: v for k, v in self.parameter_memory.values(choice.plugin_id).items() if k in names}
        try:
            checked = manifest.parameter_values(remembered)
        except AnnotatorError as error:
            self.message.emit(f"Cannot fine-tune {choice.plugin_id}: {error}", 10_000)
            return False
        options = dataclasses.replace(options, params={k: checked[k] for k in remembered} | options.params)
        self._planning, self._cancel_requested = True, False
        self.job_started.emit(choice.plugin_id, reason)

        def plan(context: JobContext) -> FineTuneSpec:  # reads the document's snapshot of the project
            folders = None if folder is None else [folder]
            return plan_finetune(
                context.snapshot, manifest, options, plugin_folders=folders, entry_points=folder is None
            )

        self.jobs.submit(
            plan,
            name="plan",
            document=self.document,
            replans=REPLANS,
            on_done=lambda outcome: self._planned(project, outcome, reason),
        )
        return True

    def _planned(self, project: Project, outcome: Outcome, reason: str) -> None:
        """The plan is ready (UI thread): start the child process, unless cancelled or moot."""
        self._planning = False
        spec, error = outcome.result, outcome.error
        if outcome.stale and project is self.document.project:
            error = "the project kept changing while the job was planned; try again"
        if error or spec is None or self._cancel_requested or project is not self.document.project:
            summary = (
                f"Cannot fine-tune: {error}"
                if error
                else "Fine-tuning cancelled before it started; nothing recorded"
            )
            self.last_summary = summary
            self.message.emit(summary, 10_000)
            self.job_finished.emit(summary)
            return
        self._spec, self._project = spec, project
        self.job = FineTuneJob(
            spec,
            on_progress=self.progress.emit,
            on_log=self.log_line.emit,
            on_scores=self.scores.emit,
            on_finished=self._finished_later,
        )
        # starting a spawned child writes the pickled spec into a pipe the child reads only once Python is
        # up (~0.5 s for 1,000 frames): done in a worker thread; polling starts when it returns
        job = self.job
        self.jobs.submit(
            lambda _context: job.start(), name="spawn", on_done=lambda _outcome: self.timer.start()
        )
        self.message.emit(f"Fine-tuning {spec.plugin} -> {spec.version_id} ({reason})", 5000)

    def poll(self) -> None:
        """Hand the job's waiting messages to the signals (never waits; called by the timer); at most
        `POLL_BUDGET` seconds per call, so a burst of queued messages is spread over several ticks."""
        if self.job is not None:
            self.job.poll(budget=POLL_BUDGET)

    def cancel(self) -> None:
        """Ask the job to stop after its current step (nothing is recorded)."""
        self._cancel_requested = self._planning
        if self.job is not None:
            self.job.cancel()
        if self.running:
            self.message.emit("Cancelling fine-tuning after the current step", 5000)

    def shutdown(self) -> None:
        """End the job now (closing the window)."""
        self._cancel_requested = True
        self.jobs.wait()
        if self.job is not None:
            self.job.terminate()

    def _finished_later(self, result: FineTuneResult | None, error: str | None) -> None:
        """The job ended during a poll: record it in an event-loop turn of its own, so that the poll's
        message handling and the record step never add up to one long stall."""
        self.timer.stop()
        QTimer.singleShot(0, self, lambda: self._finished(result, error))

    def _finished(self, result: FineTuneResult | None, error: str | None) -> None:
        self.timer.stop()
        spec, project = self._spec, self._project
        self.job = self._spec = self._project = None
        if spec is None:
            return
        if project is None or project is not self.document.project:
            summary = f"{spec.plugin}: the project was closed while training; nothing recorded"
        elif error is not None:
            summary = f"{spec.plugin}: fine-tuning failed: {error}"
        elif result is None or result.cancelled or result.weights is None:
            summary = f"{spec.plugin}: fine-tuning cancelled; nothing recorded"
        else:
            summary = self._record(project, spec, result)
        logger.info("%s", summary)
        self.last_summary = summary
        self.message.emit(summary, 15_000)
        self.job_finished.emit(summary)

    def _record(self, project: Project, spec: FineTuneSpec, result: FineTuneResult) -> str:
        """The result through the forgetting gate, as one undoable step (on the UI thread)."""
        try:
            version, decision = record_result(self.document.push, project, spec, result)
        except (AnnotatorError, VersionError) as error:
            return f"{spec.plugin}: the new version was not recorded: {error}"
        verdict = "promoted (now current)" if decision.passed else "kept as a candidate"
        return f"{spec.plugin} {version.id} {verdict}: " + "; ".join(decision.reasons)

    # -- versions -----------------------------------------------------------------------------------
    def make_current(self, plugin_id: str, version_id: str) -> bool:
        """Promote or roll back: make a recorded version the current one (one undoable step)."""
        try:
            self.document.push(SetCurrentVersion(plugin_id, version_id))
        except (AnnotatorError, VersionError) as error:
            self.message.emit(f"Cannot use {plugin_id} {version_id}: {error}", 10_000)
            return False
        return True

    def stale_frames(self) -> tuple[list[Frame], list[Frame]]:
        """Frames holding proposals of the chosen plugin made by another version: (scored, only predicted)."""
        project, plugin = self.document.project, self.plugin_id()
        if project is None or not plugin:
            return [], []
        stale = stale_annotations(project, plugin)
        scored = {a.frame_id for a in stale if uncertainty_of(a) is not None}
        predicted = {a.frame_id for a in stale} - scored
        order = project.frames_in_order()
        return [f for f in order if f.id in scored], [f for f in order if f.id in predicted]

    def rescore_stale(self) -> bool:
        """Models > Re-score stale frames: scored frames scored again (the last scoring choices), the
        others pre-annotated again, in the background with the current version."""
        scored, predicted = self.stale_frames()
        plugin = self.plugin_id()
        if not scored and not predicted:
            self.message.emit(f"No stale proposals of {plugin or 'the chosen plugin'}", 5000)
            return False
        if (scored and self.scoring.running) or (predicted and self.preannotation.running):
            self.message.emit("Scoring or pre-annotation is running: try again when it ends", 5000)
            return False
        if scored:
            last = self.scoring.scoring_choices.last()
            self.scoring.score(plugin, scored, last.mode, last.passes, last.min_score)
        if predicted:
            self.preannotation.start(plugin, predicted, self.preannotation.choices.threshold)
        return True

    # -- the automatic trigger ----------------------------------------------------------------------
    def _verified_count(self) -> int:
        project = self.document.project
        if project is None:
            return 0
        return sum(1 for f in project.frames.values() if f.status == FrameStatus.VERIFIED)

    def _frames_changed(self) -> None:
        """A frame was marked verified: start a job when the project's ``finetune_every`` is reached."""
        count, before = self._verified_count(), self._verified
        self._verified = count
        plugin, project = self.plugin_id(), self.document.project
        if count <= before or self.running or not plugin or project is None:
            return
        try:
            manifest = self.registry().manifest(plugin)
        except AnnotatorError as error:
            logger.warning("fine-tuning trigger of %s not checked: %s", plugin, error)
            return
        self.jobs.submit(
            lambda context: finetune_due(context.snapshot, manifest),
            name="due",
            document=self.document,
            replans=REPLANS,
            on_done=self._due_checked,
        )

    def _due_checked(self, outcome: Outcome) -> None:
        """The trigger's check came back (UI thread): start when due and nothing runs."""
        if outcome.ok and outcome.result is True and not self.running:
            self.start(self.choices.last(), "newly verified frames reached the setting")

    def _settings_changed(self) -> None:
        project, plugin = self.document.project, self.plugin_id()
        try:
            current = current_version(project, plugin) if project is not None and plugin else None
        except VersionError:
            current = None
        current_id = None if current is None else current.id
        if current_id != self._current:
            self._current = current_id
            self.current_changed.emit(current_id)

    def _workspace_changed(self) -> None:
        if self.job is not None and self._project is not self.document.project:
            self.job.terminate()
        self._verified = self._verified_count()
        self._current = None
        self._settings_changed()

    def plugin_chosen(self) -> None:
        """The panel changed the plugin: follow its current version from now on."""
        self._current = None
        self._settings_changed()
