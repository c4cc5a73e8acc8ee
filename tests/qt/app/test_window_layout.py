"""The window fits the size it is given: docks arranged by default, nothing forcing it taller."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtWidgets import QScrollArea


@pytest.fixture
def bare_window(qtbot, settings):
    from annotator.qt.app.main_window import MainWindow
    from annotator.qt.frame_loader import FrameLoader

    main = MainWindow(settings=settings, loader=FrameLoader(lod_budget=5_000))
    qtbot.addWidget(main)
    yield main
    main.close()


@pytest.mark.parametrize("size", [(1200, 800), (1024, 700)])
def test_the_window_takes_the_size_it_is_given(bare_window, qtbot, size) -> None:
    bare_window.resize(*size)
    bare_window.show()
    qtbot.waitExposed(bare_window)
    assert (bare_window.width(), bare_window.height()) == size
    assert bare_window.minimumSizeHint().height() <= size[1]


def test_docks_are_arranged_so_the_views_and_the_camera_image_get_room(window) -> None:
    docks = window.docks
    assert docks["queue"] in window.tabifiedDockWidgets(docks["objects"])
    assert not docks["objects"].visibleRegion().isEmpty()  # the object list is the tab in front
    for name in ("properties", "queue"):  # tall panels scroll instead of stretching the window
        assert isinstance(docks[name].widget(), QScrollArea)
    images = docks["images"]
    assert images.height() >= 0.2 * window.height()
    assert window.images.width() < window.width() - docks["objects"].width()  # under the views only
    assert window.grid.perspective.canvas.height() >= 0.3 * window.height()
    assert all(view.canvas.height() >= 100 for view in window.grid.ortho.values())


def test_a_layout_saved_by_an_older_arrangement_is_not_restored(bare_window, settings, qtbot) -> None:
    from PySide6.QtCore import Qt

    from annotator.qt.app.main_window import MainWindow
    from annotator.qt.app.window_layout import LAYOUT_VERSION
    from annotator.qt.frame_loader import FrameLoader

    def reopened(version: int) -> MainWindow:
        settings.set_layout_state("state", bare_window.saveState(version))
        again = MainWindow(settings=settings, loader=FrameLoader(lod_budget=5_000))
        qtbot.addWidget(again)
        return again

    bare_window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, bare_window.docks["queue"])
    old = reopened(0)  # saved before the arrangement existed: the default arrangement instead
    assert old.docks["queue"] in old.tabifiedDockWidgets(old.docks["objects"])
    old.close()
    kept = reopened(LAYOUT_VERSION)  # the user's own arrangement is kept
    assert kept.dockWidgetArea(kept.docks["queue"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    kept.close()


def test_at_1440_px_the_class_chooser_shows_and_the_ortho_views_get_room(bare_window, qtbot) -> None:
    from PySide6.QtWidgets import QComboBox

    bare_window.resize(1440, 900)
    bare_window.show()
    qtbot.waitExposed(bare_window)
    chooser = bare_window.findChild(QComboBox, "activeClass")
    assert chooser.isVisible()  # not hidden in the toolbar's overflow
    grid = bare_window.grid
    top, side, front = (grid.ortho[axis] for axis in ("top", "side", "front"))
    assert min(view.height() for view in (top, side, front)) >= 0.22 * bare_window.height()
    assert top.width() >= 1.8 * side.width() and abs(side.width() - front.width()) <= 2
    assert grid.handleWidth() >= 5 and grid.ortho_splitter.handleWidth() >= 5
