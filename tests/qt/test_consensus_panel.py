"""Team > Consensus view: two annotators' disagreements on the frame, resolved in the window (each one
undoable step), and the reviewer's sign-off shown in the frames list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from window_support import show_window  # type: ignore[import-not-found]

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations
from annotator.core.model.records import Annotation
from annotator.core.teamwork import AssignFrames, signoff
from annotator.io.workspace import Workspace


def car(frame_id: int, x: float, cls: str = "Car") -> Annotation:
    return Annotation(0, frame_id, cls, cuboid=Cuboid((x, 4.0, 0.8), (4, 2, 1.5), 0.0))


@pytest.fixture
def consensus_window(qtbot, settings, street_project: Path, monkeypatch) -> Iterator:
    """Frame 0: ann and bob agree on a car at x=10, bob shifted ann's car at x=20 by 2.5 m (IoU 0.23) and
    calls her car at x=30 a Van; the consensus view is open; the reviewer is rita."""
    monkeypatch.setenv("ANNOTATOR_USER", "rita")
    root = street_project
    with Workspace.open(root) as workspace:
        project = workspace.project
        first = project.frames_in_order()[0].id
        workspace.push(AssignFrames([first], ["ann", "bob"]))
        project.author = "ann"
        workspace.push(AddAnnotations([car(first, 10), car(first, 20), car(first, 30)]))
        project.author = "bob"
        workspace.push(AddAnnotations([car(first, 10), car(first, 22.5), car(first, 30, "Van")]))
    main = show_window(qtbot, settings, root)
    main.actions["team.consensus"].trigger()
    qtbot.waitUntil(lambda: main.consensus.isVisible())
    yield main
    main.close()


def test_the_view_lists_the_open_disagreements_with_the_frames_score(consensus_window):
    panel = consensus_window.consensus
    assert panel.table.rowCount() == 2
    rows = [[panel.table.item(r, c).text() for c in range(5)] for r in range(2)]
    assert [row[1:] for row in rows] == [["Car", "Car", "0.23", "overlap"], ["Car", "Van", "1.00", "class"]]
    assert "ann / bob: score" in panel.summary.text() and "1 of 3 objects agree" in panel.summary.text()
    assert "Assigned to ann, bob" in panel.summary.text()
    panel.table.selectRow(1)
    assert set(consensus_window.document.selected_ids) == set(panel.current().ids)


def test_keeping_one_side_is_undoable_and_keeping_both_resolves(consensus_window):
    main, panel = consensus_window, consensus_window.consensus
    project = main.document.project
    panel.table.selectRow(0)
    ann_box, bob_box = panel.current().first, panel.current().second
    main.actions["team.keep_second"].trigger()
    assert ann_box.id not in project.annotations and bob_box.id in project.annotations
    assert panel.table.rowCount() == 1
    main.actions["edit.undo"].trigger()
    assert ann_box.id in project.annotations and panel.table.rowCount() == 2
    panel.table.selectRow(1)
    main.actions["team.keep_both"].trigger()
    assert panel.table.rowCount() == 1
    main.actions["team.delete"].trigger()
    assert panel.table.rowCount() == 0 and ann_box.id not in project.annotations


def test_signing_off_records_the_reviewer_and_marks_the_frame_in_the_list(consensus_window):
    main = consensus_window
    main.actions["team.signoff"].trigger()
    frame = main.document.frame
    record = signoff(frame)
    assert record["reviewer"] == "rita" and 0.0 < record["agreement"] < 1.0
    assert "Signed off by rita" in main.consensus.signed.text()
    first_row = main.frames_panel.list.item(0).text()
    assert "→ ann, bob" in first_row and "✔ rita" in first_row
    main.actions["team.signoff"].trigger()  # toggles: revoked
    assert signoff(main.document.frame) is None


def test_a_hidden_view_does_no_work_on_edits_and_catches_up_when_shown(consensus_window, monkeypatch):
    """Every step of a walked box announces changed annotations: the closed consensus view neither
    recomputes nor refills its table then, and shows the frame's disagreements again once reopened."""
    from annotator.qt.panels import consensus

    main, panel = consensus_window, consensus_window.consensus
    main.consensus_dock.hide()  # closed
    assert not panel.isVisible()
    fills = []
    monkeypatch.setattr(panel, "_fill_table", lambda: fills.append(1))
    for _ in range(3):
        panel.refresh()
    assert len(fills) == 1  # once, to empty the table; then nothing
    monkeypatch.undo()
    computed = []
    agreement = consensus.frame_agreement
    monkeypatch.setattr(consensus, "frame_agreement", lambda *a: computed.append(1) or agreement(*a))
    panel.refresh()
    assert not computed
    main.actions["team.consensus"].trigger()  # opened again
    assert panel.isVisible() and computed and panel.table.rowCount() == 2
