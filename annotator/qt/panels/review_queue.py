"""The review-queue dock: frames and their scored boxes ordered by uncertainty, the flag threshold,
"accept all confident", jumping to the next / previous uncertain box, stale scores, and the plot.

Frame rows show the max / mean / sum of their unreviewed boxes' uncertainty; box rows (below their frame)
the box's uncertainty, score and whether it is flagged or stale. Double-click jumps to the frame and
selects the box. The queue is rebuilt (debounced) after every change to the project; the model versions
that tell stale scores and the ground-truth matching of the plot are computed off the UI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.model.project import Change
from annotator.io.reference_labels import project_reference_labels
from annotator.jobs import JobContext, Outcome
from annotator.ml.registry import PluginRegistry
from annotator.ml.uncertainty.escalation import EscalationRule, sweep
from annotator.ml.uncertainty.escalation_frames import frames_from_scored
from annotator.ml.uncertainty.evaluation import caught_curve, project_errors, scored_cuboids
from annotator.ml.uncertainty.flags import confident_frames_text, frames_reason_text, unreviewed_proposals
from annotator.ml.uncertainty.project_escalation import escalation_plan, missed_snapshot
from annotator.ml.uncertainty.queue import QueueFrame, queue_by_frame, queue_order
from annotator.ml.uncertainty.scoring import uncertainty_of
from annotator.ml.uncertainty.staleness import current_model_versions, scoring_plugins
from annotator.ml.uncertainty.whole_reviews import AcceptConfident
from annotator.qt.document import Document
from annotator.qt.jobs import QtJobs
from annotator.qt.panels.escalation_plot import EscalationPlot
from annotator.qt.panels.queue_model import FRAME_ROLE, ID_ROLE, QueueModel
from annotator.qt.panels.uncertainty_plot import UncertaintyPlot

logger = logging.getLogger(__name__)

#: Weight of the latent distance in the diverse order (`annotator.ml.uncertainty.queue.queue_order`).
DIVERSITY = 1.0

#: Rebuild the queue this long after the last change (coalesces a run of steps).
REBUILD_DELAY_MS = 120
#: Only the most uncertain frames are opened (laying out thousands of rows costs the UI thread).
EXPANDED_FRAMES = 20


def reference_truth(root: Path) -> dict[str, list[tuple[str, Cuboid]]] | None:
    """The project's reference labels (`annotator.io.reference_labels`) as (class, cuboid) per frame name,
    or None when it has none."""
    reference = project_reference_labels(root)
    return None if reference is None else reference.as_classed_cuboids()


class ReviewQueuePanel(QWidget):
    """Scored boxes by uncertainty, with the threshold, accept-all-confident and the uncertainty plot."""

    #: A status-bar message and how long to show it (ms).
    message = Signal(str, int)
    #: The panel selected this box (U / Shift+U, a double-click): the camera follows it, and accept /
    #: reject go on along the uncertain boxes.
    visited = Signal(int)

    def __init__(
        self,
        document: Document,
        registry: Callable[[], PluginRegistry],
        busy: Callable[[], bool] = lambda: False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reviewQueue")
        self.document = document
        self.flags = document.flags
        self._registry = registry
        self._busy = busy
        self.groups: list[QueueFrame] = []
        self.order: list[dict[str, Any]] = []
        self.truth: dict[str, list[tuple[str, Cuboid]]] | None = None
        self.jobs = QtJobs(self, name="review")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REBUILD_DELAY_MS)
        self._timer.timeout.connect(self.rebuild)

        self.threshold_box = QDoubleSpinBox()
        self.threshold_box.setObjectName("flagThreshold")
        self.threshold_box.setRange(0.0, 1.0)
        self.threshold_box.setSingleStep(0.05)
        self.threshold_box.setDecimals(2)
        self.threshold_box.setValue(self.flags.threshold)
        self.threshold_box.setToolTip("Boxes with an uncertainty at or above this are flagged")
        self.accept_button = QPushButton("Accept all confident")
        self.accept_button.setToolTip(
            "Accept every unreviewed scored proposal below the threshold in this frame (one step)"
        )
        self.diverse_box = QCheckBox("Diverse")
        self.diverse_box.setObjectName("diverseOrder")
        self.diverse_box.setToolTip(
            "U / Shift+U walk the boxes by uncertainty and diversity (latent features, k-center greedy), "
            "so near copies of one hard case do not come in a row (boxes scored with embeddings)"
        )
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Check again which model version each plugin would score with now")
        self.summary = QLabel()
        self.model = QueueModel(self.flags)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.tree.header().resizeSection(0, 130)
        self.plot = UncertaintyPlot()
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Flag at >="))
        controls.addWidget(self.threshold_box)
        controls.addWidget(self.accept_button)
        controls.addWidget(self.diverse_box)
        controls.addWidget(self.refresh_button)
        controls.addStretch(1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.tree)
        splitter.addWidget(self.plot)
        self.escalation_plot = EscalationPlot()
        splitter.addWidget(self.escalation_plot)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(controls)
        layout.addWidget(self.summary)
        layout.addWidget(splitter)

        self.threshold_box.valueChanged.connect(self.flags.set_threshold)
        self.plot.threshold_dragged.connect(self.flags.set_threshold)
        self.flags.changed.connect(self._flags_changed)
        self.accept_button.clicked.connect(self.accept_confident)
        self.refresh_button.clicked.connect(self.refresh_versions)
        self.diverse_box.toggled.connect(lambda _on: self.rebuild())
        self.tree.doubleClicked.connect(self.jump_to)
        document.opened.connect(self._opened)
        document.session.events.project.connect(self._project_changed)
        document.settings_changed.connect(self.refresh_versions)
        document.selection_changed.connect(self._show_selection)

    # -- project ------------------------------------------------------------------------------------
    def _opened(self) -> None:
        self.truth = None
        self.plot.set_curves({})
        self.escalation_plot.set_outcomes([])
        root = self.document.session.root
        if root is not None:
            self.jobs.submit(lambda _context: reference_truth(root), name="truth", on_done=self._truth_ready)
        self.rebuild()
        self.refresh_versions()

    def _project_changed(self, changes: Sequence[Change]) -> None:
        if any(change.kind == "annotation" for change in changes):
            self._timer.start()

    def schedule_rebuild(self) -> None:
        """Rebuild the queue shortly (after a run of changes)."""
        self._timer.start()

    # -- the queue ----------------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Read the queue from the project and show it."""
        self._timer.stop()
        project = self.document.project
        self.groups = queue_by_frame(project) if project is not None else []
        self.order = queue_order(self.groups, DIVERSITY if self.diverse_box.isChecked() else 0.0)
        self._fill_tree()
        values = (
            [float(r["uncertainty"]) for a in project.annotations.values() if (r := uncertainty_of(a))]
            if project is not None
            else []
        )
        self.plot.set_values(np.array(values))
        self.plot.set_threshold(self.flags.threshold)
        self.escalation_plot.set_threshold(self.flags.threshold)
        self._update_errors()

    def _fill_tree(self) -> None:
        self.model.set_groups(self.document.project, self.groups)
        for row in range(min(EXPANDED_FRAMES, len(self.groups))):
            self.tree.expand(self.model.index(row, 0))
        self._update_summary()
        self._show_selection(self.document.selected_id)

    def _update_summary(self) -> None:
        project = self.document.project
        threshold = self.flags.threshold
        flagged = sum(1 for item in self.order if item["uncertainty"] >= threshold)
        stale = 0
        if project is not None and self.flags.versions:
            stale = sum(
                1
                for item in self.order
                if (a := project.annotations.get(item["annotation_id"])) is not None and self.flags.stale(a)
            )
        proposals = unreviewed_proposals(project) if project is not None else []
        frames = len({a.frame_id for a in proposals})
        self.summary.setText(
            f"{len(proposals)} unreviewed proposals in {frames} frames; "
            f"{len(self.order)} scored: {flagged} flagged, {stale} stale"
        )

    def box_rows(self) -> list[QModelIndex]:
        """The box rows (column 0) in display order (frames by max uncertainty, boxes most uncertain first)."""
        rows = []
        for frame_row in range(self.model.rowCount()):
            parent = self.model.index(frame_row, 0)
            rows += [self.model.index(k, 0, parent) for k in range(self.model.rowCount(parent))]
        return rows

    def _show_selection(self, annotation_id: object) -> None:
        selection = self.tree.selectionModel()
        selection.blockSignals(True)
        selection.clearSelection()
        if annotation_id is not None:
            for group_row, group in enumerate(self.groups):
                found = next(
                    (k for k, i in enumerate(group.items) if i["annotation_id"] == annotation_id), None
                )
                if found is not None:
                    index = self.model.index(found, 0, self.model.index(group_row, 0))
                    selection.select(
                        index,
                        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
                    )
                    self.tree.scrollTo(index)
                    break
        selection.blockSignals(False)
        self.tree.viewport().update()

    # -- navigation ---------------------------------------------------------------------------------
    def jump_to(self, index: QModelIndex) -> None:
        """Go to the row's frame; a box row also selects its box."""
        frame_id = index.data(FRAME_ROLE)
        if frame_id is None:
            return
        self.document.set_frame(int(frame_id))
        annotation_id = index.data(ID_ROLE)
        if annotation_id is not None:
            self.document.select(int(annotation_id))
            self.visited.emit(int(annotation_id))

    def _flagged(self) -> list[dict[str, Any]]:
        if self._timer.isActive():
            self.rebuild()
        return [item for item in self.order if item["uncertainty"] >= self.flags.threshold]

    def followers(self, annotation_id: int) -> list[tuple[int, int]]:
        """The flagged boxes after ``annotation_id`` in the walk (wrapping around) as (frame id,
        annotation id); all flagged boxes when it is not one of them."""
        flagged = [(item["frame_id"], item["annotation_id"]) for item in self._flagged()]
        ids = [pair[1] for pair in flagged]
        if annotation_id not in ids:
            return flagged
        position = ids.index(annotation_id) + 1
        return flagged[position:] + flagged[: position - 1]

    def step(self, direction: int) -> None:
        """Select the next (1) or previous (-1) flagged box, most uncertain first, across frames."""
        flagged = self._flagged()
        if not flagged:
            self.message.emit(f"No unreviewed box with uncertainty >= {self.flags.threshold:.2f}", 4000)
            return
        ids = [item["annotation_id"] for item in flagged]
        current = self.document.selected_id
        if current in ids:
            position = (ids.index(current) + direction) % len(ids)
        else:
            position = 0 if direction > 0 else len(ids) - 1
        chosen = flagged[position]
        self.document.set_frame(chosen["frame_id"])
        self.document.select(chosen["annotation_id"])
        self.visited.emit(chosen["annotation_id"])

    # -- accepting ----------------------------------------------------------------------------------
    def accept_confident(self, all_frames: bool = False) -> int:
        """Accept every unreviewed scored proposal the escalation rule accepts in the current frame (or in
        all frames) as one undoable step: uncertainty, or P(wrong) once learned from verified frames, below
        the threshold, outside frames to review whole (`escalation_plan`, the rule of ``simulate``); says
        how many on which frames, which frames to review whole or to search for missed objects and why, and
        how many possible missed objects wait; returns how many."""
        project = self.document.project
        if project is None:
            return 0
        frame_id = self.document.frame_id
        scope = None if all_frames or frame_id is None else [frame_id]
        plan = escalation_plan(project, EscalationRule(self.flags.threshold), scope)
        ids = plan.accepted
        measure = "uncertainty" if plan.error_model is None else "P(wrong)"
        if ids or plan.judged:  # with nothing confident the frames were still judged box by box, not whole
            label = (
                f"Accept {len(ids)} confident proposal{'s' if len(ids) != 1 else ''} ({measure} < {self.flags.threshold:.2f})"
                if ids
                else "Judge frames box by box (nothing confident)"
            )
            self.document.push(AcceptConfident(ids, plan.judged, label=label, searched_frames=plan.searched))
        if not ids:
            place = "in any frame" if scope is None else "in this frame"
            text = f"No unreviewed scored proposal below {measure} {self.flags.threshold:.2f} {place}"
        else:
            where = confident_frames_text(project, ids)
            learned = "" if plan.error_model is None else " (P(wrong) learned from the verified frames)"
            text = f"Accepted {len(ids)} confident proposal{'s' if len(ids) != 1 else ''} {where}{learned}"
        for reasons, what in (
            (plan.whole, "to review whole"),
            (plan.searched, "to search for missed objects"),
        ):
            if reasons:
                text += f"; {what}: {frames_reason_text(project, reasons)}"
        if plan.missed_items:
            count = len(plan.missed_items)
            text += f"; {count} possible missed object{'s' if count != 1 else ''} to check"
        self.message.emit(text, 8000)
        return len(ids)

    # -- flags, versions and the plot ---------------------------------------------------------------
    def _flags_changed(self) -> None:
        if abs(self.threshold_box.value() - self.flags.threshold) > 1e-9:
            self.threshold_box.blockSignals(True)
            self.threshold_box.setValue(self.flags.threshold)
            self.threshold_box.blockSignals(False)
        self.plot.set_threshold(self.flags.threshold)
        self.escalation_plot.set_threshold(self.flags.threshold)
        self.model.marks_changed()
        self._update_summary()

    def refresh_versions(self) -> None:
        """Find, off the UI thread, the model version each scoring plugin would use now."""
        project = self.document.project
        if project is None or self._busy():
            return
        plugins = scoring_plugins(project)
        if not plugins:
            self.flags.set_versions({})
            return
        registry = self._registry

        def work(context: JobContext) -> dict:  # reads the document's snapshot, never the live project
            return current_model_versions(context.snapshot, registry(), plugins)

        self.jobs.submit(
            work, name="versions", document=self.document, replans=1, on_done=self._versions_ready
        )

    def _versions_ready(self, outcome: Outcome) -> None:
        if outcome.ok and isinstance(outcome.result, dict):
            self.flags.set_versions(outcome.result)

    def _truth_ready(self, outcome: Outcome) -> None:
        if outcome.error:
            logger.warning("reference labels not read: %s", outcome.error)
        self.truth = outcome.result if isinstance(outcome.result, dict) else None
        self._update_errors()

    def _update_errors(self) -> None:
        project, truth = self.document.project, self.truth
        if project is None or truth is None:
            return
        scored = scored_cuboids(project, truth.keys())
        missed = missed_snapshot(project, truth.keys())
        self.jobs.submit(
            lambda _context: project_errors(scored, truth), name="errors", on_done=self._errors_ready
        )
        self.jobs.submit(
            lambda _context: sweep(frames_from_scored(scored, truth, missed)), name="escalation",
            on_done=self._escalation_ready,
        )  # fmt: skip

    def _escalation_ready(self, outcome: Outcome) -> None:
        result = outcome.result if outcome.ok and isinstance(outcome.result, list) else []
        self.escalation_plot.set_outcomes([o for o in result if o.boxes])

    def _errors_ready(self, outcome: Outcome) -> None:
        errors = outcome.result
        if not outcome.ok or errors is None or not len(errors.wrong):
            self.plot.set_curves({})
            return
        curves = {
            "uncertainty": caught_curve(errors.uncertainty, errors.wrong),
            "score only": caught_curve(1.0 - errors.score, errors.wrong),
        }
        self.plot.set_curves(curves, int(errors.wrong.sum()))
