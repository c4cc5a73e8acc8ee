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
    loader: Any = None,
) -> Any:
    """The main window shown at 1200x800 with ``project`` open and its first frame's cloud loaded (by
    ``loader``, default a `FrameLoader` of ``lod_budget``)."""
    from annotator.qt.app.main_window import MainWindow
    from annotator.qt.frame_loader import FrameLoader

    loader = loader if loader is not None else FrameLoader(lod_budget=lod_budget)
    main = MainWindow(settings=settings, loader=loader, plugins=plugins)
    qtbot.addWidget(main)
    main.resize(1200, 800)
    main.show()
    qtbot.waitExposed(main)
    main.open_project(project)
    qtbot.waitUntil(lambda: main.document.cloud is not None, timeout=10_000)
    return main


def centroid_drop_in(tmp_path: Path, monkeypatch: Any) -> None:
    """Make the centroid example plugin a drop-in ($ANNOTATOR_PLUGIN_PATH) and keep the user's config apart."""
    import shutil

    folder = tmp_path / "plugins"
    shutil.copytree(Path(__file__).parent / "ml" / "example_plugins" / "centroid", folder / "centroid")
    monkeypatch.setenv("ANNOTATOR_PLUGIN_PATH", str(folder))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
