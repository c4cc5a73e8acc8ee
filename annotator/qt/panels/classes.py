"""The label classes panel: each class with its colour, how many objects of it the frame has, and a
check box that shows or hides its cuboids. Double-clicking a class gives it to the selected object."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from annotator.core.edits import update_annotation
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
        self.list = QListWidget()
        self.list.setToolTip("Uncheck to hide a class; double-click to give the class to the selection")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.list)
        self.list.itemChanged.connect(self._visibility_toggled)
        self.list.itemDoubleClicked.connect(self._assign_class)
        for signal in (document.opened, document.schema_changed, document.cloud_changed):
            signal.connect(self.refresh)
        document.annotations_changed.connect(self.refresh)
        document.frame_changed.connect(self.refresh)

    def refresh(self, *_: object) -> None:
        """Rebuild the list from the schema and the current frame."""
        project = self.document.project
        self.list.blockSignals(True)
        self.list.clear()
        if project is not None:
            counts: dict[str, int] = {}
            for annotation in self.document.cuboids():
                counts[annotation.class_name] = counts.get(annotation.class_name, 0) + 1
            names = [*project.schema.names, *sorted(set(counts) - set(project.schema.names))]
            for name in names:
                item = QListWidgetItem(
                    color_icon(self.document.class_color(name)), f"{name}  ({counts.get(name, 0)})"
                )
                item.setData(Qt.ItemDataRole.UserRole, name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                hidden = name in self.document.hidden_classes
                item.setCheckState(Qt.CheckState.Unchecked if hidden else Qt.CheckState.Checked)
                self.list.addItem(item)
        self.list.blockSignals(False)

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
