"""The Training panel: choose a learnable plugin and the run's options, fine-tune now or after N newly
verified frames, watch the loss and the held-apart scores live, read the job's log, cancel; the list of
model versions with their metrics, Promote / Roll back, and re-scoring of stale proposals.

All work goes through `annotator.qt.models.finetuning.FineTuneController`; edits of the project (the trigger
setting, promotion, rollback) are commands, undoable.
"""

from __future__ import annotations

import logging
import os
import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.core.edits import SetSetting
from annotator.core.model_versions import (
    ModelVersion,
    VersionError,
    current_version,
    model_versions,
)
from annotator.ml.finetune.data import HELD_NEW, HELD_OLD, REPLAY, TRAIN
from annotator.ml.finetune.pipeline import DEFAULT_EVERY, EVERY_SETTING
from annotator.ml.protocol import FitProgress
from annotator.qt.models.finetuning import FineTuneController, trainable_plugins
from annotator.qt.models.parameter_form import ParameterForm
from annotator.qt.models.training_choices import TrainingChoice
from annotator.qt.panels.line_plot import LinePlot

logger = logging.getLogger(__name__)

COLUMNS = ("Version", "Parent", "Created", "Frames", "Old: parent → new", "New: parent → new", "State")
#: Lines kept in the log view.
LOG_LINES = 500


