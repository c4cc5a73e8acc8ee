"""Per-class default sizes edited in the Label classes panel: stored in the project, undoable, used by
new boxes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDoubleSpinBox


def choose_class(panel, name: str) -> None:
    for row in range(panel.list.count()):
        if panel.list.item(row).data(Qt.ItemDataRole.UserRole) == name:
            panel.list.setCurrentRow(row)
            return
    raise AssertionError(f"no class {name}")


def test_editing_a_class_default_size_is_stored_undoable_and_used_for_new_boxes(window, qtbot) -> None:
    panel = window.classes_panel
    choose_class(panel, "Pedestrian")
    length = window.findChild(QDoubleSpinBox, "defaultLength")
    width = window.findChild(QDoubleSpinBox, "defaultWidth")
    assert length.isEnabled() and length.value() == pytest.approx(0.8)
    width.setValue(0.75)
    width.editingFinished.emit()
    schema = window.document.project.schema
    assert schema.get("Pedestrian").default_size == pytest.approx((0.8, 0.75, 1.75))
    assert window.document.workspace.stack.undo_label() == "Set Pedestrian default size"
    assert width.value() == pytest.approx(0.75)  # the panel shows the stored value after its refresh
    window.document.set_active_class("Pedestrian")
    assert window.mouse_tools.default_size("Pedestrian") == pytest.approx((0.8, 0.75, 1.75))
    window.document.workspace.stack.undo()
    assert window.document.project.schema.get("Pedestrian").default_size[1] == pytest.approx(0.6)
    assert width.value() == pytest.approx(0.6)
