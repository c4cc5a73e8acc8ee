"""The fast 3D variants are reached from Models > Pre-annotate: the pointpillars form offers int8-static,
and paddle-det3d is offered beside it."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from annotator.ml.manifest import manifest_from_dict
from annotator.qt.models.model_dialogs import PreannotateDialog
from plugins.paddle_det3d import MANIFEST as PADDLE
from plugins.pointpillars import MANIFEST as TORCH


def test_preannotate_dialog_offers_int8_static_and_the_paddle_detector(qtbot) -> None:
    manifests = [
        manifest_from_dict(TORCH, "plugins.pointpillars"),
        manifest_from_dict(PADDLE, "plugins.paddle_det3d"),
    ]
    dialog = PreannotateDialog(manifests, "frame 000000", "pointpillars", 0.3)
    qtbot.addWidget(dialog)
    plugins = [
        dialog.plugin_box.itemData(i) or dialog.plugin_box.itemText(i)
        for i in range(dialog.plugin_box.count())
    ]
    assert any("paddle-det3d" in str(p) for p in plugins)
    precision = dialog.parameter_form.editors["precision"]
    choices = [precision.itemText(i) for i in range(precision.count())]
    assert choices == ["fp32", "bf16", "fp16", "int8", "int8-static", "fp16-gpu"]
    precision.setCurrentText("int8-static")
    assert dialog.parameters() == {"precision": "int8-static"}
