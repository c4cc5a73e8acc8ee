"""The Training dock: fine-tuning the centroid example (a drop-in plugin) in a child process from the panel,
live plot and log, the version list with undoable promote / roll back, cancel, the automatic trigger after
N verified frames, and stale proposals after a rollback re-scored in the background."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from ml.finetune.conftest import EXAMPLES, make_project

from annotator.core.edits import RemoveAnnotations, SetFrameStatus, UpdateAnnotations
from annotator.core.model.records import FrameStatus
from annotator.core.model_versions import current_version
from annotator.ml.finetune.pipeline import EVERY_SETTING, stale_frames
from annotator.ml.registry import PluginRegistry

PLUGIN = "centroid-example"
JOB_TIMEOUT = 60_000


@pytest.fixture
def training_window(qtbot, tmp_path: Path, monkeypatch, settings) -> Iterator:
    """The window on a 4-frame centroid project (frames 0 and 1 verified), the example plugin chosen with
    nothing held apart."""
    from annotator.qt.app.main_window import MainWindow
    from annotator.qt.frame_loader import FrameLoader

    folder = tmp_path / "plugins"
    shutil.copytree(EXAMPLES / "centroid", folder / "centroid")
    monkeypatch.setenv("ANNOTATOR_PLUGIN_PATH", str(folder))
    make_project(tmp_path / "p", 4, 2).close()
    registry = PluginRegistry.discover([folder], entry_points_too=False)
    main = MainWindow(settings=settings, loader=FrameLoader(lod_budget=5_000), plugins=registry)
    qtbot.addWidget(main)
    main.resize(1200, 800)
    main.show()
    main.open_project(tmp_path / "p")
    panel = main.docks["training"].widget().widget()
    panel.refresh_plugins()
    assert panel.plugin_box.currentData() == PLUGIN
    panel.held_apart.setValue(0.0)
    yield main, panel
    main.close()


def _finish(qtbot, main) -> None:
    qtbot.waitUntil(lambda: not main.training.running, timeout=JOB_TIMEOUT)


def _state_column(panel) -> dict[str, str]:
    return {
        panel.table.item(r, 0).text(): panel.table.item(r, 6).text() for r in range(panel.table.rowCount())
    }


def _select(panel, version_id: str) -> None:
    row = next(r for r in range(panel.table.rowCount()) if panel.table.item(r, 0).text() == version_id)
    panel.table.selectRow(row)


def test_fine_tune_from_the_panel_plots_logs_records_and_promote_rollback_undo(
    qtbot, training_window
) -> None:
    main, panel = training_window
    project = main.document.project
    panel.start_button.click()
    assert main.training.running and panel.cancel_button.isEnabled()
    _finish(qtbot, main)
    assert panel.loss_plot.point_count() == 2  # one step per trained frame arrived from the child
    assert "2 new" in panel.log.toPlainText()
    assert _state_column(panel) == {"v1": "current"}
    assert panel.table.item(0, 0).toolTip().startswith("padding: ")  # the version's card: what fit learned
    assert current_version(project, PLUGIN).id == "v1"
    assert main.actions["edit.undo"].text().startswith("&Undo Train centroid-example v1")

    main.undo()  # recording the version is one step
    assert panel.table.rowCount() == 0 and current_version(project, PLUGIN) is None
    main.redo()
    assert _state_column(panel) == {"v1": "current"}

    panel.start_button.click()  # v2 on the replayed frames, child of v1
    _finish(qtbot, main)
    assert _state_column(panel) == {"v1": "promoted", "v2": "current"}
    assert panel.table.item(0, 1).text() == "v1"  # newest first; its parent
    _select(panel, "v1")
    assert panel.rollback_button.isEnabled() and not panel.promote_button.isEnabled()
    panel.rollback_button.click()
    assert current_version(project, PLUGIN).id == "v1"
    assert _state_column(panel)["v1"] == "current"
    _select(panel, "v2")
    assert panel.promote_button.isEnabled()
    panel.promote_button.click()
    assert current_version(project, PLUGIN).id == "v2"
    main.undo()
    assert current_version(project, PLUGIN).id == "v1"
    main.undo()
    assert current_version(project, PLUGIN).id == "v2"


def test_cancel_records_nothing(qtbot, training_window) -> None:
    main, panel = training_window
    assert main.training.start_now()
    panel.cancel_button.click()
    _finish(qtbot, main)
    assert "cancelled" in panel.status.text()
    assert panel.table.rowCount() == 0
    assert current_version(main.document.project, PLUGIN) is None


def test_marking_the_nth_new_frame_verified_starts_a_job_in_the_background(qtbot, training_window) -> None:
    main, panel = training_window
    project = main.document.project
    panel.every.setValue(3)
    panel.every.editingFinished.emit()
    assert project.settings[EVERY_SETTING] == 3  # a project setting, set by an undoable step
    frames = project.frames_in_order()
    main.document.set_frame(frames[2].id)
    main.actions["frame.verified"].trigger()
    assert project.frames[frames[2].id].status == FrameStatus.VERIFIED
    # 3 newly verified frames: checked and planned in the background, the job starts, the window goes on
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1, timeout=JOB_TIMEOUT)
    _finish(qtbot, main)
    assert _state_column(panel) == {"v1": "current"}
    main.document.set_frame(frames[3].id)
    main.actions["frame.verified"].trigger()  # 1 new frame since v1: not due
    qtbot.waitUntil(lambda: not main.training.jobs.busy())
    qtbot.wait(50)
    assert not main.training.running and panel.table.rowCount() == 1
    main.actions["frame.verified"].trigger()  # the action toggles
    assert project.frames[frames[3].id].status == FrameStatus.IN_PROGRESS


def test_rollback_marks_proposals_stale_and_rescoring_renews_them(qtbot, training_window) -> None:
    main, panel = training_window
    project = main.document.project
    panel.start_button.click()
    _finish(qtbot, main)
    # v2 learns a larger padding: frame 2's label grown by 1 m, then verified
    frame = project.frames_in_order()[2]
    (label,) = project.annotations_of(frame.id)
    cuboid = dataclasses.replace(label.cuboid, size=tuple(s + 1.0 for s in label.cuboid.size))
    main.document.push(UpdateAnnotations([dataclasses.replace(label, cuboid=cuboid)]))
    main.document.push(SetFrameStatus(frame.id, FrameStatus.VERIFIED))
    panel.start_button.click()
    _finish(qtbot, main)
    assert current_version(project, PLUGIN).id == "v2"
    unverified = [f for f in project.frames_in_order() if f.status != FrameStatus.VERIFIED]
    # proposals never land on labelled boxes: the unverified frames' labels go, the model proposes there
    labels = [a.id for f in unverified for a in project.annotations_of(f.id)]
    main.document.push(RemoveAnnotations(labels))
    assert main.preannotation.start(PLUGIN, unverified, 0.0)
    qtbot.waitUntil(lambda: not main.preannotation.running, timeout=JOB_TIMEOUT)
    assert stale_frames(project, PLUGIN) == [] and not panel.rescore_button.isEnabled()

    _select(panel, "v1")
    panel.rollback_button.click()
    assert [f.id for f in stale_frames(project, PLUGIN)] == [unverified[0].id]
    assert panel.rescore_button.isEnabled() and panel.stale_label.text().startswith("1 frame")
    panel.rescore_button.click()
    qtbot.waitUntil(lambda: not main.preannotation.running, timeout=JOB_TIMEOUT)
    assert stale_frames(project, PLUGIN) == []
    assert not panel.rescore_button.isEnabled()


def test_hold_apart_from_is_remembered_and_reaches_the_jobs_options(training_window, settings) -> None:
    from annotator.qt.models.training_choices import TrainingChoice, TrainingChoices

    _, panel = training_window
    assert panel.held_apart_from.value() == 30  # the default: few frames are all trained on
    panel.held_apart_from.setValue(4)
    assert TrainingChoices(settings).last().held_apart_from == 4
    assert panel.choice().options(has_epochs=False).held_apart_from == 4
    panel.load_choice(TrainingChoice(held_apart_from=12))
    assert panel.held_apart_from.value() == 12
