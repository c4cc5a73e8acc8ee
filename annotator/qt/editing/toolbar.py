"""Toolbar parts of the editing tools: the active-class chooser and keeping tool actions checked."""

from __future__ import annotations

import logging

from PySide6.QtGui import QAction, QColor, QIcon, QPixmap
from PySide6.QtWidgets import QComboBox, QWidget

from annotator.qt.document import Document
from annotator.qt.editing.controller import EditController

logger = logging.getLogger(__name__)


class ClassChooser(QComboBox):
    """A combo box of the schema's classes (with their colours) bound to the document's active class: it
    shows it and sets it, so every chooser in the window (toolbar, image panel) shows the same class."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("activeClass")
        self.setToolTip("Class of new boxes")
        self.document = document
        document.opened.connect(self.refill)
        document.schema_changed.connect(self.refill)
        document.active_class_changed.connect(self._show_class)
        self.currentTextChanged.connect(self._chosen)
        self.refill()

    def refill(self) -> None:
        """List the open project's classes."""
        project = self.document.project
        self.blockSignals(True)
        self.clear()
        for label_class in [] if project is None else project.schema.classes:
            swatch = QPixmap(12, 12)
            swatch.fill(QColor(*label_class.color))
            self.addItem(QIcon(swatch), label_class.name)
        self.blockSignals(False)
        self._show_class(self.document.active_class or "")

    def _show_class(self, name: str) -> None:
        index = self.findText(name)
        if index >= 0 and index != self.currentIndex():
            self.blockSignals(True)
            self.setCurrentIndex(index)
            self.blockSignals(False)

    def _chosen(self, name: str) -> None:
        if name:
            self.document.set_active_class(name)


def keep_tool_actions_checked(controller: EditController, actions: dict[str, QAction]) -> None:
    """Check the action of the active tool (``tools.<name>``) whenever the tool changes."""

    def check(tool: str) -> None:
        action = actions.get(f"tools.{tool}")
        if action is not None and not action.isChecked():
            action.blockSignals(True)
            action.setChecked(True)
            action.blockSignals(False)

    controller.tool_changed.connect(check)
    check(controller.tool)
