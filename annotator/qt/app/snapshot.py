"""Headless pictures of a project's frame: one view, or the whole window with its panels.

Used by ``annotator snapshot`` (docs, bug reports, tests). It runs the application's own window and
views under Qt's ``offscreen`` platform, so a snapshot shows exactly what the application draws.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPoint, QSettings
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication, QWidget

from annotator.core.errors import AnnotatorError
from annotator.io.workspace import Workspace
from annotator.qt.app.settings import AppSettings
from annotator.qt.document import Document
from annotator.qt.frame_loader import FrameLoader
from annotator.qt.views.view_base import SceneView
from annotator.render.offscreen import save_png
from annotator.render.style import DisplayOptions

if TYPE_CHECKING:
    from annotator.qt.app.main_window import MainWindow

logger = logging.getLogger(__name__)

VIEW_NAMES = ("window", "perspective", "top", "side", "front", "image")
CAMERAS = ("default", "bird-eye", "focus")
DEFAULT_SIZES = {"window": (1600, 1000)}
DEFAULT_VIEW_SIZE = (1024, 768)


class SnapshotError(AnnotatorError):
    """A snapshot that cannot be made (no such frame, unknown view, ...)."""


def _to_qimage(pixels: np.ndarray) -> QImage:
    height, width, _ = pixels.shape
    data = np.ascontiguousarray(pixels)
    return QImage(data.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def _settle(app: QApplication, rounds: int = 5) -> None:
    for _ in range(rounds):
        app.processEvents()


def compose_window(window: QWidget, views: list[SceneView]) -> QImage:
    """The window as Qt draws it, with each view's VTK picture painted where its canvas is."""
    image = window.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    painter = QPainter(image)
    try:
        for view in views:
            if not view.isVisible() or view.canvas.width() <= 0 or view.canvas.height() <= 0:
                continue
            picture = _to_qimage(view.capture())
            origin = view.canvas.mapTo(window, QPoint(0, 0))
            target = view.canvas.rect().translated(origin)
            painter.drawImage(target, picture)
    finally:
        painter.end()
    return image


def _select(document: Document, select: str) -> None:
    cuboids = document.cuboids()
    if select == "auto":
        document.select(cuboids[0].id if cuboids else None)
    elif select == "none":
        document.select(None)
    else:
        try:
            wanted = [int(part) for part in select.split(",")]
        except ValueError:
            raise SnapshotError(
                f"--select takes auto, none or annotation ids (3 or 3,5,8), not {select!r}"
            ) from None
        missing = [i for i in wanted if i not in {a.id for a in cuboids}]
        if missing:
            known = ", ".join(str(a.id) for a in cuboids) or "none"
            raise SnapshotError(f"frame has no cuboid annotation {missing[0]} (its cuboids: {known})")
        document.select_many(wanted)


def take_snapshot(
    directory: Path,
    out: Path,
    frame: int = 0,
    view: str = "window",
    size: tuple[int, int] | None = None,
    select: str = "auto",
    camera: str = "default",
    options: DisplayOptions | None = None,
    image_camera: str | None = None,
    points: bool = False,
    merged: int = 0,
) -> Path:
    """Render frame ``frame`` (0-based position) of the project in ``directory`` to the PNG ``out``.

    ``view`` is ``window`` (the main window with panels) or one of the four views; ``select`` is
    ``auto`` (the frame's first cuboid), ``none`` or an annotation id; ``camera`` places the
    perspective camera; ``merged``: sweeps on each side merged in the world frame (View > Merged sweeps).
    Needs a QApplication (under the ``offscreen`` platform when headless).
    """
    if view not in VIEW_NAMES:
        raise SnapshotError(f"unknown view {view!r}; expected one of {', '.join(VIEW_NAMES)}")
    if camera not in CAMERAS:
        raise SnapshotError(f"unknown camera {camera!r}; expected one of {', '.join(CAMERAS)}")
    app = QApplication.instance()
    if app is None:
        raise SnapshotError("a snapshot needs a QApplication")
    width, height = size or DEFAULT_SIZES.get(view, DEFAULT_VIEW_SIZE)
    workspace = Workspace.open(directory)
    with tempfile.TemporaryDirectory() as scratch:
        # Private settings: a snapshot neither reads nor changes the user's layout and recent files.
        settings = AppSettings(QSettings(str(Path(scratch) / "settings.ini"), QSettings.Format.IniFormat))
        if options is not None:
            settings.set_display_options(options)
        extra = (image_camera, points)
        chosen = (select, camera, merged)
        return _render(app, workspace, settings, out, frame, view, (width, height), chosen, extra)


