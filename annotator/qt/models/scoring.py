"""Models > Score uncertainty: K passes per frame in a worker thread, aggregated, each frame's scored
proposals pushed on the UI thread as one `ScoreProposals` step.

Reuses the pre-annotation machinery (`PreannotationController`: the job on the snapshot, status-bar
progress, Cancel, error reporting); only the per-frame work (`proposer`: sample + aggregate) and the
command differ.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import QDialog, QWidget

from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame
from annotator.ml.preannotate import ReplaceProposals, frame_input
from annotator.ml.registry import PluginRegistry
from annotator.ml.uncertainty.carried_points import CarriedPoints, carried_points, cloud_reader
from annotator.ml.uncertainty.project_escalation import missed_for_frame
from annotator.ml.uncertainty.scoring import CarriedCounts, ScoreProposals, score_inputs, scored_proposals
from annotator.ml.uncertainty.verified_ood import verified_embeddings
from annotator.qt.app.dialog_focus import exec_returning_focus
from annotator.qt.app.settings import AppSettings
from annotator.qt.document import Document
from annotator.qt.models.preannotation import PreannotationController, Propose, fitting_plugins
from annotator.qt.models.score_dialog import ScoreDialog, ScoringChoice, ScoringChoices

logger = logging.getLogger(__name__)


class ScoringController(PreannotationController):
    """Asks what to score with (`ScoreDialog`) and runs it like pre-annotation."""

    activity = "Scoring"
    doing = "Scoring"
    links_tracks = False

    def __init__(
        self,
        document: Document,
        settings: AppSettings,
        plugins: PluginRegistry,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(document, settings, plugins, parent)
        self.scoring_choices = ScoringChoices(settings)
        self.mode = "tta"
        self.passes = 8
        self.missed = True
        #: What each frame's points say of its carried boxes, by frame id: measured in the worker where the
        #: frame's points are read (`carried_points`), taken by the frame's command on the UI thread.
        self._evidence: dict[int, CarriedPoints] = {}
        #: This run's carried boxes: confirmed, to review, of those slid off their object, too sparse to stand.
        self._carried = CarriedCounts()

    def ask(self) -> None:
        """Models > Score uncertainty: choose plugin, mode, K and frames, then score off the UI thread."""
        frames = self.document.frames()
        if not frames:
            self.message.emit("Open a project with frames to score", 5000)
            return
        if self.running:
            self.message.emit("Scoring is already running (Cancel it in the status bar)", 5000)
            return
        fitting, reasons = fitting_plugins(self.registry, frames)
        if not fitting:
            self._show_error("No plugin can score these frames", "\n".join(reasons) or "No plugins found.")
            return
        current = self.document.frame
        last = self.scoring_choices.last()
        if last.plugin_id not in {m.id for m in fitting}:
            preferred = "geometric" if any(m.id == "geometric" for m in fitting) else fitting[0].id
            last = ScoringChoice(preferred, last.mode, last.passes, last.min_score, last.all_frames)
        dialog = ScoreDialog(
            fitting, current.name if current else None, len(frames), last, self._widget, self.parameter_memory
        )
        if exec_returning_focus(dialog) != QDialog.DialogCode.Accepted:
            return
        choice, params = dialog.choice(), dialog.parameters()
        self.scoring_choices.remember(choice)
        self.parameter_memory.remember(choice.plugin_id, params)
        chosen = frames if choice.all_frames or current is None else [current]
        self.score(choice.plugin_id, chosen, choice.mode, choice.passes, choice.min_score, params or None,
                   missed=choice.missed)  # fmt: skip

    def score_again(self) -> bool:
        """Models > Score this frame again: the current frame with the plugin, mode, passes, lowest score and
        parameters chosen last, without the dialog (after propagating into a frame: its carried boxes
        checked, its new objects proposed). False, with a message, when there is nothing to score with yet."""
        current = self.document.frame
        last = self.scoring_choices.last()
        if current is None:
            self.message.emit("Open a project with frames to score", 5000)
            return False
        if not last.plugin_id or last.plugin_id not in {e.id for e in self.registry.entries()}:
            self.message.emit("Score a frame through Models > Score uncertainty... first", 5000)
            return False
        if self.running:
            self.message.emit("Scoring is already running (Cancel it in the status bar)", 5000)
            return False
        params = self.parameter_memory.values(last.plugin_id) or None
        return self.score(
            last.plugin_id, [current], last.mode, last.passes, last.min_score, params, last.missed
        )

    def score(
        self,
        plugin_id: str,
        frames: Sequence[Frame],
        mode: str,
        passes: int,
        min_score: float = 0.1,
        params: dict[str, Any] | None = None,
        missed: bool = True,
    ) -> bool:
        """Score ``frames`` with ``plugin_id`` in ``mode`` with ``passes`` passes (``missed``: also flag
        possible missed objects); False when a run is already going or no project is open."""
        if self.running:
            return False
        self.mode, self.passes, self.missed = mode, passes, missed
        self._carried = CarriedCounts()
        return self.start(plugin_id, frames, min_score, params)

    def counted(self, command: ReplaceProposals) -> None:
        """Count the carried boxes the frame's scoring step checked."""
        if isinstance(command, ScoreProposals):
            self._carried.add(command)

    def more_words(self) -> str:
        """ "; carried boxes: 3 confirmed, 2 to review (1 slid off its object)" when the run checked any."""
        return self._carried.words()

    def proposer(self, plugin_id: str, threshold: float) -> Propose:
        """Each frame sampled K times in this run's mode and aggregated; the objects scoring at least the
        threshold, carrying their uncertainty, and (3D) the possible missed objects: the clusters no box
        explains (`annotator.ml.uncertainty.project_escalation`; called in the worker thread, on the
        snapshot)."""
        registry, mode, passes, flag_missed = self.registry, self.mode, self.passes, self.missed
        evidence = self._evidence

        def propose(project: Project, frame: Frame, values: dict[str, Any]) -> list[Annotation]:
            manifest = registry.manifest(plugin_id)
            model = registry.load(plugin_id)
            inputs = frame_input(project, frame, manifest.task)
            known = verified_embeddings(project, plugin_id, exclude=frame.id)
            found = score_inputs(model, manifest, inputs, values, mode, passes, known=known)
            version = str(model.version)
            proposals = scored_proposals(found, frame.id, plugin_id, version, mode, passes, threshold)
            if manifest.task != "detect3d":
                return proposals
            evidence[frame.id] = carried_points(project, frame.id, inputs.points, cloud_reader(project))
            if not flag_missed:
                return proposals
            missed = missed_for_frame(
                project, frame.id, inputs.points, proposals, manifest.classes, plugin_id, version
            )
            return proposals + missed

        return propose

    def command(self, frame: Frame, proposals: list[Annotation]) -> ScoreProposals:
        """One undoable step per frame: its scored proposals replace the plugin's unreviewed ones."""
        three_d = self.registry.manifest(self._plugin_id).task == "detect3d"
        evidence = self._evidence.pop(frame.id, None)
        return ScoreProposals(frame.id, self._plugin_id, proposals, frame.name, self.mode, three_d, evidence)
