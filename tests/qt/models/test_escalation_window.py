"""Escalation in the window: scoring puts possible missed objects in the review queue, and Accept all
confident follows the rule of ``simulate --strategy escalate``, learned from the frames marked verified."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

pytest.importorskip("PySide6")

from sequence_support import carried_in  # type: ignore[import-not-found]
from window_support import centroid_drop_in, show_window  # type: ignore[import-not-found]

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames, SetFrameStatus
from annotator.core.model.records import Annotation, Frame, FrameStatus, Review
from annotator.core.review import AcceptProposals
from annotator.io.reference_labels import REFERENCE_FILE, ReferenceObject, write_reference_labels
from annotator.io.workspace import Workspace
from annotator.ml.uncertainty.flags import flag_text
from annotator.ml.uncertainty.project_escalation import is_missed_item
from annotator.ml.uncertainty.scoring import uncertainty_of
from annotator.ml.uncertainty.whole_reviews import ESCALATED_KEY, SEARCH_KEY, reviewed_whole
from annotator.testing.scans import scan_of

PLUGIN = "centroid-example"


def cloud() -> np.ndarray:
    """Flat ground, a 3.5 m pole at (5, 5) and the scanned side and rear of a car at (10, 0), 1.5 m high."""
    grid = np.arange(-15.0, 15.0, 0.3)
    ground = [[x + 10.0, y, 0.0] for x in grid for y in grid]
    heights = np.arange(0.4, 3.51, 0.1)
    pole = [[5.0 + dx, 5.0 + dy, z] for dx in (-0.2, 0.2) for dy in (-0.2, 0.0, 0.2) for z in heights]
    side = [[x, -0.9, z] for x in np.arange(8.0, 12.01, 0.1) for z in np.arange(0.4, 1.51, 0.1)]
    end = [[8.0, y, z] for y in np.arange(-0.9, 0.91, 0.1) for z in np.arange(0.4, 1.51, 0.1)]
    points = np.array(ground + pole + side + end, dtype=np.float32)
    return np.column_stack([points, np.zeros(len(points), np.float32)])


@pytest.fixture
def street(qtbot, settings, tmp_path: Path, monkeypatch) -> Iterator:
    """Two frames of that cloud with the car as reference labels; the centroid example (boxing the points
    above min_height) as a drop-in."""
    root = tmp_path / "project"
    with Workspace.create(root) as workspace:
        for index in range(2):
            cloud().tofile(root / f"f{index}.bin")
            workspace.push(AddFrames([Frame(0, f"f{index}", index, cloud=f"f{index}.bin")]))
    car = ReferenceObject(1, "Car", Cuboid((10.0, 0.0, 0.75), (4.0, 1.8, 1.5), 0.0))
    write_reference_labels(root / REFERENCE_FILE, {"f0": [car], "f1": [car]})
    centroid_drop_in(tmp_path, monkeypatch)
    main = show_window(qtbot, settings, root)
    yield main
    main.close()


def _score(window, qtbot) -> None:
    """Score every frame: TTA, 3 passes, only the pole's top (above 1.6 m) proposed."""
    frames = window.document.project.frames_in_order()
    with qtbot.waitSignal(window.scoring.finished, timeout=60_000):
        assert window.scoring.score(PLUGIN, frames, "tta", 3, 0.0, {"min_height": 1.6})


def test_scoring_flags_the_car_nobody_proposed_and_accept_all_leaves_it_to_review(street, qtbot) -> None:
    window = street
    _score(window, qtbot)
    project = window.document.project
    scored = [a for a in project.annotations.values() if uncertainty_of(a) is not None]
    missed = [a for a in scored if is_missed_item(uncertainty_of(a))]
    poles = [a for a in scored if a not in missed]
    assert len(poles) == 2 and len(missed) == 2  # one of each per frame
    assert all(abs(a.cuboid.center[0] - 10.0) < 0.3 and abs(a.cuboid.size[0] - 4.0) < 0.3 for a in missed)
    assert "possible missed object" in flag_text(missed[0], window.document.flags.threshold)
    queue = window.review_queue
    qtbot.waitUntil(lambda: len(queue.order) == 4, timeout=5_000)
    texts = [queue.model.data(row) for row in queue.box_rows()]
    assert sorted(t.endswith("(possible missed object)") for t in texts) == [False, False, True, True]
    # the dock's sweep against the reference labels counts the flags: accepting every proposal unreviewed
    # lets the two poles through (wrong), and the flagged clusters find both cars (nothing missed)
    qtbot.waitUntil(lambda: bool(queue.escalation_plot.outcomes), timeout=10_000)
    everything = {round(o.threshold, 2): o for o in queue.escalation_plot.outcomes}[1.01]
    assert (everything.clusters_flagged, everything.clusters_found, everything.missed) == (2, 2, 0)
    assert everything.wrong_accepted == 2
    messages: list[str] = []
    queue.message.connect(lambda text, _timeout: messages.append(text))
    window.document.flags.set_threshold(1.0)
    window.actions["models.accept_confident_all"].trigger()
    assert all(project.annotations[a.id].review == Review.ACCEPTED for a in poles)
    assert all(project.annotations[a.id].review == Review.UNREVIEWED for a in missed)
    assert (
        "Accepted 2 confident proposals" in messages[-1]
        and "2 possible missed objects to check" in messages[-1]
    )


