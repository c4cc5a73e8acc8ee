"""Uncertainty in the window: Models > Score uncertainty (worker thread, one step per frame), flagged boxes
in the views, the image panel and the object list, the review-queue dock (order, U / Shift+U, accept all
confident, stale scores) and the uncertainty plot."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog
from window_support import centroid_drop_in, show_window  # type: ignore[import-not-found]

from annotator.core.model.records import Review
from annotator.core.model_versions import ModelVersion, RecordModelVersion
from annotator.ml.uncertainty.project_escalation import is_missed_item
from annotator.ml.uncertainty.scoring import uncertainty_of
from annotator.qt.models.score_dialog import ScoreDialog
from annotator.qt.panels.objects import COLUMNS
from annotator.qt.panels.uncertainty_plot import UncertaintyPlot

PLUGIN = "centroid-example"


@pytest.fixture
def scoring_window(qtbot, settings, unlabelled_street: Path, tmp_path: Path, monkeypatch) -> Iterator:
    """The main window finding the centroid example as a drop-in through $ANNOTATOR_PLUGIN_PATH."""
    centroid_drop_in(tmp_path, monkeypatch)
    main = show_window(qtbot, settings, unlabelled_street)
    yield main
    main.close()


def _score_through_menu(window, qtbot, all_frames: bool = True, passes: int = 6) -> object:
    """Models > Score uncertainty..., answering the dialog: the centroid plugin, TTA, K passes."""
    seen: dict[str, object] = {}

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, ScoreDialog)
        dialog.plugin_box.setCurrentIndex(dialog.plugin_box.findData(PLUGIN))
        seen["modes"] = dialog.modes()
        dialog.mode_box.setCurrentIndex(dialog.mode_box.findData("tta"))
        dialog.passes_box.setValue(passes)
        (dialog.all_button if all_frames else dialog.frame_button).setChecked(True)
        # these tests are about the proposals: possible missed objects are `test_escalation_window`'s
        dialog.missed_box.setChecked(False)
        dialog.accept()

    QTimer.singleShot(0, answer)
    with qtbot.waitSignal(window.scoring.finished, timeout=30_000) as blocker:
        window.actions["models.score"].trigger()
    seen["summary"] = blocker.args[0]
    return seen


def _scored(window) -> list:
    """The scored proposals (not the possible missed objects scoring adds, `test_escalation_window`)."""
    return [
        a
        for a in window.document.project.annotations.values()
        if uncertainty_of(a) is not None and not is_missed_item(uncertainty_of(a))
    ]


def test_score_through_the_menu_runs_off_the_ui_thread_one_step_per_frame(scoring_window, qtbot) -> None:
    window = scoring_window
    seen = _score_through_menu(window, qtbot)
    assert seen["modes"] == ["tta"]  # the centroid plugin declares neither ensembles nor MC dropout
    summary = seen["summary"]
    assert (summary.frames_done, summary.failures) == (3, [])
    scored = _scored(window)
    assert len(scored) == 3 and {a.frame_id for a in scored} == {f.id for f in window.document.frames()}
    record = uncertainty_of(scored[0])
    assert (record["mode"], record["passes"]) == ("tta", 6)
    model = window.scoring.registry.load(PLUGIN)
    assert record["model_version"] == model.version
    assert window.actions["edit.undo"].text().startswith("&Undo Score")
    assert not window.scoring.progress.isVisible()
    for _ in range(3):
        window.actions["edit.undo"].trigger()
    assert not _scored(window)


def test_one_plugin_host_serves_preannotation_scoring_the_queue_and_training(scoring_window) -> None:
    window = scoring_window
    host = window.plugins
    assert window.preannotation.registry is host and window.scoring.registry is host
    assert window.review_queue._registry() is host and window.training.registry() is host
    assert window.preannotation.registry.load(PLUGIN) is window.scoring.registry.load(PLUGIN)  # loaded once


def test_queue_lists_boxes_by_uncertainty_and_u_walks_them_in_order(scoring_window, qtbot) -> None:
    window = scoring_window
    _score_through_menu(window, qtbot)
    queue = window.review_queue
    queue.threshold_box.setValue(0.0)  # every scored box is flagged
    queue.rebuild()
    model = queue.model
    values = [float(row.siblingAtColumn(1).data()) for row in queue.box_rows()]
    assert len(values) == 3
    frame_max = [float(model.index(i, 1).data()) for i in range(model.rowCount())]
    assert frame_max == sorted(frame_max, reverse=True)
    expected = [item["annotation_id"] for item in queue.order]
    uncertainties = [item["uncertainty"] for item in queue.order]
    assert uncertainties == sorted(uncertainties, reverse=True)
    visited = []
    for _ in range(3):
        window.actions["models.next_uncertain"].trigger()
        visited.append(window.document.selected_id)
        assert window.document.selected.frame_id == window.document.frame_id
    assert visited == expected
    window.actions["models.next_uncertain"].trigger()  # wraps around
    assert window.document.selected_id == expected[0]
    window.actions["models.previous_uncertain"].trigger()
    assert window.document.selected_id == expected[-1]
    row = queue.box_rows()[1]
    queue.jump_to(row)
    assert window.document.selected_id == row.data(Qt.ItemDataRole.UserRole)
    assert queue.tree.selectionModel().isSelected(row)


def test_accept_all_confident_is_one_undo_step(scoring_window, qtbot) -> None:
    window = scoring_window
    _score_through_menu(window, qtbot)
    queue = window.review_queue
    values = sorted(uncertainty_of(a)["uncertainty"] for a in _scored(window))
    threshold = (values[0] + values[1]) / 2 if values[0] < values[1] else values[0] + 1e-3
    window.document.flags.set_threshold(threshold)
    below = [
        a.id for a in _scored(window) if uncertainty_of(a)["uncertainty"] < window.document.flags.threshold
    ]
    assert 0 < len(below) < 3
    window.actions["models.accept_confident_all"].trigger()
    project = window.document.project
    assert all(project.annotations[i].review == Review.ACCEPTED for i in below)
    assert all(a.review == Review.UNREVIEWED for a in _scored(window) if a.id not in below)
    assert window.actions["edit.undo"].text().startswith(f"&Undo Accept {len(below)} confident")
    window.actions["edit.undo"].trigger()
    assert all(project.annotations[i].review == Review.UNREVIEWED for i in below)
    qtbot.waitUntil(lambda: len(queue.order) == 3, timeout=5_000)


def test_accept_all_confident_marks_the_frames_it_judged_box_by_box_even_with_nothing_confident(
    scoring_window, qtbot
) -> None:
    from annotator.ml.uncertainty.whole_reviews import ACCEPTED_BY_RULE, ESCALATED_KEY

    window = scoring_window
    _score_through_menu(window, qtbot, all_frames=False)
    project, frame_id = window.document.project, window.document.frame_id
    window.document.flags.set_threshold(0.0)  # nothing is confident
    window.actions["models.accept_confident"].trigger()
    # the frame was judged box by box, not reviewed whole: marked, as its own undoable step
    assert project.frames[frame_id].meta[ESCALATED_KEY] == {"accepted": 0}
    assert window.actions["edit.undo"].text().startswith("&Undo Judge frames box by box")
    window.actions["edit.undo"].trigger()
    assert ESCALATED_KEY not in project.frames[frame_id].meta
    window.document.flags.set_threshold(1.01)  # everything is
    window.actions["models.accept_confident"].trigger()
    accepted = [a for a in _scored(window) if a.frame_id == frame_id]
    assert accepted and all(
        a.review == Review.ACCEPTED and uncertainty_of(a)[ACCEPTED_BY_RULE] for a in accepted
    )
    assert project.frames[frame_id].meta[ESCALATED_KEY] == {"accepted": len(accepted)}


def test_flagged_boxes_are_styled_in_the_views_and_explained_in_the_object_list(
    scoring_window, qtbot
) -> None:
    window = scoring_window
    _score_through_menu(window, qtbot, all_frames=False)
    window.document.flags.set_threshold(0.0)
    window.grid.render_all_now()
    for view in window.grid.views:
        layer = view.scene.cuboids
        flagged = [item for item in layer.items if item.flagged]
        assert len(flagged) == 1, view.objectName()
        assert layer.flag_actor.GetVisibility()
        assert layer.flag_actor.GetMapper().GetInput().GetNumberOfLines() == 12
        assert flagged[0].label.endswith(" ?")
    table = window.objects_panel.table
    column = COLUMNS.index("uncertainty")
    scored_rows = [r for r in range(table.rowCount()) if table.item(r, column).text()]
    assert len(scored_rows) == 1
    item = table.item(scored_rows[0], column)
    assert not item.icon().isNull()
    tip = item.toolTip()
    assert tip.startswith("uncertainty ") and "flagged" in tip and "tta, 6 passes" in tip
    window.document.flags.set_threshold(1.0)  # nothing is flagged any more
    assert not any(item.flagged for item in window.grid.perspective.scene.cuboids.items)
    assert not window.grid.perspective.scene.cuboids.flag_actor.GetVisibility()
    assert table.item(scored_rows[0], column).icon().isNull()


def test_scores_become_stale_when_the_model_version_changes(scoring_window, qtbot) -> None:
    window = scoring_window
    _score_through_menu(window, qtbot)
    queue, flags = window.review_queue, window.document.flags
    qtbot.waitUntil(lambda: flags.versions.get(PLUGIN) is not None, timeout=10_000)
    qtbot.waitUntil(lambda: len(queue.box_rows()) == 3, timeout=5_000)  # the debounced rebuild
    assert queue.summary.text().endswith(", 0 stale")
    assert not any("stale" in r.siblingAtColumn(5).data() for r in queue.box_rows())
    version = ModelVersion("v1", PLUGIN, None, 1.0, "centroid-1.0+pad0.250", "models/none.json")
    window.document.push(RecordModelVersion(version, promote=True))
    qtbot.waitUntil(lambda: flags.versions.get(PLUGIN) == "centroid-1.0+pad0.250", timeout=10_000)
    rows = queue.box_rows()
    assert rows and all("stale" in row.siblingAtColumn(5).data() for row in rows)
    assert all(row.data(Qt.ItemDataRole.ForegroundRole).getRgb()[:3] == (150, 150, 150) for row in rows)
    assert "3 stale" in queue.summary.text()
    assert "stale:" in rows[0].data(Qt.ItemDataRole.ToolTipRole)


def test_plot_paints_the_histogram_and_the_threshold_line(qtbot) -> None:
    plot = UncertaintyPlot()
    qtbot.addWidget(plot)
    plot.resize(420, 200)
    plot.set_values(np.array([0.05, 0.1, 0.12, 0.5, 0.8, 0.95]))
    plot.set_threshold(0.6)
    image = plot.grab().toImage()
    assert not image.isNull() and image.width() == 420
    x = round(plot.threshold_x())
    middle = round(plot.histogram_rect().center().y())
    red = [image.pixelColor(x + dx, middle) for dx in (-1, 0, 1)]
    assert any(c.red() > 180 and c.green() < 90 and c.blue() < 90 for c in red)
    assert plot.counts().sum() == 6
    with qtbot.waitSignal(plot.threshold_dragged) as blocker:
        rect = plot.histogram_rect()
        qtbot.mousePress(
            plot, Qt.MouseButton.LeftButton, pos=QPoint(round(rect.left() + 0.3 * rect.width()), middle)
        )
    assert blocker.args[0] == pytest.approx(0.3, abs=0.02)
    flagged, found = np.array([0.0, 0.5, 1.0]), np.array([0.0, 0.8, 1.0])
    plot.set_curves({"uncertainty": (flagged, found), "score only": (flagged, flagged)}, errors=4)
    assert not plot.curve_rect().isEmpty()
    assert not plot.grab().toImage().isNull()


def test_dragging_the_plot_threshold_moves_the_setting(scoring_window, qtbot) -> None:
    window = scoring_window
    plot = window.review_queue.plot
    plot.threshold_dragged.emit(0.3)
    assert window.document.flags.threshold == pytest.approx(0.3)
    assert window.review_queue.threshold_box.value() == pytest.approx(0.3)
    assert window.settings.qsettings.value("uncertainty/flag_threshold") is not None


def test_scoring_runs_in_a_worker_thread(scoring_window, qtbot) -> None:
    window = scoring_window
    seen = []
    model = window.scoring.registry.load(PLUGIN)
    original = model.predict

    def predict(frame, params):
        seen.append(threading.get_ident())
        return original(frame, params)

    model.predict = predict
    _score_through_menu(window, qtbot, all_frames=False, passes=3)
    assert len(seen) == 3 and threading.get_ident() not in seen


def test_score_dialog_offers_only_the_modes_a_plugin_supports(qtbot) -> None:
    from annotator.ml.manifest import manifest_from_dict
    from annotator.qt.models.score_dialog import ScoringChoice

    base = {"version": "1", "task": "detect3d", "framework": "numpy", "entry": "m:M", "classes": ["Car"]}
    plain = manifest_from_dict({**base, "id": "plain", "name": "plain", "capabilities": ["predict"]})
    sampled = manifest_from_dict(
        {
            **base,
            "id": "sampled",
            "name": "sampled",
            "capabilities": ["predict", "samples:ensemble", "samples:mc_dropout"],
        }
    )
    dialog = ScoreDialog([plain, sampled], "000000", 3, ScoringChoice("sampled", "mc"))
    qtbot.addWidget(dialog)
    assert dialog.modes() == ["ensemble", "mc", "tta"] and dialog.choice().mode == "mc"
    dialog.plugin_box.setCurrentIndex(dialog.plugin_box.findData("plain"))
    assert dialog.modes() == ["tta"] and dialog.choice() == ScoringChoice("plain", "tta", 8, 0.1, False)
    assert dialog.result() != QDialog.DialogCode.Accepted


def _window_with_far_car(qtbot, settings, project: Path, tmp_path: Path, monkeypatch) -> tuple:
    """The window on ``project`` with reference labels (one car far from every box in each frame) and the
    centroid example as a drop-in; the window and the frame names."""
    from annotator.core.cuboids.cuboid import Cuboid
    from annotator.io.reference_labels import REFERENCE_FILE, ReferenceObject, write_reference_labels
    from annotator.io.workspace import Workspace

    with Workspace.open(project) as workspace:
        names = [f.name for f in workspace.project.frames_in_order()]
    far_car = ReferenceObject(1, "Car", Cuboid((45.0, -20.0, 0.0), (4.0, 1.8, 1.5), 0.0))
    write_reference_labels(project / REFERENCE_FILE, {name: [far_car] for name in names})
    centroid_drop_in(tmp_path, monkeypatch)
    return show_window(qtbot, settings, project), names


def test_the_plot_measures_caught_errors_against_the_projects_reference_labels(
    qtbot, settings, unlabelled_street: Path, tmp_path: Path, monkeypatch
) -> None:
    window, _names = _window_with_far_car(qtbot, settings, unlabelled_street, tmp_path, monkeypatch)
    try:
        plot = window.review_queue.plot
        assert not plot.curves  # nothing scored yet
        _score_through_menu(window, qtbot)
        qtbot.waitUntil(lambda: bool(plot.curves), timeout=10_000)
        assert (
            set(plot.curves) == {"uncertainty", "score only"} and plot.errors == 3
        )  # no box is near the car
    finally:
        window.close()


def test_escalation_accepts_confident_boxes_reviews_ood_frames_whole_and_plots_the_sweep(
    qtbot, settings, unlabelled_street: Path, tmp_path: Path, monkeypatch
) -> None:
    window, names = _window_with_far_car(qtbot, settings, unlabelled_street, tmp_path, monkeypatch)
    try:
        model = window.scoring.registry.load(PLUGIN)
        # the first frame lies far from the training data, the others near it
        monkeypatch.setattr(model, "frame_ood", lambda frame, params: 9.0 if frame.name == names[0] else 0.2,
                            raising=False)  # fmt: skip
        _score_through_menu(window, qtbot)
        queue, project = window.review_queue, window.document.project
        first = project.frames_in_order()[0].id
        assert {uncertainty_of(a)["frame_ood"] for a in _scored(window) if a.frame_id == first} == {9.0}
        qtbot.waitUntil(lambda: queue.escalation_plot.isVisibleTo(queue), timeout=10_000)
        outcomes = {round(o.threshold, 2): o for o in queue.escalation_plot.outcomes}
        assert outcomes[0.0].frames_whole == 1 and outcomes[1.01].reviewed == outcomes[1.01].frames_whole
        assert outcomes[1.01].missed == 2  # the car of the two frames not reviewed whole
        window.document.flags.set_threshold(1.0)  # every box of an in-distribution frame is confident
        messages = []
        queue.message.connect(lambda text, _timeout: messages.append(text))
        window.actions["models.accept_confident_all"].trigger()
        accepted = [a for a in _scored(window) if a.review == Review.ACCEPTED]
        assert accepted and all(a.frame_id != first for a in accepted)
        assert all(a.review == Review.UNREVIEWED for a in _scored(window) if a.frame_id == first)
        assert f"to review whole: {names[0]}" in messages[-1]
        frame_row = queue.model.index(0, 5)
        assert "review whole" in queue.model.data(frame_row)
        assert "at 1.00" in queue.escalation_plot.summary()
    finally:
        window.close()


def test_the_diverse_box_walks_a_different_box_before_a_near_copy(scoring_window, qtbot) -> None:
    from annotator.core.cuboids.cuboid import Cuboid
    from annotator.core.edits import AddAnnotations
    from annotator.core.model.records import Annotation, Provenance, Source

    window = scoring_window
    frame = window.document.frame_id
    scored = [(0.9, [0.0, 0.0]), (0.85, [0.0, 0.1]), (0.6, [4.0, 4.0])]
    window.document.push(AddAnnotations([
        Annotation(0, frame, "Car", cuboid=Cuboid((10.0 * k, 0, 0), (4, 2, 1.5)), review=Review.UNREVIEWED,
                   provenance=Provenance(Source.MODEL, "pointpillars", "m1", 0.5),
                   attributes={"uncertainty": {"uncertainty": u, "embedding": e}})
        for k, (u, e) in enumerate(scored)
    ]))  # fmt: skip
    queue = window.review_queue
    qtbot.waitUntil(lambda: len(queue.order) == 3, timeout=5_000)
    assert [i["uncertainty"] for i in queue.order] == [0.9, 0.85, 0.6]
    queue.diverse_box.setChecked(True)
    assert [i["uncertainty"] for i in queue.order] == [0.9, 0.6, 0.85]


def test_scoring_sends_a_carried_box_the_model_does_not_confirm_to_review(scoring_window, qtbot) -> None:
    from sequence_support import carried_in  # type: ignore[import-not-found]

    from annotator.core.cuboids.cuboid import Cuboid
    from annotator.core.edits import AddAnnotations
    from annotator.core.model.records import Source
    from annotator.ml.uncertainty.flags import flag_text

    window = scoring_window
    frame = window.document.frame_id
    far = Cuboid((45.0, -20.0, 0.0), (4.0, 1.8, 1.5), 0.0)  # nowhere near the plugin's one box
    window.document.push(AddAnnotations([carried_in(frame, "Car", far)]))
    _score_through_menu(window, qtbot, all_frames=False)
    (carried,) = [
        a for a in window.document.project.annotations_of(frame) if a.provenance.source is Source.PROPAGATED
    ]
    assert carried.review == Review.UNREVIEWED and uncertainty_of(carried)["kind"] == "carried"
    assert "the model does not confirm it" in flag_text(carried, 0.5)
    queue = window.review_queue
    qtbot.waitUntil(lambda: any(i["annotation_id"] == carried.id for i in queue.order), timeout=5_000)
    labels = [
        queue.model.data(queue.model.index(r, 0, queue.model.index(0, 0)))
        for r in range(queue.model.rowCount(queue.model.index(0, 0)))
    ]
    assert f"#{carried.id} Car (carried in, not confirmed)" in labels
    window.document.flags.set_threshold(1.0)
    window.actions["models.accept_confident_all"].trigger()
    assert window.document.project.annotations[carried.id].review == Review.UNREVIEWED  # left for a person


def test_propagate_then_score_again_checks_the_carried_box_without_a_dialog(scoring_window, qtbot) -> None:
    from annotator.core.cuboids.cuboid import Cuboid
    from annotator.core.edits import AddAnnotations
    from annotator.core.model.records import Annotation, Source

    window = scoring_window
    messages: list[str] = []
    window.scoring.message.connect(lambda text, _timeout: messages.append(text))
    assert not window.scoring.score_again()  # nothing chosen yet: it says so
    assert "Score uncertainty" in messages[-1]
    first, second = window.document.frames()[:2]
    far = Cuboid((45.0, -20.0, 0.0), (4.0, 1.8, 1.5), 0.0)  # nowhere near the plugin's one box
    window.document.push(AddAnnotations([Annotation(0, first.id, "Car", cuboid=far)]))
    _score_through_menu(window, qtbot, all_frames=False)  # the choices to score with again
    window.actions["tracks.propagate_all"].trigger()  # Ctrl+Shift+P: carried, and on to the next frame
    qtbot.waitUntil(lambda: window.document.frame_id == second.id, timeout=10_000)
    with qtbot.waitSignal(window.scoring.finished, timeout=30_000) as blocker:
        window.actions["models.score_again"].trigger()
    assert blocker.args[0].frames_done == 1  # the frame shown, with the settings chosen before
    (carried,) = [  # the car carried on (the frame's proposal is carried along too, as it was)
        a
        for a in window.document.project.annotations_of(second.id)
        if a.provenance.source is Source.PROPAGATED and a.cuboid.center[0] > 40.0
    ]
    assert carried.review == Review.UNREVIEWED and uncertainty_of(carried)["kind"] == "carried"


def test_after_a_frame_is_verified_its_like_is_no_longer_out_of_distribution(
    scoring_window, qtbot, monkeypatch
) -> None:
    from annotator.ml.uncertainty.escalation import DEFAULT_OOD_THRESHOLD
    from annotator.ml.uncertainty.ood import OodIndex
    from annotator.ml.uncertainty.verified_ood import stored_embedding

    window = scoring_window
    model = window.scoring.registry.load(PLUGIN)
    # a plugin with an OOD index of its training frames, and every frame of this street far from them
    monkeypatch.setattr(model, "ood_index", OodIndex.build(np.eye(3)), raising=False)
    monkeypatch.setattr(
        model, "frame_embedding", lambda frame, params: np.array([9.0, 9.0, 9.0]), raising=False
    )
    first, second = window.document.frames()[:2]
    _score_through_menu(window, qtbot, all_frames=False)
    project = window.document.project
    assert stored_embedding(project.frames[first.id], PLUGIN) is not None
    assert {uncertainty_of(a)["frame_ood"] > DEFAULT_OOD_THRESHOLD for a in _scored(window)} == {True}
    window.actions["frame.verified"].trigger()  # Ctrl+Return: a person checked the first frame
    window.actions["frame.next"].trigger()
    qtbot.waitUntil(lambda: window.document.frame_id == second.id, timeout=10_000)
    with qtbot.waitSignal(window.scoring.finished, timeout=30_000):
        window.actions["models.score_again"].trigger()
    oods = [uncertainty_of(a)["frame_ood"] for a in _scored(window) if a.frame_id == second.id]
    assert oods and max(oods) < 0.01  # like the verified frame: escalation judges its boxes one by one


def test_a_standing_box_a_person_confirmed_is_confirmed_on_the_next_frame_then_checked_again(
    scoring_window, qtbot
) -> None:
    from dataclasses import replace

    from annotator.core.cuboids.cuboid import Cuboid
    from annotator.core.edits import AddAnnotations, UpdateAnnotations, UpdateFrame
    from annotator.core.model.records import Annotation, Source
    from annotator.core.pose import Pose
    from annotator.ml.uncertainty.carried_check import still_frames_of
    from annotator.ml.uncertainty.flags import flag_text

    def without_record(annotation: Annotation) -> dict:
        """Its attributes as propagation left them: not checked yet."""
        return {k: v for k, v in annotation.attributes.items() if k != "uncertainty"}

    window = scoring_window
    frames = window.document.frames()[:3]
    for k, frame in enumerate(frames):  # the sensor drives 1 m along x per frame
        window.document.push(UpdateFrame(frame.id, pose=Pose((1.0, 0.0, 0.0, 0.0), (float(k), 0.0, 0.0))))
    # nowhere near the plugin's one box, on the ground: 30-45 points in it on each frame (standing still confirms
    # only a box holding at least 10)
    parked = Cuboid((6.0, -10.0, -1.0), (4.0, 1.8, 1.5), 0.0)
    window.document.push(AddAnnotations([Annotation(0, frames[0].id, "Car", cuboid=parked)]))  # accepted
    _score_through_menu(window, qtbot, all_frames=False)

    def carried_on(frame_id: int) -> Annotation:
        (box,) = [
            a
            for a in window.document.project.annotations_of(frame_id)
            if a.provenance.source is Source.PROPAGATED and a.cuboid.center[1] < -9.0
        ]
        return box

    for frame in frames[1:]:
        window.actions["tracks.propagate_all"].trigger()  # Ctrl+Shift+P
        qtbot.waitUntil(lambda frame=frame: window.document.frame_id == frame.id, timeout=10_000)
        with qtbot.waitSignal(window.scoring.finished, timeout=30_000):
            window.actions["models.score_again"].trigger()  # Ctrl+Alt+Shift+U
    # on the second frame the parked car, carried by the ego motion alone, stands where the box a person
    # confirmed stood: confirmed without the model's box, and said so
    second = carried_on(frames[1].id)
    assert second.review == Review.ACCEPTED and uncertainty_of(second)["still"] == 1
    assert "stands where the box confirmed there stood" in flag_text(second, 0.5)
    # on the third, that confirmation was its standing still alone: a person checks it
    third = carried_on(frames[2].id)
    assert third.review == Review.UNREVIEWED and "still" not in uncertainty_of(third)
    # Models > Confirm standing carried boxes off: the second frame scored again leaves its box to a person
    action = window.actions["models.confirm_standing"]
    assert action.isCheckable() and action.isChecked()
    window.document.set_frame(frames[1].id)
    qtbot.waitUntil(lambda: window.document.frame_id == frames[1].id, timeout=10_000)
    window.document.push(
        UpdateAnnotations([replace(second, review=Review.ACCEPTED, attributes=without_record(second))])
    )
    action.trigger()
    assert not action.isChecked() and window.document.project.setting("carried_still_frames") == 0
    with qtbot.waitSignal(window.scoring.finished, timeout=30_000):
        window.actions["models.score_again"].trigger()
    assert carried_on(frames[1].id).review == Review.UNREVIEWED
    window.actions["edit.undo"].trigger()  # the score
    window.actions["edit.undo"].trigger()  # the setting: on again, and the menu says so
    assert action.isChecked() and still_frames_of(window.document.project) == 1
