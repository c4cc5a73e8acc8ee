"""The window and a batch command on one project: the window reloads what the batch wrote."""

from __future__ import annotations

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, update_annotation
from annotator.core.model.records import Annotation
from annotator.io.workspace import Workspace
from annotator.ml.preannotate import ReplaceProposals


def test_window_shows_boxes_a_batch_command_added(window, street_project, qtbot) -> None:
    frame_id = window.document.frame_id
    before = len(window.document.cuboids())
    with Workspace.open(street_project) as batch:
        proposal = Annotation(0, frame_id, "Car", cuboid=Cuboid((20, -5, -1), (4, 1.8, 1.5), 0.0))
        batch.push(ReplaceProposals(frame_id, "batch", [proposal]))
    qtbot.waitUntil(lambda: len(window.document.cuboids()) == before + 1, timeout=3000)  # the poll
    assert len(window.grid.perspective.scene.items) == before + 1
    window.document.push(AddAnnotations([Annotation(0, frame_id, "Van", cuboid=proposal.cuboid)]))
    with Workspace.open(street_project) as check:
        assert len(check.project.annotations_of(frame_id)) == before + 2


def test_stale_edit_in_the_window_is_refused_with_a_message(window, street_project) -> None:
    window.external.timer.stop()  # no poll: the window stays behind the batch
    target = window.document.cuboids()[0]
    fitted = Cuboid((12.5, 4.1, -0.9), (4.4, 1.9, 1.6), 0.5)
    with Workspace.open(street_project) as fit:
        fit.push(update_annotation(fit.project, target.id, "Fit", cuboid=fitted))
    refused = []
    window.document.edit_refused.connect(refused.append)
    window.document.push(
        update_annotation(window.document.project, target.id, "Change class", class_name="Van")
    )
    assert refused and "changed by another process" in refused[0]
    assert window.document.project.annotations[target.id].cuboid == fitted
    with Workspace.open(street_project) as check:
        assert check.project.annotations[target.id].cuboid == fitted


def test_a_read_only_project_says_so_and_refuses_edits_with_a_message(
    qtbot, settings, street_project, monkeypatch
) -> None:
    import os

    from window_support import show_window  # type: ignore[import-not-found]

    monkeypatch.setattr(os, "access", lambda path, mode: mode != os.W_OK)
    window = show_window(qtbot, settings, street_project)
    assert window.windowTitle().endswith("(read-only)")
    refused = []
    window.document.edit_refused.connect(refused.append)
    target = window.document.cuboids()[0]
    window.document.push(
        update_annotation(window.document.project, target.id, "Change class", class_name="Van")
    )
    assert refused and "opened read-only" in refused[0]
    assert window.document.project.annotations[target.id].class_name == target.class_name
    window.close()
