"""The main window opens a project, lists its frames and drives undo/redo from the Edit menu."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from tests_support import car

from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.records import Frame
from annotator.io.workspace import Workspace
from annotator.qt.main_window import MainWindow


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    with Workspace.create(tmp_path / "p") as workspace:
        frame_id = workspace.push(AddFrames([Frame(0, "000000", 0), Frame(0, "000001", 1)])).ids[0]
        workspace.push(AddAnnotations([car(frame_id)]))
    return tmp_path / "p"


def test_window_opens_project_and_undoes_from_the_menu(qtbot, project_dir: Path) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.open_project(project_dir)
    assert window.frame_list.count() == 2
    assert window.annotation_table.rowCount() == 1
    assert window.undo_action.text() == "&Undo Add 1 cuboid"
    window.undo_action.trigger()
    assert window.annotation_table.rowCount() == 0
    assert window.redo_action.isEnabled()
    window.redo_action.trigger()
    assert window.annotation_table.rowCount() == 1
    window.close_project()
    with Workspace.open(project_dir) as reopened:
        assert len(reopened.project.annotations) == 1
