"""Dialogs of the Models menu: which plugin, score threshold and plugin parameters to pre-annotate with, and
the threshold (and scope) of "Accept all above threshold". The last choices are remembered in the settings."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from annotator.core.model.project import Project
from annotator.core.review import proposals_above
from annotator.ml.manifest import PluginManifest
from annotator.qt.app.settings import AppSettings
from annotator.qt.models.parameter_form import ParameterForm, ParameterMemory

logger = logging.getLogger(__name__)


def _float(value: object, default: float) -> float:
    try:
        return default if value is None else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


class ModelChoices:
    """The Models menu's remembered choices, kept in the application settings."""

    def __init__(self, settings: AppSettings) -> None:
        self._settings = settings.qsettings

    @property
    def plugin(self) -> str | None:
        """The plugin last used for pre-annotation."""
        value = self._settings.value("models/plugin")
        return str(value) if value else None

    @property
    def threshold(self) -> float:
        """The score threshold last used for pre-annotation."""
        return _float(self._settings.value("models/threshold"), 0.3)

    def remember_preannotation(self, plugin_id: str, threshold: float) -> None:
        """Keep the plugin and threshold for next time."""
        self._settings.setValue("models/plugin", plugin_id)
        self._settings.setValue("models/threshold", float(threshold))

    @property
    def accept_threshold(self) -> float:
        """The threshold last used by "Accept all above threshold"."""
        return _float(self._settings.value("models/accept_threshold"), 0.7)

    @property
    def accept_all_frames(self) -> bool:
        """Whether "Accept all above threshold" last covered every frame."""
        return str(self._settings.value("models/accept_all_frames", "false")).lower() in ("1", "true")

    def remember_accept(self, threshold: float, all_frames: bool) -> None:
        """Keep the accept threshold and scope for next time."""
        self._settings.setValue("models/accept_threshold", float(threshold))
        self._settings.setValue("models/accept_all_frames", bool(all_frames))


def _threshold_box(value: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.0, 1.0)
    box.setSingleStep(0.05)
    box.setDecimals(2)
    box.setValue(value)
    return box


def ok_cancel_buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    """OK (named ``ok_text``) and Cancel, accepting or rejecting ``dialog``."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


def plugin_parameter_form(
    dialog: QDialog,
    plugin_box: QComboBox,
    manifests: Sequence[PluginManifest],
    memory: ParameterMemory | None,
    buttons: QDialogButtonBox,
) -> ParameterForm:
    """A `ParameterForm` that follows ``plugin_box`` (remembered values filled in) and disables OK while a
    value is invalid."""
    by_id = {manifest.id: manifest for manifest in manifests}
    form = ParameterForm(dialog)
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)

    def show_plugin() -> None:
        plugin_id = str(plugin_box.currentData())
        form.set_manifest(by_id.get(plugin_id), memory.values(plugin_id) if memory is not None else None)

    form.changed.connect(lambda: ok.setEnabled(form.error() is None))
    plugin_box.currentIndexChanged.connect(lambda _index: show_plugin())
    show_plugin()
    return form


class PreannotateDialog(QDialog):
    """Choose a plugin (of a task that fits the frames) and the lowest score a proposal must reach."""

    def __init__(
        self,
        plugins: Sequence[PluginManifest],
        scope: str,
        plugin_id: str | None,
        threshold: float,
        parent: QWidget | None = None,
        memory: ParameterMemory | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Pre-annotate")
        self.plugin_box = QComboBox()
        for manifest in plugins:
            self.plugin_box.addItem(f"{manifest.name} [{manifest.id}]", manifest.id)
            self.plugin_box.setItemData(
                self.plugin_box.count() - 1,
                manifest.description or manifest.name,
                Qt.ItemDataRole.ToolTipRole,
            )
        found = self.plugin_box.findData(plugin_id)
        self.plugin_box.setCurrentIndex(max(found, 0))
        self.threshold_box = _threshold_box(threshold)
        form = QFormLayout()
        form.addRow("Frames", QLabel(scope))
        form.addRow("Plugin", self.plugin_box)
        form.addRow("Keep proposals scoring at least", self.threshold_box)
        buttons = ok_cancel_buttons(self, "Pre-annotate")
        self.parameter_form = plugin_parameter_form(self, self.plugin_box, plugins, memory, buttons)
        form.addRow("Parameters", self.parameter_form)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def choice(self) -> tuple[str, float]:
        """The chosen plugin id and threshold."""
        return str(self.plugin_box.currentData()), float(self.threshold_box.value())

    def parameters(self) -> dict[str, Any]:
        """The plugin parameters set to other values than their defaults."""
        return self.parameter_form.overrides()


class AcceptAboveDialog(QDialog):
    """Choose a threshold and whether to accept in the current frame or in all; shows how many."""

    def __init__(
        self,
        project: Project,
        frame_id: int | None,
        threshold: float,
        all_frames: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Accept proposals above a threshold")
        self.project = project
        self.frame_id = frame_id
        self.threshold_box = _threshold_box(threshold)
        self.current_button = QRadioButton("Current frame")
        self.all_button = QRadioButton("All frames")
        self.current_button.setEnabled(frame_id is not None)
        (self.all_button if all_frames or frame_id is None else self.current_button).setChecked(True)
        self.count_label = QLabel()
        form = QFormLayout()
        form.addRow("Accept proposals scoring at least", self.threshold_box)
        form.addRow("In", self.current_button)
        form.addRow("", self.all_button)
        form.addRow("", self.count_label)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(ok_cancel_buttons(self, "Accept"))
        self.threshold_box.valueChanged.connect(self._update_count)
        self.all_button.toggled.connect(self._update_count)
        self._update_count()

    def frame_ids(self) -> list[int] | None:
        """The frames to accept in (None: all)."""
        return None if self.all_button.isChecked() or self.frame_id is None else [self.frame_id]

    def choice(self) -> tuple[float, bool]:
        """The chosen threshold and whether all frames are covered."""
        return float(self.threshold_box.value()), self.frame_ids() is None

    def _update_count(self) -> None:
        count = len(proposals_above(self.project, self.threshold_box.value(), self.frame_ids()))
        self.count_label.setText(f"{count} proposal{'s' if count != 1 else ''} will be accepted")
