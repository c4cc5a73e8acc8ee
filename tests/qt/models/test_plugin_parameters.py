"""Plugin parameters in the Models dialogs and the Training panel: a form generated from the manifest's
typed parameters (defaults, ranges, choices), validated, remembered per plugin and passed to the runs; and a
plugin made by `annotator plugin new` pre-annotating in the window through the Pre-annotate dialog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QLineEdit,
    QSpinBox,
)
from window_support import show_window  # type: ignore[import-not-found]

from annotator.core.model.records import Source
from annotator.ml.authoring import new_plugin
from annotator.ml.manifest import manifest_from_dict
from annotator.ml.registry import PluginRegistry
from annotator.qt.models.model_dialogs import PreannotateDialog
from annotator.qt.models.parameter_form import ParameterMemory
from annotator.qt.models.score_dialog import ScoreDialog, ScoringChoice

KIT = "kit-street"
TYPED = manifest_from_dict(
    {
        "id": "typed", "name": "Typed", "version": "1", "task": "detect3d", "framework": "numpy",
        "entry": "typed:Model",
        "parameters": [
            {"name": "count", "type": "int", "default": 3, "minimum": 1, "maximum": 9, "help": "how many"},
            {"name": "radius", "type": "float", "default": 0.25, "minimum": 0.0, "maximum": 2.5},
            {"name": "strict", "type": "bool", "default": False},
            {"name": "mode", "type": "choice", "default": "fast", "choices": ["fast", "exact"]},
            {"name": "tag", "type": "str", "default": "x"},
        ],
    }
)  # fmt: skip


@pytest.fixture
def kit_window(qtbot, settings, unlabelled_street: Path, tmp_path: Path) -> Iterator:
    """The window on the unlabelled street project (proposals never land on boxes) with a plugin written by
    the authoring kit (as a drop-in)."""
    root = new_plugin(KIT, "detect3d", "numpy", tmp_path / KIT)
    main = show_window(qtbot, settings, unlabelled_street, plugins=PluginRegistry.discover([root], False))
    yield main
    main.close()


def test_the_form_has_an_editor_of_each_type_with_defaults_ranges_and_help(qtbot, settings) -> None:
    memory = ParameterMemory(settings)
    memory.remember("typed", {"count": 7, "mode": "exact", "radius": 99.0})  # 99 is out of range now
    dialog = PreannotateDialog([TYPED], "frame 000000", "typed", 0.3, memory=memory)
    qtbot.addWidget(dialog)
    editors = dialog.parameter_form.editors
    kinds = {name: type(editor) for name, editor in editors.items()}
    assert kinds == {
        "count": QSpinBox, "radius": QDoubleSpinBox, "strict": QCheckBox, "mode": QComboBox, "tag": QLineEdit
    }  # fmt: skip
    assert (editors["count"].minimum(), editors["count"].maximum(), editors["count"].value()) == (1, 9, 7)
    assert editors["count"].toolTip() == "how many"
    assert editors["radius"].maximum() == 2.5 and editors["radius"].value() == 0.25  # invalid: default
    assert [editors["mode"].itemText(i) for i in range(2)] == ["fast", "exact"]
    assert dialog.parameters() == {"count": 7, "mode": "exact"}  # only what differs from the defaults
    editors["strict"].setChecked(True)
    editors["tag"].setText("y")
    assert dialog.parameters() == {"count": 7, "mode": "exact", "strict": True, "tag": "y"}
    dialog.parameter_form.reset_button.click()
    assert dialog.parameters() == {}


def test_an_invalid_value_is_named_and_blocks_ok(qtbot) -> None:
    spec = dict(name="scale", type="float", default=1.0)
    manifest = manifest_from_dict(
        {"id": "t", "name": "t", "version": "1", "task": "detect3d", "framework": "numpy",
         "entry": "t:M", "parameters": [spec, {"name": "size", "type": "int", "default": 2}]}
    )  # fmt: skip
    dialog = PreannotateDialog([manifest], "frame 000000", "t", 0.3)
    qtbot.addWidget(dialog)
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    form = dialog.parameter_form
    assert ok.isEnabled() and form.error_label.isHidden()
    form.manifest = manifest_from_dict(  # a bound the editor does not enforce: the form still checks it
        {**{"id": "t", "name": "t", "version": "1", "task": "detect3d", "framework": "numpy", "entry": "t:M"},
         "parameters": [{**spec, "maximum": 0.5}, {"name": "size", "type": "int", "default": 2}]}
    )  # fmt: skip
    form.editors["size"].setValue(3)
    assert not ok.isEnabled() and "scale: 1.0 is above 0.5" in form.error_label.text()


def test_a_kit_plugin_preannotates_in_the_window_with_parameters_from_the_dialog(
    kit_window, qtbot, monkeypatch
) -> None:
    window = kit_window
    answers = iter([{"min_points": 100000}, {}])  # first: no object has that many points; then defaults

    def choose_kit(self) -> int:
        self.plugin_box.setCurrentIndex(self.plugin_box.findData(KIT))
        self.threshold_box.setValue(0.0)
        self.parameter_form.reset()
        for name, value in next(answers).items():
            self.parameter_form.editors[name].setValue(value)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(PreannotateDialog, "exec", choose_kit)
    with qtbot.waitSignal(window.preannotation.finished, timeout=20_000) as blocker:
        window.actions["models.preannotate_frame"].trigger()
    assert blocker.args[0].proposals == 0 and not blocker.args[0].failures
    assert window.preannotation.parameter_memory.values(KIT) == {"min_points": 100000}
    with qtbot.waitSignal(window.preannotation.finished, timeout=20_000) as blocker:
        window.actions["models.preannotate_frame"].trigger()
    assert blocker.args[0].proposals > 0
    frame_id = window.document.frame_id
    proposals = [a for a in window.document.project.annotations_of(frame_id) if a.is_proposal]
    assert proposals and all(
        a.provenance.source is Source.MODEL and a.provenance.model_id == KIT for a in proposals
    )


def test_score_dialog_passes_the_parameters_to_scoring(kit_window, qtbot, monkeypatch) -> None:
    window = kit_window
    seen = {}
    monkeypatch.setattr(
        type(window.scoring), "score", lambda self, *args, **_kwargs: seen.setdefault("args", args)
    )

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, ScoreDialog)
        dialog.plugin_box.setCurrentIndex(dialog.plugin_box.findData(KIT))
        dialog.parameter_form.editors["cell"].setValue(0.8)
        dialog.accept()

    QTimer.singleShot(0, answer)
    window.actions["models.score"].trigger()
    qtbot.waitUntil(lambda: "args" in seen, timeout=5_000)
    assert seen["args"][0] == KIT and seen["args"][-1] == {"cell": 0.8}
    dialog = ScoreDialog(
        [window.scoring.registry.manifest(KIT)], None, 3, ScoringChoice(KIT, "tta"),
        memory=window.scoring.parameter_memory,
    )  # fmt: skip
    qtbot.addWidget(dialog)
    assert dialog.parameters() == {"cell": 0.8}  # remembered for the plugin


def test_training_panel_parameters_reach_the_fine_tuning_job(kit_window, qtbot, monkeypatch) -> None:
    window = kit_window
    panel = window.docks["training"].widget().widget()
    panel.refresh_plugins()
    assert panel.plugin_box.currentData() == KIT
    form = panel.parameter_form
    assert "epochs" not in form.editors and {"learning_rate", "min_points"} <= set(form.editors)
    form.editors["learning_rate"].setValue(0.5)
    assert window.training.parameter_memory.values(KIT) == {"learning_rate": 0.5}
    planned = {}

    def plan(project, manifest, options, **kwargs):
        planned["params"] = options.params
        raise RuntimeError("stop after planning")

    monkeypatch.setattr("annotator.qt.models.finetuning.plan_finetune", plan)
    window.training.start_now()
    qtbot.waitUntil(lambda: "params" in planned, timeout=5_000)
    assert planned["params"] == {"learning_rate": 0.5}
    qtbot.waitUntil(lambda: not window.training.running, timeout=5_000)
