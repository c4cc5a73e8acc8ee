"""The objects panel follows edits row by row: a nudge refills the edited row alone, with its new values;
added, removed and re-flagged boxes still change the whole list as they should."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from annotator.core.edits import RemoveAnnotations, update_annotation
from annotator.qt.document import Document
from annotator.qt.panels.objects import COLUMNS, ObjectsPanel

POINTS = COLUMNS.index("points")


@pytest.fixture
def panel(make_panel) -> ObjectsPanel:
    return make_panel(ObjectsPanel)


def shown(panel: ObjectsPanel) -> dict[int, tuple]:
    """Each row's annotation id and its cells' values."""
    table = panel.table
    return {
        panel.annotation_at(row): tuple(table.item(row, c).text() for c in range(len(COLUMNS)))
        for row in range(table.rowCount())
    }


def count_contents(panel: ObjectsPanel, monkeypatch) -> list[int]:
    """The annotation ids whose row content the panel computes from now on."""
    computed: list[int] = []
    original = panel._row_content
    monkeypatch.setattr(panel, "_row_content", lambda a: computed.append(a.id) or original(a))
    return computed


def test_a_nudge_refills_only_the_edited_row_with_its_new_point_count(
    panel: ObjectsPanel, document: Document, monkeypatch
) -> None:
    car, *others = document.cuboids()
    document.select(car.id)
    before = shown(panel)
    computed = count_contents(panel, monkeypatch)
    kept = {i.id: panel._id_items[i.id] for i in others}
    away = car.cuboid.replace(center=(car.cuboid.center[0] + 30.0, *car.cuboid.center[1:]))
    document.push(update_annotation(document.project, car.id, "Move cuboid", cuboid=away))
    after = shown(panel)
    assert computed == [car.id]
    assert int(after[car.id][POINTS]) < int(before[car.id][POINTS]) // 10  # it left its points behind
    assert {k: v for k, v in after.items() if k != car.id} == {k: v for k, v in before.items() if k != car.id}
    assert all(panel._id_items[key] is item for key, item in kept.items())  # untouched rows kept their cells
    assert [i.row() for i in panel.table.selectionModel().selectedRows()] == [panel._id_items[car.id].row()]


def test_removed_and_restored_boxes_and_new_flags_still_reach_every_row(
    panel: ObjectsPanel, document: Document, monkeypatch
) -> None:
    boxes = [a.id for a in document.cuboids()]
    document.push(RemoveAnnotations([boxes[1]]))
    assert sorted(shown(panel)) == [boxes[0], boxes[2]]
    document.session.undo()
    assert sorted(shown(panel)) == boxes
    computed = count_contents(panel, monkeypatch)
    document.flags.set_threshold(0.2)  # any row may be flagged now: all are looked at
    assert sorted(computed) == boxes


def test_an_edited_row_sorted_by_points_moves_to_its_place_with_its_selection(
    panel: ObjectsPanel, document: Document
) -> None:
    panel.table.sortByColumn(POINTS, Qt.SortOrder.DescendingOrder)
    car = max(document.cuboids(), key=lambda a: document.points_inside(a))
    document.select(car.id)
    assert panel.annotation_at(0) == car.id
    away = car.cuboid.replace(center=(car.cuboid.center[0] + 30.0, *car.cuboid.center[1:]))
    document.push(update_annotation(document.project, car.id, "Move cuboid", cuboid=away))
    last = panel.table.rowCount() - 1
    assert panel.annotation_at(last) == car.id  # fewest points now
    assert panel.table.item(last, POINTS).text() == str(document.points_inside(document.selected))
    assert [i.row() for i in panel.table.selectionModel().selectedRows()] == [last]
