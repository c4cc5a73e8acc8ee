"""Models > Model cards: the shipped weights' card (data, training, quality) for each plugin."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from window_support import show_window  # type: ignore[import-not-found]

from annotator.ml.registry import PluginRegistry


def test_model_cards_show_the_shipped_weights_card(qtbot, settings, unlabelled_street: Path) -> None:
    registry = PluginRegistry.discover([], entry_points_too=True)
    window = show_window(qtbot, settings, unlabelled_street, plugins=registry)
    try:
        assert "models.model_cards" in [a.objectName() for a in window.menus["&Models"].actions()]
        window.actions["models.model_cards"].trigger()
        box = window.preannotation.card_box
        assert box is not None and box.isVisible()
        text = box.text()
        assert "pointpillars: shipped weights" in text and "sha256:" in text and "quality:" in text
        assert "geometric: no shipped weights" in text
    finally:
        window.close()
