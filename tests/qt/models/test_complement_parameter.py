"""The pointpillars plugin's hybrid pre-annotation is reached in the window: Models > Pre-annotate's parameter
form lists ``complement`` (off, geometric) and passes the choice to the run."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from annotator.ml.registry import PluginRegistry
from annotator.qt.models.model_dialogs import PreannotateDialog


def test_the_preannotate_form_offers_the_geometric_complement_and_passes_it(qtbot) -> None:
    manifest = PluginRegistry.discover([], entry_points_too=True).manifest("pointpillars")
    dialog = PreannotateDialog([manifest], "frame 000000", "pointpillars", 0.3)
    qtbot.addWidget(dialog)
    combo = dialog.parameter_form.editors["complement"]
    assert [combo.itemText(i) for i in range(combo.count())] == ["off", "geometric"]
    assert "complement" not in dialog.parameters()  # off by default
    combo.setCurrentText("geometric")
    dialog.parameter_form.editors["refine"].setCurrentText("drop")
    assert dialog.parameters() == {"complement": "geometric", "refine": "drop"}
