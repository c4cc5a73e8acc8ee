"""Fixtures for the panel tests: a panel of any kind on the street project's document."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtWidgets import QWidget

from annotator.qt.document import Document


@pytest.fixture
def make_panel(qtbot, document: Document) -> Callable[[type], QWidget]:
    """Build a panel class on the document and show the current frame in it."""

    def make(kind: type) -> QWidget:
        panel = kind(document)
        qtbot.addWidget(panel)
        panel.refresh()
        return panel

    return make
