"""A form for a plugin's typed parameters, generated from its manifest, and the values remembered per plugin.

Each `ParameterSpec` gets an editor of its type: a spin box within its minimum and maximum (int, float), a
check box (bool), a list (choice) or a line of text (str), filled with the remembered value or the
default, with the parameter's help as tooltip. The form hands back only the values that differ from the
defaults it shows (so a plugin's own defaults, e.g. fine-tuning ones, still apply where nothing was changed),
checked by the manifest (`PluginManifest.parameter_values`); an invalid value is named under the form.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from annotator.core.errors import AnnotatorError
from annotator.ml.manifest import ParameterSpec, PluginManifest
from annotator.qt.app.settings import AppSettings

logger = logging.getLogger(__name__)

PREFIX = "plugin_parameters/"
INT_LIMIT = 2**31 - 1
FLOAT_LIMIT = 1e12


class ParameterMemory:
    """The parameter values last chosen for each plugin (only those differing from its defaults).

    ``kind`` keeps separate memories: ``run`` (pre-annotation and scoring) and ``training``."""

    def __init__(self, settings: AppSettings, kind: str = "run") -> None:
        self._settings = settings.qsettings
        self._prefix = f"{PREFIX}{kind}/"

    def values(self, plugin_id: str) -> dict[str, Any]:
        """The remembered values of ``plugin_id`` (empty when none or unreadable)."""
        raw = self._settings.value(self._prefix + plugin_id)
        try:
            data = json.loads(str(raw)) if raw else {}
        except json.JSONDecodeError:
            return {}
        return data if isinstance(data, dict) else {}

    def remember(self, plugin_id: str, values: dict[str, Any]) -> None:
        """Keep ``values`` for ``plugin_id``."""
        self._settings.setValue(self._prefix + plugin_id, json.dumps(values))


def _editor(spec: ParameterSpec, value: Any) -> QWidget:
    """An editor widget for one parameter showing ``value``."""
    editor: QWidget
    if spec.type == "bool":
        editor = QCheckBox()
        editor.setChecked(bool(value))
    elif spec.type == "choice":
        editor = QComboBox()
        editor.addItems(list(spec.choices))
        editor.setCurrentIndex(max(editor.findText(str(value)), 0))
    elif spec.type == "int":
        editor = QSpinBox()
        low = -INT_LIMIT if spec.minimum is None else math.ceil(spec.minimum)
        high = INT_LIMIT if spec.maximum is None else math.floor(spec.maximum)
        editor.setRange(int(low), int(high))
        editor.setValue(int(value))
    elif spec.type == "float":
        editor = QDoubleSpinBox()
        editor.setDecimals(_decimals(spec, value))
        editor.setRange(
            -FLOAT_LIMIT if spec.minimum is None else float(spec.minimum),
            FLOAT_LIMIT if spec.maximum is None else float(spec.maximum),
        )
        editor.setSingleStep(_step(float(value)))
        editor.setValue(float(value))
    else:
        editor = QLineEdit(str(value))
    editor.setObjectName(f"parameter_{spec.name}")
    editor.setToolTip(spec.help or spec.name)
    return editor


def _decimals(spec: ParameterSpec, value: Any) -> int:
    """Enough decimals to show the default, the bounds and the value exactly (at most 6)."""
    numbers = [float(v) for v in (spec.default, spec.minimum, spec.maximum, value) if v is not None]
    places = [len(f"{abs(n):.6f}".rstrip("0").partition(".")[2]) for n in numbers]
    return max(2, min(6, max(places, default=2)))


def _step(value: float) -> float:
    return 10.0 ** math.floor(math.log10(abs(value))) if value else 0.1


def _read(spec: ParameterSpec, editor: QWidget) -> Any:
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    if isinstance(editor, QComboBox):
        return editor.currentText()
    if isinstance(editor, (QSpinBox, QDoubleSpinBox)):
        return editor.value()
    assert isinstance(editor, QLineEdit)
    return editor.text()


class ParameterForm(QWidget):
    """Editors for one plugin's parameters; `overrides` are the values that differ from the defaults."""

    #: A value was edited (or the plugin changed).
    changed = Signal()

    def __init__(self, parent: QWidget | None = None, hidden: tuple[str, ...] = ()) -> None:
        super().__init__(parent)
        self.setObjectName("parameterForm")
        self.hidden = hidden
        self.manifest: PluginManifest | None = None
        self.defaults: dict[str, Any] = {}
        self.editors: dict[str, QWidget] = {}
        self._form = QFormLayout()
        self._form.setContentsMargins(0, 0, 0, 0)
        self.error_label = QLabel()
        self.error_label.setObjectName("parameterError")
        self.error_label.setStyleSheet("color: #c0392b")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.reset_button = QPushButton("Defaults")
        self.reset_button.setToolTip("Set every parameter back to the plugin's default")
        self.reset_button.clicked.connect(self.reset)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.reset_button)

    def set_manifest(
        self,
        manifest: PluginManifest | None,
        values: dict[str, Any] | None = None,
        defaults: dict[str, Any] | None = None,
    ) -> None:
        """Show editors for ``manifest``'s parameters with ``values`` (else the defaults).

        ``defaults`` replaces some of the manifest's defaults as the values the form starts from and
        compares against (e.g. the plugin's fine-tuning defaults)."""
        while self._form.rowCount():
            self._form.removeRow(0)
        self.editors = {}
        self.manifest = manifest
        specs = [p for p in manifest.parameters if p.name not in self.hidden] if manifest else []
        self.defaults = {p.name: p.default for p in specs} | {
            k: v for k, v in (defaults or {}).items() if k in {p.name for p in specs}
        }
        for spec in specs:
            value = self._valid(spec, (values or {}).get(spec.name, self.defaults[spec.name]))
            editor = _editor(spec, value)
            self.editors[spec.name] = editor
            label = QLabel(spec.name.replace("_", " "))
            label.setToolTip(spec.help or spec.name)
            self._form.addRow(label, editor)
            for signal in ("valueChanged", "toggled", "currentIndexChanged", "textChanged"):
                if hasattr(editor, signal):
                    getattr(editor, signal).connect(self._edited)
                    break
        self.reset_button.setVisible(bool(specs))
        self._edited()

    def _valid(self, spec: ParameterSpec, value: Any) -> Any:
        try:
            return spec.coerce(value)
        except AnnotatorError:
            logger.info("remembered %s=%r is no longer valid; using the default", spec.name, value)
            return self.defaults[spec.name]

    def values(self) -> dict[str, Any]:
        """Every shown parameter's value as edited."""
        return {name: _read(spec, self.editors[name]) for name, spec in self._specs().items()}

    def overrides(self) -> dict[str, Any]:
        """The values that differ from the defaults the form shows (what a run should be given)."""
        return {name: value for name, value in self.values().items() if value != self.defaults[name]}

    def error(self) -> str | None:
        """Why the values are not acceptable, or None."""
        if self.manifest is None:
            return None
        try:
            self.manifest.parameter_values(self.values())
        except AnnotatorError as error:
            return str(error)
        return None

    def reset(self) -> None:
        """Show the defaults again."""
        self.set_manifest(self.manifest, None, self.defaults)

    def _specs(self) -> dict[str, ParameterSpec]:
        manifest = self.manifest
        return {p.name: p for p in manifest.parameters if p.name in self.editors} if manifest else {}

    def _edited(self) -> None:
        message = self.error()
        self.error_label.setText(message or "")
        self.error_label.setVisible(message is not None)
        self.changed.emit()
