"""The pointpillars plugin's proposal refinement is reached in the window: Models > Pre-annotate's parameter
form lists ``refine`` (off, fit, drop) and passes the choice to the run."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from annotator.ml.registry import PluginRegistry
from annotator.qt.models.model_dialogs import PreannotateDialog


def test_the_preannotate_form_offers_refinement_and_passes_it(qtbot) -> None:
    manifest = PluginRegistry.discover([], entry_points_too=True).manifest("pointpillars")
    dialog = PreannotateDialog([manifest], "frame 000000", "pointpillars", 0.3)
    qtbot.addWidget(dialog)
    editors = dialog.parameter_form.editors
    combo = editors["refine"]
    assert [combo.itemText(i) for i in range(combo.count())] == ["off", "fit", "drop"]
    assert "refine" not in dialog.parameters()  # off by default
    combo.setCurrentText("fit")
    editors["early_epochs"].setValue(30)
    assert dialog.parameters() == {"refine": "fit", "early_epochs": 30}