def _render(
    app: QApplication,
    workspace: Workspace,
    settings: AppSettings,
    out: Path,
    frame: int,
    view: str,
    size: tuple[int, int],
    chosen: tuple[str, str, int],
    image_options: tuple[str | None, bool] = (None, False),
) -> Path:
    select, camera, merged = chosen  # selection, camera preset, merged sweeps on each side
    from annotator.qt.app.main_window import MainWindow

    frames = workspace.project.frames_in_order()
    if not 0 <= frame < len(frames):
        workspace.close()
        raise SnapshotError(f"frame {frame} does not exist (the project has {len(frames)} frames, from 0)")
    window = MainWindow(settings=settings, loader=FrameLoader(threads=1))
    try:
        if view not in ("window", "image"):  # one view alone, filling the window
            window.menuBar().hide()
            window.statusBar().hide()
            for bar in (*window.docks.values(), *window.toolbars.values(), window.timeline):
                bar.hide()
            chosen = window.grid.perspective if view == "perspective" else window.grid.ortho[view]
            for other in window.grid.views:
                other.setVisible(other is chosen)
                other.title.setVisible(False)
            window.grid.ortho_splitter.setVisible(view != "perspective")
        window.resize(*size)
        window.show()
        _settle(app)
        window.adopt_workspace(workspace, frames[frame].id, wait=True)  # the window closes it
        _select(window.document, select)
        if merged:
            _merge(app, window, merged)
        _place_camera(window, camera)
        _settle(app)
        window.statusBar().clearMessage()
        window.grid.render_all_now()
        window.show_point_count()  # the full detail drawn: the status bar says so now, not a moment later
        if view == "image":  # the image panel alone (``image_options``: camera name, LiDAR points)
            from annotator.qt.images.image_snapshot import grab_image_panel

            image = grab_image_panel(window.images, size, *image_options)
            out.parent.mkdir(parents=True, exist_ok=True)
            if not image.save(str(out)):
                raise SnapshotError(f"cannot write {out}")
            return out
        if view == "window":
            image = compose_window(window, window.grid.views)
            out.parent.mkdir(parents=True, exist_ok=True)
            if not image.save(str(out)):
                raise SnapshotError(f"cannot write {out}")
            return out
        return save_png(window.grid.capture(view), out)
    finally:
        if window.session.project is None:  # not adopted: the window does not close it
            workspace.close()
        window.close()
        window.deleteLater()
        _settle(app)


def _merge(app: QApplication, window: MainWindow, radius: int) -> None:
    """Show the frame with ``radius`` sweeps on each side merged (a named error when they cannot be)."""
    if radius < 0:
        raise SnapshotError(f"--merged takes a number of sweeps on each side (0 or more), got {radius}")
    window.merged.prefetch = False
    window.merged.set_radius(radius)
    window.merged.wait()
    _settle(app)
    if window.grid.merged is None:
        message = window.statusBar().currentMessage()
        reason = message if message.startswith(("Merged sweeps need", "Cannot merge")) else ""
        raise SnapshotError(f"no merged sweeps: {reason or 'no sweep around this one has an ego pose'}")


def _place_camera(window: MainWindow, camera: str) -> None:
    perspective = window.grid.perspective
    if camera == "bird-eye":
        perspective.bird_eye()
    elif camera == "focus":
        perspective.focus_selected()


def with_color_mode(mode: str) -> DisplayOptions:
    """Default display options colouring by ``mode``."""
    return dataclasses.replace(DisplayOptions(), color_mode=mode)
