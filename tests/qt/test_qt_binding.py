"""The Qt binding itself: a long session must not wear down Python's None (PySide6 6.12.0 did)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget


def test_void_calls_keep_the_reference_count_of_none(qtbot) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    timer = QTimer()
    before = sys.getrefcount(None)
    for _ in range(500):
        timer.setInterval(5)
        widget.setMinimumWidth(10)
    assert sys.getrefcount(None) >= before - 10  # a broken binding loses one per call: 1,000 here
