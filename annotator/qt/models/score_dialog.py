"""The dialog of Models > Score uncertainty: plugin, sampling mode (only those the plugin supports),
passes K, the lowest mean score kept, the frames and the plugin's parameters; the last choices are remembered
in the settings."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from annotator.ml.manifest import PluginManifest
from annotator.ml.uncertainty.sampling import supported_modes
from annotator.qt.app.settings import AppSettings
from annotator.qt.models.model_dialogs import ok_cancel_buttons, plugin_parameter_form
from annotator.qt.models.parameter_form import ParameterMemory

logger = logging.getLogger(__name__)

MODE_TITLES = {
    "ensemble": "Ensemble members",
    "mc": "MC dropout",
    "tta": "Test-time augmentation",
}
DEFAULT_PASSES = 8
MAX_PASSES = 64


@dataclass(frozen=True)
class ScoringChoice:
    """What to score with: plugin, mode, passes, the lowest mean score kept, and all frames or one."""

    plugin_id: str
    mode: str
    passes: int = DEFAULT_PASSES
    min_score: float = 0.1
    all_frames: bool = False
    #: 3D: also flag the clusters no box explains as possible missed objects.
    missed: bool = True


class ScoringChoices:
    """The last scoring choice, kept in the application settings."""

    def __init__(self, settings: AppSettings) -> None:
        self._settings = settings.qsettings

    def last(self) -> ScoringChoice:
        """The choice made last time (defaults where none was)."""
        value = self._settings.value

        def number(key: str, default: float) -> float:
            try:
                return float(value(key, default))
            except (TypeError, ValueError):
                return default

        return ScoringChoice(
            str(value("uncertainty/plugin", "") or ""),
            str(value("uncertainty/mode", "tta") or "tta"),
            int(number("uncertainty/passes", DEFAULT_PASSES)),
            number("uncertainty/min_score", 0.1),
            str(value("uncertainty/all_frames", "false")).lower() in ("1", "true"),
            str(value("uncertainty/missed", "true")).lower() in ("1", "true"),
        )

    def remember(self, choice: ScoringChoice) -> None:
        """Keep ``choice`` for next time."""
        for key, item in (
            ("plugin", choice.plugin_id),
            ("mode", choice.mode),
            ("passes", choice.passes),
            ("min_score", choice.min_score),
            ("all_frames", choice.all_frames),
            ("missed", choice.missed),
        ):
            self._settings.setValue(f"uncertainty/{key}", item)


class ScoreDialog(QDialog):
    """Choose the plugin, a mode it supports, K and the frames to score."""

    def __init__(
        self,
        plugins: Sequence[PluginManifest],
        frame_name: str | None,
        frame_count: int,
        last: ScoringChoice,
        parent: QWidget | None = None,
        memory: ParameterMemory | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Score uncertainty")
        self.plugins = {manifest.id: manifest for manifest in plugins}
        self.plugin_box = QComboBox()
        for manifest in plugins:
            self.plugin_box.addItem(f"{manifest.name} [{manifest.id}]", manifest.id)
        self.plugin_box.setCurrentIndex(max(self.plugin_box.findData(last.plugin_id), 0))
        self.mode_box = QComboBox()
        self.passes_box = QSpinBox()
        self.passes_box.setRange(2, MAX_PASSES)
        self.passes_box.setValue(max(2, min(MAX_PASSES, last.passes)))
        self.min_score_box = QDoubleSpinBox()
        self.min_score_box.setRange(0.0, 1.0)
        self.min_score_box.setSingleStep(0.05)
        self.min_score_box.setValue(last.min_score)
        self.frame_button = QRadioButton(f"Current frame ({frame_name})" if frame_name else "Current frame")
        self.all_button = QRadioButton(f"All {frame_count} frames")
        self.frame_button.setEnabled(frame_name is not None)
        (self.all_button if last.all_frames or frame_name is None else self.frame_button).setChecked(True)
        self.missed_box = QCheckBox("Flag possible missed objects (3D: point clusters no box explains)")
        self.missed_box.setChecked(last.missed)
        form = QFormLayout()
        form.addRow("Plugin", self.plugin_box)
        form.addRow("Sampling", self.mode_box)
        form.addRow("Passes K", self.passes_box)
        form.addRow("Keep objects scoring at least", self.min_score_box)
        form.addRow("Frames", self.frame_button)
        form.addRow("", self.all_button)
        form.addRow("", self.missed_box)
        form.addRow(QLabel("Each frame's earlier unreviewed proposals of the plugin are replaced."))
        buttons = ok_cancel_buttons(self, "Score")
        self.parameter_form = plugin_parameter_form(self, self.plugin_box, plugins, memory, buttons)
        form.insertRow(4, "Parameters", self.parameter_form)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.plugin_box.currentIndexChanged.connect(lambda _: self._fill_modes(self.mode_box.currentData()))
        self._fill_modes(last.mode)

    def _fill_modes(self, preferred: str | None) -> None:
        manifest = self.plugins.get(str(self.plugin_box.currentData()))
        modes = supported_modes(manifest) if manifest is not None else ["tta"]
        self.mode_box.clear()
        for mode in modes:
            self.mode_box.addItem(MODE_TITLES.get(mode, mode), mode)
        self.mode_box.setCurrentIndex(max(self.mode_box.findData(preferred), 0))

    def modes(self) -> list[str]:
        """The modes offered for the chosen plugin."""
        return [self.mode_box.itemData(i) for i in range(self.mode_box.count())]

    def parameters(self) -> dict[str, Any]:
        """The plugin parameters set to other values than their defaults."""
        return self.parameter_form.overrides()

    def choice(self) -> ScoringChoice:
        """What was chosen."""
        return ScoringChoice(
            str(self.plugin_box.currentData()),
            str(self.mode_box.currentData()),
            self.passes_box.value(),
            float(self.min_score_box.value()),
            self.all_button.isChecked(),
            self.missed_box.isChecked(),
        )
