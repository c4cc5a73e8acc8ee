"""Models menu: pre-annotation in a worker thread (one undoable step per frame), proposals drawn dashed
with their score, accept / reject / accept above a threshold, cancel, and failing plugins."""

from __future__ import annotations

import dataclasses
import json
import shutil
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from window_support import show_window  # type: ignore[import-not-found]

from annotator.core.edits import SetSetting
from annotator.core.model.records import Review, Source
from annotator.ml.defaults import DEFAULT_PLUGIN_SETTING
from annotator.ml.registry import PluginRegistry
from annotator.qt.models.model_dialogs import AcceptAboveDialog, PreannotateDialog
from annotator.qt.panels.objects import COLUMNS, PROPOSAL_MARKER

EXAMPLES = Path(__file__).parents[2] / "ml" / "example_plugins"

#: A drop-in plugin proposing the street's three boxes with fixed scores; options make it fail or wait.
SCRIPTED = """
import threading
import time

import numpy as np

from annotator.ml.protocol import Detections

BOXES = [
    [12.0, 4.0, -0.95, 4.2, 1.8, 1.5, 0.436],
    [8.0, -3.0, -0.85, 0.8, 0.7, 1.75, -1.047],
    [-15.0, 2.0, 0.0, 9.0, 2.5, 3.4, 0.0],
]


class Model:
    version = "scripted-7"

    def __init__(self):
        self.threads = set()

    def predict(self, frame, params):
        self.threads.add(threading.get_ident())
        if params["fail"]:
            raise RuntimeError("boom in predict")
        time.sleep(params["delay"])
        return Detections(np.array(BOXES), [0, 1, 2], [0.9, 0.6, 0.3], ("Car", "Pedestrian", "Truck"),
                          self.version)
"""


