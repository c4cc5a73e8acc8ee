"""The label classes panel: each class with its colour, how many objects of it the frame has, and a
check box that shows or hides its cuboids. Double-clicking a class gives it to the selected object. Under
the list, the chosen class's default size (new boxes, and the fit's size for sides a scan does not show)
is edited in place: one undoable schema edit, stored in the project."""

from __future__ import annotations

import dataclasses
import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.core.edits import SetSchema, update_annotation
from annotator.core.model.project import Project
from annotator.core.model.schema import LabelSchema
from annotator.qt.document import Document

logger = logging.getLogger(__name__)


def color_icon(rgb: tuple[int, int, int], size: int = 14) -> QIcon:
    """A square swatch of a colour."""
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(*rgb))
    return QIcon(pixmap)


class ClassesPanel(QWidget):
    """Classes of the schema with colour swatches, per-frame counts and visibility check boxes."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._shown: tuple[LabelSchema, list] | None = None  # the schema and rows the list shows
        self.list = QListWidget()
        self.list.setToolTip("Uncheck to hide a class; double-click to give the class to the selection")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.list)
        layout.addLayout(self._size_row())
        self.list.itemChanged.connect(self._visibility_toggled)
        self.list.currentItemChanged.connect(self._show_default_size)
        self.list.itemDoubleClicked.connect(self._assign_class)
        for signal in (document.opened, document.schema_changed, document.cloud_changed):
            signal.connect(self.refresh)
        document.annotations_changed.connect(self.refresh)
        document.frame_changed.connect(self.refresh)

    def _size_row(self) -> QHBoxLayout:
        """Length, width and height fields for the chosen class's default size."""
        row = QHBoxLayout()
        row.addWidget(QLabel("Default size"))
        self.size_spins: list[QDoubleSpinBox] = []
        for name, tip in (("Length", "length (m)"), ("Width", "width (m)"), ("Height", "height (m)")):
            spin = QDoubleSpinBox()
            spin.setObjectName(f"default{name}")
            spin.setRange(0.05, 50.0)
            spin.setDecimals(2)
            spin.setSingleStep(0.1)
            spin.setToolTip(f"Default {tip} of the chosen class's new boxes")
            spin.setSpecialValueText("-")  # no class chosen
            spin.setEnabled(False)
            spin.editingFinished.connect(self._store_default_size)
            row.addWidget(spin)
            self.size_spins.append(spin)
        return row

    def _current_class(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _show_default_size(self, *_: object) -> None:
        project, name = self.document.project, self._current_class()
        label_class = None if project is None or name is None else project.schema.get(name)
        for spin, value in zip(
            self.size_spins, (0.0, 0.0, 0.0) if label_class is None else label_class.default_size
        ):
            spin.blockSignals(True)
            spin.setValue(value)
            spin.setEnabled(label_class is not None)
            spin.blockSignals(False)

    def _store_default_size(self) -> None:
        project, name = self.document.project, self._current_class()
        label_class = None if project is None or name is None else project.schema.get(name)
        if label_class is None:
            return
        size = tuple(round(spin.value(), 2) for spin in self.size_spins)
        if size == tuple(round(v, 2) for v in label_class.default_size):
            return
        changed = dataclasses.replace(label_class, default_size=size)
        self.document.push(SetSchema(project.schema.with_class(changed), f"Set {name} default size"))

    def refresh(self, *_: object) -> None:
        """Rebuild the list from the schema and the current frame (the chosen class stays chosen); when
        what it would show is what it shows (a box moved: no count changed), nothing is rebuilt."""
        project = self.document.project
        rows = None if project is None else self._rows(project)
        if rows is not None and (project.schema, rows) == self._shown:  # type: ignore[union-attr]
            return
        self._shown = None if project is None else (project.schema, rows)
        chosen = self._current_class()
        self.list.blockSignals(True)
        self.list.clear()
        for name, color, count, hidden in rows or []:
            item = QListWidgetItem(color_icon(color), f"{name}  ({count})")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked if hidden else Qt.CheckState.Checked)
            self.list.addItem(item)
            if name == chosen:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self._show_default_size()

    def _rows(self, project: Project) -> list[tuple[str, tuple[int, int, int], int, bool]]:
        """What each row shows: the class, its colour, its boxes in the current frame, hidden or not."""
        counts: dict[str, int] = {}
        for annotation in self.document.cuboids():
            counts[annotation.class_name] = counts.get(annotation.class_name, 0) + 1
        names = [*project.schema.names, *sorted(set(counts) - set(project.schema.names))]
        hidden = self.document.hidden_classes
        return [
            (name, self.document.class_color(name), counts.get(name, 0), name in hidden) for name in names
        ]

    def _visibility_toggled(self, item: QListWidgetItem) -> None:
        name = item.data(Qt.ItemDataRole.UserRole)
        self.document.set_class_hidden(name, item.checkState() != Qt.CheckState.Checked)

    def _assign_class(self, item: QListWidgetItem) -> None:
        selected = self.document.selected
        name = item.data(Qt.ItemDataRole.UserRole)
        if selected is None or selected.class_name == name or self.document.project is None:
            return
        self.document.push(
            update_annotation(
                self.document.project, selected.id, label=f"Change class to {name}", class_name=name
            )
        )
