"""Opening the real main window in tests (Qt is imported only when a test asks for a window)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def show_window(
    qtbot: Any,
    settings: Any,
    project: Path,
    plugins: Any = None,
    lod_budget: int = 5_000,
) -> Any:
    """The main window shown at 1200x800 with ``project`` open and its first frame's cloud loaded."""
    from annotator.qt.app.main_window import MainWindow
    from annotator.qt.frame_loader import FrameLoader

    main = MainWindow(settings=settings, loader=FrameLoader(lod_budget=lod_budget), plugins=plugins)
    qtbot.addWidget(main)
    main.resize(1200, 800)
    main.show()
    qtbot.waitExposed(main)
    main.open_project(project)
    qtbot.waitUntil(lambda: main.document.cloud is not None, timeout=10_000)
    return main
