"""Modal dialogs that give the keyboard back: after the dialog closes, its window is active again and the
widget that had the focus has it again (the window itself when none did), so the review keys (J, Return,
X, U) work at once without a click into the window."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog

logger = logging.getLogger(__name__)


def exec_returning_focus(dialog: QDialog) -> int:
    """Run ``dialog`` modally (`QDialog.exec`), then give its parent window back the keyboard focus."""
    parent = dialog.parentWidget()
    window = parent.window() if parent is not None else None
    focus = QApplication.focusWidget()
    result = dialog.exec()
    if window is not None and window.isVisible():
        window.activateWindow()
        target = focus if focus is not None and focus.window() is window and focus.isVisible() else window
        target.setFocus(Qt.FocusReason.ActiveWindowFocusReason)
    return result