def test_a_verified_frame_with_a_box_drawn_by_hand_sends_the_next_frame_to_a_search_for_missed_objects(
    street, qtbot
) -> None:
    window = street
    _score(window, qtbot)
    document, project = window.document, window.document.project
    first, second = project.frames_in_order()
    # the person accepts everything on the first frame, draws one box the model and the flags missed,
    # and marks the frame verified: 1 of 3 objects drawn by hand
    document.push(AcceptProposals([a.id for a in project.annotations_of(first.id)]))
    document.push(
        AddAnnotations([Annotation(0, first.id, "Car", cuboid=Cuboid((20, 8, 0.75), (4, 1.8, 1.5)))])
    )
    document.push(SetFrameStatus(first.id, FrameStatus.VERIFIED))
    messages: list[str] = []
    window.review_queue.message.connect(lambda text, _timeout: messages.append(text))
    document.flags.set_threshold(1.0)
    window.actions["models.accept_confident_all"].trigger()
    # the model's misses say nothing of its boxes: the sure ones are accepted, and the person is asked to look
    # the frame over for what is missing (the possible missed objects stay for them too)
    waiting = project.annotations_of(second.id)
    sure = [a for a in waiting if not is_missed_item(uncertainty_of(a))]
    assert sure and all(a.review == Review.ACCEPTED for a in sure)
    assert all(a.review == Review.UNREVIEWED for a in waiting if is_missed_item(uncertainty_of(a)))
    assert (
        "to search for missed objects: f1 (the model missed 33% of the verified frames' objects)"
        in messages[-1]
    )
    assert project.frames[second.id].meta[ESCALATED_KEY][SEARCH_KEY] is True
    rows = window.frames_panel.list
    assert rows.item(1).text().endswith("search for missed objects") and "search" not in rows.item(0).text()
    document.push(SetFrameStatus(second.id, FrameStatus.VERIFIED))
    assert reviewed_whole(project.frames[second.id])  # looked over whole: misses count from here
    assert rows.item(1).text().endswith("✓")


def walker_cloud(x: float) -> np.ndarray:
    """Flat ground and a scanned 0.7 m x 0.7 m x 1.8 m walker at (``x``, 3)."""
    grid = np.arange(-15.0, 15.0, 0.3)
    ground = np.array([[gx + 10.0, gy, 0.0, 0.0] for gx in grid for gy in grid], dtype=np.float32)
    walker = scan_of(Cuboid((x, 3.0, 0.9), (0.7, 0.7, 1.8), 0.0), 80).astype(np.float32)
    return np.vstack([ground, walker])


def test_scoring_in_the_window_sends_a_carried_box_that_slid_off_its_walker_to_review(
    qtbot, settings, tmp_path: Path, monkeypatch
) -> None:
    root = tmp_path / "project"
    placed = Cuboid((10.0, 3.0, 0.9), (0.7, 0.7, 1.8), 0.0)
    with Workspace.create(root) as workspace:
        for index, x in enumerate((10.0, 10.4)):  # the walker goes on 0.4 m
            walker_cloud(x).tofile(root / f"f{index}.bin")
            workspace.push(AddFrames([Frame(0, f"f{index}", index, cloud=f"f{index}.bin")]))
        first, second = workspace.project.frames_in_order()
        carried = carried_in(second.id, "Pedestrian", placed)  # propagation left it standing
        workspace.push(AddAnnotations([
            Annotation(0, first.id, "Pedestrian", cuboid=placed, track_id=2),
            dataclasses.replace(carried, track_id=2),
        ]))  # fmt: skip
    centroid_drop_in(tmp_path, monkeypatch)
    window = show_window(qtbot, settings, root)
    try:
        project = window.document.project
        second = project.frames_in_order()[1]
        messages: list[str] = []
        window.scoring.message.connect(lambda text, _timeout: messages.append(text))
        with qtbot.waitSignal(window.scoring.finished, timeout=60_000):
            assert window.scoring.score(PLUGIN, [second], "tta", 3, 0.0, {"min_height": 2.5})
        assert messages[-1].endswith("; carried boxes: 0 confirmed, 1 to review (1 slid off its object)")
        (box,) = [a for a in project.annotations_of(second.id) if a.track_id == 2]
        record = uncertainty_of(box)
        assert box.review is Review.UNREVIEWED and record["slid_off"]["placed"] == 0.0
        assert record["slid_off"]["spill"] > 0.3  # the walker's leading side lies outside the box
        queue = window.review_queue
        qtbot.waitUntil(lambda: len(queue.order) == 1, timeout=5_000)
        (row,) = queue.box_rows()
        assert queue.model.data(row) == f"#{box.id} Pedestrian (carried in, slid off its object)"
        tip = queue.model.data(row, Qt.ItemDataRole.ToolTipRole)
        assert "% of the object's points lie outside it (0 % where its box was placed" in tip
    finally:
        window.close()