def _dropin(
    folder: Path, plugin_id: str, module: str, source: str, parameters: list[dict], task: str = "detect3d"
) -> None:
    folder.mkdir(parents=True)
    (folder / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    manifest = {
        "id": plugin_id,
        "name": plugin_id,
        "version": "1",
        "task": task,
        "framework": "numpy",
        "entry": f"{module}:Model",
        "classes": ["Car", "Pedestrian", "Truck"],
        "parameters": parameters,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.fixture
def plugins(tmp_path: Path) -> PluginRegistry:
    """The centroid example, a scripted plugin (fixed boxes and scores), one whose import fails, and a
    2D plugin (which does not fit the image-less street frames)."""
    root = tmp_path / "plugins"
    shutil.copytree(EXAMPLES / "centroid", root / "centroid")
    params = [
        {"name": "fail", "type": "bool", "default": False},
        {"name": "delay", "type": "float", "default": 0.0},
    ]
    _dropin(root / "scripted", "scripted", "qt_scripted_model", SCRIPTED, params)
    _dropin(root / "broken", "broken-import", "qt_broken_model", "raise ImportError('no such lib')\n", [])
    _dropin(root / "images", "images-only", "qt_images_model", SCRIPTED, params, task="detect2d")
    return PluginRegistry.discover([root], entry_points_too=False)


@pytest.fixture
def models_window(qtbot, settings, unlabelled_street: Path, plugins: PluginRegistry) -> Iterator:
    """The main window with the test plugins, the street project (boxes removed) open at frame 0."""
    main = show_window(qtbot, settings, unlabelled_street, plugins=plugins)
    yield main
    main.close()


def _run(window, qtbot, plugin_id: str, frames=None, threshold: float = 0.0, **params) -> object:
    controller = window.preannotation
    frames = frames if frames is not None else [window.document.frame]
    with qtbot.waitSignal(controller.finished, timeout=20_000) as blocker:
        assert controller.start(plugin_id, frames, threshold, params or None)
    return blocker.args[0]


def _proposals(window, frame_id=None) -> list:
    frame_id = window.document.frame_id if frame_id is None else frame_id
    return [a for a in window.document.project.annotations_of(frame_id) if a.is_proposal]


def test_preannotate_frame_runs_in_a_worker_and_adds_one_undoable_step(models_window, qtbot) -> None:
    window = models_window
    before = len(window.document.project.annotations)
    summary = _run(window, qtbot, "scripted")
    assert (summary.frames_done, summary.proposals, summary.failures) == (1, 3, [])
    model = window.preannotation.registry.load("scripted")
    assert threading.get_ident() not in model.threads  # predicted off the UI thread
    proposals = _proposals(window)
    assert [p.provenance.score for p in sorted(proposals, key=lambda p: p.id)] == [0.9, 0.6, 0.3]
    assert all(
        p.provenance.source == Source.MODEL and p.provenance.model_version == "scripted-7" for p in proposals
    )
    assert window.actions["edit.undo"].text() == "&Undo Pre-annotate 000000 (scripted)"
    assert not window.preannotation.progress.isVisible()
    window.actions["edit.undo"].trigger()
    assert len(window.document.project.annotations) == before
    window.actions["edit.redo"].trigger()
    assert len(_proposals(window)) == 3


def test_preannotate_all_frames_is_one_step_per_frame_with_progress(models_window, qtbot) -> None:
    window = models_window
    frames = window.document.frames()
    progress = window.preannotation.progress
    seen = []
    progress.bar.valueChanged.connect(lambda value: seen.append((value, progress.isVisible())))
    summary = _run(window, qtbot, "centroid-example", frames)
    assert summary.frames_done == 3 and summary.proposals == 3
    assert seen[-1] == (3, True) and not progress.isVisible()
    assert all(len(_proposals(window, frame.id)) == 1 for frame in frames)
    assert window.actions["edit.undo"].text() == "&Undo Link proposals of 3 frames into tracks"
    for _ in range(len(frames) + 1):  # the linking step, then one step per frame
        window.actions["edit.undo"].trigger()
    assert not any(_proposals(window, frame.id) for frame in frames)


def test_preannotating_a_sequence_links_its_proposals_into_tracks(models_window, qtbot) -> None:
    window = models_window
    frames = window.document.frames()
    summary = _run(window, qtbot, "scripted", frames)
    assert summary.frames_done == 3
    tracks = {}
    for frame in frames:
        for proposal in _proposals(window, frame.id):
            tracks.setdefault(proposal.track_id, []).append(proposal.class_name)
    # the scripted plugin proposes the same three boxes on every frame: three tracks of three
    assert len(tracks) == 3 and None not in tracks
    assert sorted(len(classes) for classes in tracks.values()) == [3, 3, 3]
    assert all(len(set(classes)) == 1 for classes in tracks.values())
    project = window.document.project
    assert all(project.tracks[t].attributes["track_length"] == 3 for t in tracks)
    assert "linked into 3 tracks" in window.statusBar().currentMessage()


def test_link_proposals_menu_entry_relinks_as_one_undoable_step(models_window, qtbot) -> None:
    window = models_window
    frames = window.document.frames()
    for frame in frames:  # one frame at a time: no linking after the runs
        _run(window, qtbot, "scripted", [frame])

    def track_ids() -> list:
        return [p.track_id for f in frames for p in sorted(_proposals(window, f.id), key=lambda p: p.id)]

    unlinked = track_ids()
    assert len(set(unlinked)) > 3  # nothing ties one frame's proposals to the next
    window.actions["tracks.link"].trigger()
    linked = track_ids()
    assert len(set(linked)) == 3 and None not in linked
    assert window.actions["edit.undo"].text() == "&Undo Link proposals of 3 frames into tracks"
    window.actions["edit.undo"].trigger()
    assert track_ids() == unlinked


def test_threshold_drops_low_scoring_proposals(models_window, qtbot) -> None:
    summary = _run(models_window, qtbot, "scripted", threshold=0.5)
    assert summary.proposals == 2
    assert sorted(p.provenance.score for p in _proposals(models_window)) == [0.6, 0.9]


def test_proposals_are_dashed_with_scores_in_every_view_and_marked_in_the_object_list(
    models_window, qtbot
) -> None:
    window = models_window
    _run(window, qtbot, "scripted")
    window.grid.render_all_now()
    for view in window.grid.views:
        layer = view.scene.cuboids
        proposals = [item for item in layer.items if item.proposal]
        assert len(proposals) >= 1, view.objectName()
        assert layer.proposal_actor.GetVisibility()
        lines = layer.proposal_actor.GetMapper().GetInput().GetNumberOfLines()
        assert lines > 15 * len(proposals)  # 15 segments per cuboid, cut into dashes
        assert layer.proposal_actor.GetProperty().GetOpacity() < 1.0
    labels = {item.label for item in window.grid.perspective.scene.cuboids.items if item.proposal}
    assert labels == {"Car 0.90", "Pedestrian 0.60", "Truck 0.30"}
    table = window.objects_panel.table
    review, score = COLUMNS.index("review"), COLUMNS.index("score")
    rows = [(table.item(r, review).text(), table.item(r, score).text()) for r in range(table.rowCount())]
    assert sorted(rows) == sorted((PROPOSAL_MARKER, s) for s in ("0.9", "0.6", "0.3"))


def test_accept_keeps_provenance_moves_to_the_next_proposal_and_undoes(models_window, qtbot) -> None:
    window = models_window
    _run(window, qtbot, "scripted")
    window.actions["models.next_proposal"].trigger()
    first = window.document.selected
    assert first.provenance.score == 0.9  # best score first
    window.actions["models.accept"].trigger()
    accepted = window.document.project.annotations[first.id]
    assert accepted.review == Review.ACCEPTED
    # the model's id, version and score are kept; the person who accepted it is recorded
    assert accepted.provenance == dataclasses.replace(first.provenance, author=window.document.project.author)
    assert accepted.provenance.author is not None
    assert window.document.selected.provenance.score == 0.6
    assert not any(i.proposal for i in window.grid.perspective.scene.cuboids.items if i.id == first.id)
    window.actions["edit.undo"].trigger()
    assert window.document.project.annotations[first.id].review == Review.UNREVIEWED
    window.actions["edit.redo"].trigger()
    assert window.document.project.annotations[first.id].review == Review.ACCEPTED


def test_reject_removes_the_proposal_and_selects_the_next(models_window, qtbot) -> None:
    window = models_window
    _run(window, qtbot, "scripted")
    window.review.select_next()
    window.review.select_next()
    rejected = window.document.selected
    assert rejected.provenance.score == 0.6
    window.actions["models.reject"].trigger()
    assert rejected.id not in window.document.project.annotations
    assert window.document.selected.provenance.score == 0.3
    assert window.actions["edit.undo"].text() == "&Undo Reject 1 proposal"
    window.actions["edit.undo"].trigger()
    assert window.document.project.annotations[rejected.id].is_proposal


def test_accept_and_reject_need_a_selected_proposal(window, qtbot) -> None:
    car = next(a for a in window.document.cuboids() if a.class_name == "Car")
    window.document.select(car.id)
    steps = window.document.workspace.stack.index
    window.actions["models.reject"].trigger()
    assert car.id in window.document.project.annotations and window.document.workspace.stack.index == steps
    assert "Select a proposal" in window.statusBar().currentMessage()


def test_accept_above_threshold_in_the_frame_or_in_all_frames(models_window, qtbot) -> None:
    window = models_window
    frames = window.document.frames()
    _run(window, qtbot, "scripted", frames)
    assert window.review.accept_above(0.5, all_frames=False) == 2
    assert [p.provenance.score for p in _proposals(window)] == [0.3]
    assert all(len(_proposals(window, f.id)) == 3 for f in frames[1:])
    assert window.review.accept_above(0.5, all_frames=True) == 4
    assert window.actions["edit.undo"].text() == "&Undo Accept 4 proposals scoring >= 0.5"
    window.actions["edit.undo"].trigger()
    assert all(len(_proposals(window, f.id)) == 3 for f in frames[1:])


def test_accept_above_dialog_counts_and_remembers_its_choice(models_window, qtbot, monkeypatch) -> None:
    window = models_window
    _run(window, qtbot, "scripted", window.document.frames())
    dialog = AcceptAboveDialog(window.document.project, window.document.frame_id, 0.5, False)
    qtbot.addWidget(dialog)
    assert dialog.count_label.text() == "2 proposals will be accepted"
    dialog.all_button.setChecked(True)
    assert dialog.count_label.text() == "6 proposals will be accepted"

    def accept_at_0_25(self) -> int:
        self.threshold_box.setValue(0.25)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(AcceptAboveDialog, "exec", accept_at_0_25)
    window.actions["models.accept_above"].trigger()
    assert not _proposals(window)  # 0.25 in the current frame (the remembered scope)
    assert window.review.choices.accept_threshold == 0.25


def test_preannotate_dialog_offers_fitting_plugins_and_remembers_the_choice(
    models_window, qtbot, monkeypatch
) -> None:
    window = models_window
    offered = []

    def choose_scripted(self) -> int:
        offered.append([self.plugin_box.itemData(i) for i in range(self.plugin_box.count())])
        self.plugin_box.setCurrentIndex(self.plugin_box.findData("scripted"))
        self.threshold_box.setValue(0.55)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(PreannotateDialog, "exec", choose_scripted)
    with qtbot.waitSignal(window.preannotation.finished, timeout=20_000):
        window.actions["models.preannotate_all"].trigger()
    assert offered == [["broken-import", "centroid-example", "scripted"]]  # not the 2D plugin
    assert window.preannotation.choices.plugin == "scripted"
    assert window.preannotation.choices.threshold == 0.55
    assert all(len(_proposals(window, f.id)) == 2 for f in window.document.frames())
    dialog = PreannotateDialog(
        [window.preannotation.registry.manifest("scripted")], "frame 000000", "scripted", 0.55
    )
    qtbot.addWidget(dialog)
    assert dialog.choice() == ("scripted", 0.55)


def test_preannotate_dialog_starts_on_the_projects_default_plugin(models_window, qtbot, monkeypatch) -> None:
    window = models_window
    window.document.push(SetSetting(DEFAULT_PLUGIN_SETTING, "scripted"))
    shown = []

    def cancel(self) -> int:
        shown.append(self.plugin_box.currentData())
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(PreannotateDialog, "exec", cancel)
    window.actions["models.preannotate_frame"].trigger()
    assert shown == ["scripted"]


def test_a_plugin_failing_to_predict_reports_and_leaves_the_project_intact(models_window, qtbot) -> None:
    window = models_window
    annotations = dict(window.document.project.annotations)
    steps = window.document.workspace.stack.index
    summary = _run(window, qtbot, "scripted", window.document.frames(), fail=True)
    assert summary.frames_done == 0 and len(summary.failures) == 3
    box = window.preannotation.error_box
    assert box.isVisible() and "boom in predict" in box.text() and "000001" in box.text()
    assert window.document.project.annotations == annotations
    assert window.document.workspace.stack.index == steps


def test_a_plugin_failing_to_load_reports_and_leaves_the_project_intact(models_window, qtbot) -> None:
    window = models_window
    steps = window.document.workspace.stack.index
    summary = _run(window, qtbot, "broken-import")
    assert summary.frames_done == 0
    text = window.preannotation.error_box.text()
    assert "failed to load" in text and "no such lib" in text and "not changed" in text
    assert window.document.workspace.stack.index == steps


def test_cancel_stops_after_the_frame_in_progress(models_window, qtbot) -> None:
    window = models_window
    controller = window.preannotation
    frames = window.document.frames()
    with qtbot.waitSignal(controller.finished, timeout=20_000) as blocker:
        controller.start("scripted", frames, 0.0, {"delay": 0.3})
        assert controller.progress.isVisible()
        qtbot.mouseClick(controller.progress.cancel_button, Qt.MouseButton.LeftButton)
    summary = blocker.args[0]
    assert summary.cancelled and summary.frames_done <= 1
    assert "cancelled" in window.statusBar().currentMessage()
    assert sum(len(_proposals(window, f.id)) for f in frames) == 3 * summary.frames_done


def test_models_menu_keys_and_toolbar(models_window) -> None:
    window = models_window
    keys = {
        i: [s.toString() for s in window.actions[i].shortcuts()] for i in ("models.accept", "models.reject")
    }
    assert keys == {"models.accept": ["Return", "Enter"], "models.reject": ["X"]}
    toolbar = window.toolbars["Models"]
    assert window.actions["models.preannotate_all"] in toolbar.actions()
    assert "models.preannotate_frame" in [a.objectName() for a in window.menus["&Models"].actions()]


def test_proposals_landing_on_the_frame_on_screen_draw_the_cloud_coarse_until_they_stop(
    models_window, qtbot
) -> None:
    window = models_window
    announced = []
    window.document.background_edit.connect(lambda: announced.append(window.grid.perspective.lod.moving))
    _run(window, qtbot, "scripted")
    assert announced == [True]  # once, for the frame on screen, and the perspective went coarse ...
    qtbot.waitUntil(lambda: not window.grid.perspective.lod.moving, timeout=5_000)  # ... full once they stop


def test_preannotation_adds_no_proposal_over_the_boxes_a_frame_has(
    qtbot, settings, street_project: Path, plugins: PluginRegistry
) -> None:
    window = show_window(qtbot, settings, street_project, plugins=plugins)
    summary = _run(window, qtbot, "scripted")  # it proposes exactly the street's three labelled boxes
    assert summary.proposals == 0 and _proposals(window) == []
    assert len(window.document.cuboids()) == 3
    window.close()


def test_the_run_reads_a_snapshot_and_edits_made_meanwhile_stay(models_window, qtbot, monkeypatch) -> None:
    from annotator.core.cuboids.cuboid import Cuboid
    from annotator.core.edits import AddAnnotations
    from annotator.core.model.records import Annotation
    from annotator.qt.models import preannotation

    window = models_window
    live, read = window.document.project, []
    original = preannotation.predict_frame

    def recording(registry, plugin_id, project, frame, values):
        read.append((project is live, len(project.annotations)))
        return original(registry, plugin_id, project, frame, values)

    monkeypatch.setattr(preannotation, "predict_frame", recording)
    frames = window.document.frames()
    before = len(live.annotations)
    cuboid = Cuboid((20.0, -6.0, -0.9), (4.0, 1.8, 1.5), 0.0)
    with qtbot.waitSignal(window.preannotation.finished, timeout=20_000) as blocker:
        window.preannotation.start("scripted", frames, 0.0, {"delay": 0.2})
        window.document.push(AddAnnotations([Annotation(0, frames[-1].id, "Car", cuboid=cuboid)]))
    assert blocker.args[0].frames_done == len(frames)
    assert read and not any(is_live for is_live, _ in read)  # never the live project
    assert all(count == before for _, count in read)  # the edit made meanwhile is not in the snapshot
    manual = [a for a in live.annotations.values() if not a.is_proposal]
    assert len(manual) == before + 1  # ...and it stays, beside the proposals of every frame


def test_pre_annotation_scoring_review_and_training_share_the_windows_one_registry(qtbot, settings) -> None:
    from annotator.qt.app.main_window import MainWindow

    main = MainWindow(settings=settings)  # no host given: the window makes one, shared by all
    qtbot.addWidget(main)
    registry = main.plugins
    assert main.preannotation.registry is registry and main.scoring.registry is registry
    assert main.training.registry() is registry and main.review_queue._registry() is registry
    main.close()
