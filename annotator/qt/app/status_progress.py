"""A progress bar with a Cancel button for the status bar, shown only while background work runs."""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

logger = logging.getLogger(__name__)


class StatusProgress(QWidget):
    """``what 3/10 [=====   ] Cancel``; hidden until `begin`, hidden again by `end`."""

    #: The user pressed Cancel.
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusProgress")
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(220)
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("statusProgressCancel")
        self.cancel_button.clicked.connect(self._cancel_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.hide()

    def begin(self, what: str, total: int) -> None:
        """Show the bar for ``total`` steps of ``what``."""
        self.label.setText(what)
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(0)
        self.bar.setFormat(f"%v/{total}")
        self.cancel_button.setEnabled(True)
        self.show()

    def advance(self, done: int) -> None:
        """``done`` steps are finished."""
        self.bar.setValue(done)

    def end(self) -> None:
        """Hide the bar."""
        self.hide()

    def _cancel_clicked(self) -> None:
        self.cancel_button.setEnabled(False)
        self.label.setText(self.label.text() + " (cancelling)")
        self.cancel_requested.emit()