def _spin(low: float, high: float, step: float, tip: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setDecimals(2)
    box.setToolTip(tip)
    return box


def _pair(scores: dict, set_name: str) -> str:
    """``"0.80 → 0.85"`` for one held-apart set, "-" when it was not measured."""
    before = scores.get("parent", {}).get(set_name)
    after = scores.get("candidate", {}).get(set_name)
    if before is None and after is None:
        return "-"
    return f"{'-' if before is None else f'{before:.2f}'} → {'-' if after is None else f'{after:.2f}'}"


class TrainingPanel(QWidget):
    """Options, live plots, log and the version list of the chosen plugin."""

    def __init__(self, controller: FineTuneController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self.controller = controller
        self.document = controller.document
        self._checks = 0
        self._plugins_listed = False
        self._build()
        self.load_choice(controller.choices.last())
        controller.job_started.connect(self._job_started)
        controller.progress.connect(self._progress)
        controller.log_line.connect(self.append_log)
        controller.scores.connect(self._scores)
        controller.job_finished.connect(self._job_finished)
        controller.proposals_renewed.connect(self._update_stale)
        self.document.opened.connect(self.refresh)
        self.document.settings_changed.connect(self.refresh)
        self.document.annotations_changed.connect(lambda _selected: self._update_stale())
        self.refresh()

    # -- building -----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.plugin_box = QComboBox()
        self.plugin_box.setToolTip("Plugins that can be trained (the 'fit' capability)")
        self.replay = _spin(0.0, 0.95, 0.05, "share of older verified frames mixed into training")
        self.held_apart = _spin(0.0, 0.9, 0.05, "share of verified frames kept apart for the forgetting gate")
        self.held_apart_from = QSpinBox()
        self.held_apart_from.setRange(0, 10_000)
        self.held_apart_from.setToolTip(
            "Hold frames apart only once this many are verified; before, every verified frame is trained on "
            "and the gate measures on frames the current version trained on"
        )
        self.tolerance = _spin(0.0, 1.0, 0.01, "how much the held-apart score may drop and still promote")
        self.uncertainty = QCheckBox("Train most on uncertain new frames")
        self.self_training = QCheckBox("Self-training on confident pseudo-labels")
        self.epochs = QSpinBox()
        self.epochs.setRange(0, 1000)
        self.epochs.setSpecialValueText("plugin default")
        self.epochs.setToolTip(
            "Epochs per fine-tuning run; the plugin default is its fine-tuning default when it declares one "
            "(pointpillars: 20)"
        )
        self.threads = QSpinBox()
        self.threads.setRange(1, max(1, os.cpu_count() or 1))
        self.threads.setToolTip("CPU threads of the training process (keep one for the window)")
        self.every = QSpinBox()
        self.every.setRange(0, 10_000)
        self.every.setSpecialValueText("only on demand")
        self.every.setToolTip("Project setting: fine-tune after this many newly verified frames")
        self.parameter_form = ParameterForm(self, hidden=("epochs",))
        self.parameter_form.setToolTip(
            "The plugin's parameters for fine-tuning (its fine-tuning defaults shown)"
        )
        form = QFormLayout()
        for label, widget in (
            ("Plugin", self.plugin_box), ("Replay ratio", self.replay), ("Held apart", self.held_apart),
            ("Hold apart from N verified", self.held_apart_from), ("Gate tolerance", self.tolerance), ("", self.uncertainty), ("", self.self_training),
            ("Epochs", self.epochs), ("Threads", self.threads), ("Fine-tune after N verified", self.every),
            ("Parameters", self.parameter_form),
        ):  # fmt: skip
            form.addRow(label, widget)
        self.start_button = QPushButton("Fine-tune now")
        self.cancel_button = QPushButton("Cancel")
        self.status = QLabel("No job yet")
        self.status.setWordWrap(True)
        self.loss_plot = LinePlot("training loss", "step")
        self.metric_plot = LinePlot("held-apart score", "check")
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(LOG_LINES)
        self.log.setMinimumHeight(60)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setMinimumHeight(90)
        self.promote_button = QPushButton("Promote")
        self.rollback_button = QPushButton("Roll back")
        self.rescore_button = QPushButton("Re-score stale frames")
        self.stale_label = QLabel()

        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        version_buttons = QHBoxLayout()
        for button in (self.promote_button, self.rollback_button, self.rescore_button):
            version_buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.loss_plot)
        layout.addWidget(self.metric_plot)
        layout.addWidget(self.log)
        layout.addWidget(QLabel("Model versions"))
        layout.addWidget(self.table)
        layout.addLayout(version_buttons)
        layout.addWidget(self.stale_label)

        self.plugin_box.currentIndexChanged.connect(self._plugin_changed)
        for box in (self.replay, self.held_apart, self.tolerance):
            box.valueChanged.connect(self._remember)
        for spin in (self.held_apart_from, self.epochs, self.threads):
            spin.valueChanged.connect(self._remember)
        for check in (self.uncertainty, self.self_training):
            check.toggled.connect(self._remember)
        self.every.editingFinished.connect(self._every_edited)
        self.parameter_form.changed.connect(self._remember_parameters)
        self.start_button.clicked.connect(self.controller.start_now)
        self.cancel_button.clicked.connect(self.controller.cancel)
        self.promote_button.clicked.connect(self._make_selected_current)
        self.rollback_button.clicked.connect(self._make_selected_current)
        self.rescore_button.clicked.connect(self.controller.rescore_stale)
        self.table.itemSelectionChanged.connect(self._update_buttons)

    # -- choices ------------------------------------------------------------------------------------
    def choice(self) -> TrainingChoice:
        """What the widgets say now."""
        return TrainingChoice(
            self.plugin_box.currentData() or "", self.replay.value(), self.held_apart.value(),
            self.held_apart_from.value(), self.tolerance.value(), self.uncertainty.isChecked(),
            self.self_training.isChecked(),
            self.epochs.value(), self.threads.value(),
        )  # fmt: skip

    def load_choice(self, choice: TrainingChoice) -> None:
        """Show ``choice`` (without remembering it again)."""
        widgets = (self.replay, self.held_apart, self.held_apart_from, self.tolerance, self.uncertainty,
                   self.self_training, self.epochs, self.threads)  # fmt: skip
        for widget in widgets:
            widget.blockSignals(True)
        self.replay.setValue(choice.replay_ratio)
        self.held_apart.setValue(choice.held_apart)
        self.held_apart_from.setValue(choice.held_apart_from)
        self.tolerance.setValue(choice.tolerance)
        self.uncertainty.setChecked(choice.uncertainty_selection)
        self.self_training.setChecked(choice.self_training)
        self.epochs.setValue(choice.epochs)
        self.threads.setValue(choice.threads)
        for widget in widgets:
            widget.blockSignals(False)

    def refresh_plugins(self) -> None:
        """List the trainable plugins (discovers plugins on first use), the remembered one chosen."""
        remembered = self.controller.choices.last().plugin_id
        manifests = trainable_plugins(self.controller.registry())
        self.plugin_box.blockSignals(True)
        self.plugin_box.clear()
        for manifest in manifests:
            self.plugin_box.addItem(f"{manifest.name} ({manifest.id})", manifest.id)
        index = self.plugin_box.findData(remembered)
        self.plugin_box.setCurrentIndex(max(index, 0))
        self.plugin_box.blockSignals(False)
        self._plugins_listed = True
        if not manifests:
            self.status.setText("No plugin can be trained (none has the 'fit' capability)")
        elif index < 0:
            self._remember()
        self._plugin_changed()

    def showEvent(self, event: QShowEvent) -> None:
        """List the plugins the first time the panel is shown."""
        super().showEvent(event)
        if not self._plugins_listed:
            self.refresh_plugins()

    def _remember(self) -> None:
        if self._plugins_listed:
            self.controller.choices.remember(self.choice())

    def _plugin_changed(self) -> None:
        self._remember()
        plugin = self.plugin_box.currentData()
        has_epochs = False
        manifest = None
        if plugin:
            manifest = self.controller.registry().manifest(plugin)
            has_epochs = any(p.name == "epochs" for p in manifest.parameters)
        self.epochs.setEnabled(has_epochs)
        self.parameter_form.blockSignals(True)
        self.parameter_form.set_manifest(
            manifest,
            self.controller.parameter_memory.values(plugin) if plugin else None,
            manifest.finetune_defaults if manifest is not None else None,
        )
        self.parameter_form.blockSignals(False)
        self.controller.plugin_chosen()
        self.refresh()

    def _remember_parameters(self) -> None:
        plugin = self.plugin_box.currentData()
        if plugin and self.parameter_form.error() is None:
            self.controller.parameter_memory.remember(plugin, self.parameter_form.overrides())

    def _every_edited(self) -> None:
        project = self.document.project
        if project is None:
            return
        value = self.every.value()
        if int(project.settings.get(EVERY_SETTING, DEFAULT_EVERY) or 0) != value:
            self.document.push(SetSetting(EVERY_SETTING, value))

    # -- the job ------------------------------------------------------------------------------------
    def _job_started(self, plugin: str, reason: str) -> None:
        self._checks = 0
        self.loss_plot.clear()
        self.metric_plot.clear()
        self.log.clear()
        self.status.setText(f"Fine-tuning {plugin} ({reason}): starting the training process")
        self._update_buttons()

    def _progress(self, progress: FitProgress) -> None:
        loss = progress.metrics.get("loss")
        if loss is not None:
            self.loss_plot.add_point("loss", progress.step, loss)
        for name, value in progress.metrics.items():
            if name != "loss":
                self.metric_plot.add_point(name, progress.step, value)
        detail = "" if loss is None else f", loss {loss:.4g}"
        self.status.setText(f"Step {progress.step} of {progress.total}{detail} {progress.message}".strip())

    def _scores(self, scores: dict) -> None:
        """Parent scores are check 0, the candidate's the next check."""
        measured = scores.get("candidate") or scores.get("parent") or {}
        for set_name, value in measured.items():
            self.metric_plot.add_point(f"held {set_name}", self._checks, value)
        self._checks += 1

    def append_log(self, line: str) -> None:
        """Add a line to the log view."""
        self.log.appendPlainText(line)

    def _job_finished(self, summary: str) -> None:
        self.status.setText(summary)
        self.append_log(summary)
        self._update_buttons()

    # -- versions -----------------------------------------------------------------------------------
    def versions(self) -> tuple[list[ModelVersion], str | None]:
        """The chosen plugin's versions, oldest first, and the current one's id."""
        project, plugin = self.document.project, self.plugin_box.currentData()
        if project is None or not plugin:
            return [], None
        try:
            current = current_version(project, plugin)
        except VersionError:
            current = None
        return model_versions(project, plugin), None if current is None else current.id

    def refresh(self) -> None:
        """Show the project's trigger setting, the version list and the stale count."""
        project = self.document.project
        self.every.setEnabled(project is not None)
        if project is not None and not self.every.hasFocus():
            self.every.blockSignals(True)
            self.every.setValue(int(project.settings.get(EVERY_SETTING, DEFAULT_EVERY) or 0))
            self.every.blockSignals(False)
        selected = self.selected_version()
        versions, current = self.versions()
        self.table.setRowCount(len(versions))
        for row, version in enumerate(reversed(versions)):
            self._fill_row(row, version, current)
            if version.id == selected:
                self.table.selectRow(row)
        self.table.resizeColumnsToContents()
        self._update_stale()
        self._update_buttons(versions, current)

    def _fill_row(self, row: int, version: ModelVersion, current: str | None) -> None:
        scores = version.metrics.get("scores", {})
        state = (
            "current" if version.id == current else "promoted" if version.gate.get("passed") else "candidate"
        )
        trained, held = len(version.frames(TRAIN, REPLAY)), len(version.frames(HELD_OLD, HELD_NEW))
        cells = (
            version.id, version.parent or "-", time.strftime("%Y-%m-%d %H:%M", time.localtime(version.created)),
            f"{trained} (+{held} held)", _pair(scores, "old"), _pair(scores, "new"), state,
        )  # fmt: skip
        card = "\n".join(f"{name}: {text}" for name, text in version.metrics.get("card", {}).items())
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, version.id)
            if card:
                item.setToolTip(card)
            if version.id == current:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.table.setItem(row, column, item)

    def selected_version(self) -> str | None:
        """The id of the version selected in the list."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _update_buttons(self, versions: list[ModelVersion] | None = None, current: str | None = None) -> None:
        """Enable the buttons for the job state and the selected version (``versions``/``current``: as
        `versions` returns them, when the caller has them already)."""
        running = self.controller.running
        self.start_button.setEnabled(not running and self.document.project is not None)
        self.cancel_button.setEnabled(running)
        if versions is None:
            versions, current = self.versions()
        order = [v.id for v in versions]
        selected = self.selected_version()
        newer = selected in order and (current not in order or order.index(selected) > order.index(current))
        older = selected in order and current in order and order.index(selected) < order.index(current)
        self.promote_button.setEnabled(selected is not None and selected != current and newer)
        self.rollback_button.setEnabled(older)

    def _make_selected_current(self) -> None:
        selected, plugin = self.selected_version(), self.plugin_box.currentData()
        if selected and plugin:
            self.controller.make_current(plugin, selected)

    def _update_stale(self) -> None:
        scored, predicted = self.controller.stale_frames()
        count = len(scored) + len(predicted)
        self.rescore_button.setEnabled(count > 0)
        self.stale_label.setText(
            f"{count} frame(s) hold proposals of another model version (greyed in the review queue)"
            if count
            else "No stale proposals"
        )
