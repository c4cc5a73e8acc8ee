"""The keyboard shortcuts dialog (Edit > Keyboard shortcuts): every action with its keys, editable.

Keys are typed as ``Ctrl+K, Shift+Up`` (several per action, comma separated). Keys shared by two actions
and keys Qt does not know are listed under the table as you type; OK applies the bindings at once and
saves them in the user settings, and is refused while there is a problem. "Reset to defaults" puts the
registry's keys back into the table.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.qt.app.shortcuts import Bindings, ShortcutManager, conflicts, describe_conflicts, parse_keys

logger = logging.getLogger(__name__)

KEYS_COLUMN = 1


class ShortcutDialog(QDialog):
    """A table of actions (title, keys); the keys column is editable."""

    def __init__(self, manager: ShortcutManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(640, 560)
        self.manager = manager
        self.titles = manager.titles()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter actions or keys")
        self.filter.textChanged.connect(self._apply_filter)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["action", "keys"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.problems = QLabel("")
        self.problems.setObjectName("shortcut-problems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #c0392b")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.reset_button = buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        self.reset_button.setText("Reset to defaults")
        self.reset_button.clicked.connect(lambda: self.show_bindings(manager.defaults))
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.table)
        layout.addWidget(self.problems)
        layout.addWidget(buttons)
        self.table.itemChanged.connect(lambda _: self.check())
        self.show_bindings(manager.current())

    # -- table --------------------------------------------------------------------------------------
    def show_bindings(self, bindings: Bindings) -> None:
        """Fill the table with ``bindings`` (registry order)."""
        self.table.blockSignals(True)
        self.table.setRowCount(len(bindings))
        for row, action_id in enumerate(self.manager.defaults):
            title = QTableWidgetItem(self.titles[action_id])
            title.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            title.setData(Qt.ItemDataRole.UserRole, action_id)
            self.table.setItem(row, 0, title)
            self.table.setItem(row, KEYS_COLUMN, QTableWidgetItem(", ".join(bindings.get(action_id, ()))))
        self.table.blockSignals(False)
        self._apply_filter(self.filter.text())
        self.check()

    def row_of(self, action_id: str) -> int:
        """The table row of an action."""
        return next(
            r
            for r in range(self.table.rowCount())
            if self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == action_id
        )

    def set_keys(self, action_id: str, text: str) -> None:
        """Type keys for an action (as the user does in the keys cell)."""
        self.table.item(self.row_of(action_id), KEYS_COLUMN).setText(text)

    def bindings(self) -> tuple[Bindings, list[str]]:
        """The bindings in the table and the problems found reading them."""
        result: Bindings = {}
        problems = []
        for row in range(self.table.rowCount()):
            action_id = self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)
            try:
                result[action_id] = parse_keys(self.table.item(row, KEYS_COLUMN).text())
            except ValueError as error:
                problems.append(f"{self.titles[action_id]}: {error}")
        return result, problems

    def check(self) -> bool:
        """Show unknown keys and keys bound twice; True when there is none."""
        bindings, problems = self.bindings()
        clashes = conflicts(bindings)
        if clashes:
            problems.append("Used twice:\n" + describe_conflicts(clashes, self.titles))
        self.problems.setText("\n".join(problems))
        self.ok_button.setEnabled(not problems)
        return not problems

    def accept(self) -> None:
        """Apply and save the bindings (refused while there are problems)."""
        if not self.check():
            return
        bindings, _ = self.bindings()
        self.manager.apply(bindings)
        super().accept()

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for row in range(self.table.rowCount()):
            shown = not needle or any(
                needle in self.table.item(row, column).text().lower() for column in (0, KEYS_COLUMN)
            )
            self.table.setRowHidden(row, not shown)
