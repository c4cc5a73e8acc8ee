"""The main window: menus, the undo/redo actions and the project's frames and annotations."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
)

from annotator.core.errors import AnnotatorError
from annotator.io.workspace import Workspace

logger = logging.getLogger(__name__)

MAX_RECENT = 8


class MainWindow(QMainWindow):
    """Top-level window. Holds at most one open `Workspace`."""

    def __init__(self) -> None:
        super().__init__()
        self.workspace: Workspace | None = None
        self.setWindowTitle("annotator")
        self.resize(1280, 800)
        self.frame_list = QListWidget()
        self.frame_list.currentItemChanged.connect(self._show_frame)
        self.annotation_table = QTableWidget(0, 5)
        self.annotation_table.setHorizontalHeaderLabels(["id", "class", "track", "source", "review"])
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.frame_list)
        splitter.addWidget(self.annotation_table)
        splitter.setStretchFactor(1, 3)
        self.setCentralWidget(splitter)
        self._build_menus()
        self.statusBar().showMessage("No project open: File > New or File > Open")

    # -- menus --------------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.new_action = self._action("&New project...", QKeySequence.StandardKey.New, self._ask_new)
        self.open_action = self._action("&Open project...", QKeySequence.StandardKey.Open, self._ask_open)
        file_menu.addAction(self.new_action)
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", QKeySequence.StandardKey.Quit, self.close))

        edit_menu = self.menuBar().addMenu("&Edit")
        self.undo_action = self._action("&Undo", QKeySequence.StandardKey.Undo, self._undo)
        self.redo_action = self._action("&Redo", QKeySequence.StandardKey.Redo, self._redo)
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        self._update_undo_actions()

    def _action(self, title: str, keys: QKeySequence.StandardKey, handler) -> QAction:
        action = QAction(title, self)
        action.setShortcut(QKeySequence(keys))
        action.triggered.connect(handler)
        return action

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in recent_projects():
            self.recent_menu.addAction(path, lambda p=path: self._open_with_message(Path(p)))
        self.recent_menu.setEnabled(bool(recent_projects()))

    # -- projects -----------------------------------------------------------------------------------
    def open_project(self, directory: Path) -> None:
        """Open the project in ``directory`` (closing the current one); raises `AnnotatorError`."""
        workspace = Workspace.open(directory)
        self.close_project()
        self.workspace = workspace
        workspace.stack.changed.connect(self._update_undo_actions)
        workspace.project.events.batch.connect(self._refresh)
        remember_recent(directory)
        self.setWindowTitle(f"annotator - {directory.name}")
        self._refresh()
        self._update_undo_actions()

    def close_project(self) -> None:
        """Close the open project (every step is already saved)."""
        if self.workspace is not None:
            self.workspace.stack.changed.disconnect(self._update_undo_actions)
            self.workspace.project.events.batch.disconnect(self._refresh)
            self.workspace.close()
            self.workspace = None
        self.frame_list.clear()
        self.annotation_table.setRowCount(0)

    def _open_with_message(self, directory: Path) -> None:
        try:
            self.open_project(directory)
        except AnnotatorError as error:
            QMessageBox.critical(self, "Cannot open project", str(error))

    def _ask_open(self) -> None:
        directory = QFileDialog.getExistingDirectory(self, "Open project")
        if directory:
            self._open_with_message(Path(directory))

    def _ask_new(self) -> None:
        directory = QFileDialog.getExistingDirectory(self, "New project in directory")
        if not directory:
            return
        try:
            Workspace.create(directory).close()
            self.open_project(Path(directory))
        except AnnotatorError as error:
            QMessageBox.critical(self, "Cannot create project", str(error))

    # -- views --------------------------------------------------------------------------------------
    def _refresh(self, *_: object) -> None:
        if self.workspace is None:
            return
        project = self.workspace.project
        current = self.frame_list.currentRow()
        self.frame_list.blockSignals(True)
        self.frame_list.clear()
        for frame in project.frames_in_order():
            item = QListWidgetItem(frame.name)
            item.setData(Qt.ItemDataRole.UserRole, frame.id)
            self.frame_list.addItem(item)
        self.frame_list.blockSignals(False)
        if self.frame_list.count():
            self.frame_list.setCurrentRow(min(max(current, 0), self.frame_list.count() - 1))
        self._show_frame()
        self.statusBar().showMessage(
            f"{len(project.frames)} frames, {len(project.annotations)} annotations", 0
        )

    def _show_frame(self, *_: object) -> None:
        self.annotation_table.setRowCount(0)
        item = self.frame_list.currentItem()
        if self.workspace is None or item is None:
            return
        annotations = self.workspace.project.annotations_of(item.data(Qt.ItemDataRole.UserRole))
        self.annotation_table.setRowCount(len(annotations))
        for row, a in enumerate(annotations):
            values = [a.id, a.class_name, a.track_id, a.provenance.source.value, a.review.value]
            for column, value in enumerate(values):
                self.annotation_table.setItem(row, column, QTableWidgetItem(str(value)))

    # -- undo ---------------------------------------------------------------------------------------
    def _undo(self) -> None:
        if self.workspace is not None:
            self.workspace.stack.undo()

    def _redo(self) -> None:
        if self.workspace is not None:
            self.workspace.stack.redo()

    def _update_undo_actions(self) -> None:
        stack = self.workspace.stack if self.workspace else None
        undo_label = stack.undo_label() if stack and stack.can_undo() else None
        redo_label = stack.redo_label() if stack and stack.can_redo() else None
        self.undo_action.setEnabled(undo_label is not None)
        self.redo_action.setEnabled(redo_label is not None)
        self.undo_action.setText(f"&Undo {undo_label}" if undo_label else "&Undo")
        self.redo_action.setText(f"&Redo {redo_label}" if redo_label else "&Redo")

    def closeEvent(self, event) -> None:
        """Close the project on exit."""
        self.close_project()
        super().closeEvent(event)


def recent_projects() -> list[str]:
    """Recently opened project directories, newest first (from QSettings)."""
    value = QSettings().value("recent_projects", [])
    if isinstance(value, str):
        value = [value]
    return [str(v) for v in (value or [])]


def remember_recent(directory: Path) -> None:
    """Put ``directory`` first in the recent projects."""
    path = str(Path(directory).resolve())
    paths = [path] + [p for p in recent_projects() if p != path]
    QSettings().setValue("recent_projects", paths[:MAX_RECENT])
