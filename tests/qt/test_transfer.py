"""File > Import dataset and File > Export labels go through the label-format registry."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from annotator.io.workspace import Workspace
from annotator.qt.transfer import TransferDialog, TransferRequest, export_labels, import_dataset


def test_dialogs_list_the_registered_formats(qtbot) -> None:
    importing = TransferDialog(exporting=False)
    exporting = TransferDialog(exporting=True)
    qtbot.addWidget(importing)
    qtbot.addWidget(exporting)
    ids = [importing.format_box.itemData(i) for i in range(importing.format_box.count())]
    assert "kitti" in ids and "openlabel" in ids
    exporting.format_box.setCurrentIndex(exporting.format_box.findData("openlabel"))
    exporting.path_edit.setText("/tmp/out")
    exporting.frames_edit.setText("0-1")
    exporting.classes_edit.setText("Car, Truck")
    request = exporting.request()
    assert request == TransferRequest("openlabel", Path("/tmp/out"), request.options, "0-1", ["Car", "Truck"])


def test_import_dialog_offers_argoverse_with_its_filter_options(qtbot) -> None:
    importing = TransferDialog(exporting=False)
    qtbot.addWidget(importing)
    importing.format_box.setCurrentIndex(importing.format_box.findData("argoverse"))
    importing.path_edit.setText("/data/log")
    importing.options_edit.setText("max_range=50, min_points = 10")
    request = importing.request()
    assert request.format_id == "argoverse" and request.options == {"max_range": "50", "min_points": "10"}


def test_export_writes_the_open_project(window, tmp_path: Path) -> None:
    request = TransferRequest("openlabel", tmp_path / "out")
    summary = export_labels(window.document.project, request)
    assert "exported 3 frames, 3 objects as openlabel" in summary
    assert any((tmp_path / "out").rglob("*.json"))


def test_import_of_the_real_kitti_folder_is_one_undoable_step(
    window, shared_data: Path, tmp_path: Path
) -> None:
    Workspace.create(tmp_path / "empty").close()
    window.open_project(tmp_path / "empty")
    training = shared_data / "kitti_object" / "training"
    summary = import_dataset(window.session, TransferRequest("kitti", training))
    assert "1 frames added" in summary and "1 objects" in summary
    assert window.actions["edit.undo"].text() == "&Undo Import KITTI (1 frame)"
    assert window.frames_panel.list.count() == 1
    assert [a.class_name for a in window.document.cuboids()] == ["Pedestrian"]
    window.actions["edit.undo"].trigger()
    assert window.frames_panel.list.count() == 0
