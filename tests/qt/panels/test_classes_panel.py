"""The classes panel keeps its list while nothing it shows changes (a box moved) and still counts the
frame's boxes right after a removal, a class change and an undo."""

from __future__ import annotations

import pytest

from annotator.core.edits import RemoveAnnotations, update_annotation
from annotator.qt.document import Document
from annotator.qt.panels.classes import ClassesPanel


@pytest.fixture
def panel(make_panel) -> ClassesPanel:
    return make_panel(ClassesPanel)


def rows(panel: ClassesPanel) -> dict[str, str]:
    """Each row's class and text."""
    items = (panel.list.item(i) for i in range(panel.list.count()))
    return {item.text().split()[0]: item.text() for item in items}


def test_a_moved_box_leaves_the_list_as_it_is(panel: ClassesPanel, document: Document) -> None:
    car = document.cuboids()[0]
    first_item = panel.list.item(0)
    moved = car.cuboid.replace(center=(car.cuboid.center[0] + 1.0, *car.cuboid.center[1:]))
    document.push(update_annotation(document.project, car.id, "Move cuboid", cuboid=moved))
    assert panel.list.item(0) is first_item  # not rebuilt


def test_counts_follow_removal_class_change_undo_and_hiding(panel: ClassesPanel, document: Document) -> None:
    car, pedestrian, _truck = document.cuboids()
    assert rows(panel)["Car"] == "Car  (1)" and rows(panel)["Pedestrian"] == "Pedestrian  (1)"
    document.push(RemoveAnnotations([car.id]))
    assert rows(panel)["Car"] == "Car  (0)"
    document.push(update_annotation(document.project, pedestrian.id, "Change class", class_name="Car"))
    assert rows(panel)["Car"] == "Car  (1)" and rows(panel)["Pedestrian"] == "Pedestrian  (0)"
    document.session.undo()
    document.session.undo()
    assert rows(panel)["Car"] == "Car  (1)" and rows(panel)["Pedestrian"] == "Pedestrian  (1)"
    document.set_class_hidden("Car", True)
    car_item = next(
        panel.list.item(i) for i in range(panel.list.count()) if panel.list.item(i).text().startswith("Car ")
    )
    assert car_item.checkState().name == "Unchecked"
