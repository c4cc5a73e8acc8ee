"""The Qt widget a VTK render window draws in: the only Qt module that imports vtkmodules.

`VtkCanvas` picks its render window itself: under Qt's ``offscreen`` platform (tests, snapshots) an
off-screen EGL window that ignores Qt's window id, otherwise VTK's on-screen window. VTK never renders
on its own: the interactor's render requests become ``render_requested`` and the owning view decides
when to draw (once, on demand). Mouse and wheel input go to the view's interaction mode first.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget
from vtkmodules.qt.QVTKRenderWindowInteractor import QVTKRenderWindowInteractor

from annotator.render.offscreen import capture, create_render_window

if TYPE_CHECKING:
    from annotator.qt.views.interaction import InteractionMode

logger = logging.getLogger(__name__)

#: Qt platforms without a window system: VTK then renders through EGL off screen.
HEADLESS_PLATFORMS = ("offscreen", "minimal")


def is_headless() -> bool:
    """True when Qt runs without a window system (VTK must render off screen)."""
    return QGuiApplication.platformName() in HEADLESS_PLATFORMS


class VtkCanvas(QVTKRenderWindowInteractor):
    """A VTK render window in a Qt widget; input goes through an `InteractionMode`."""

    #: VTK asked for a render (e.g. its interactor style moved the camera).
    render_requested = Signal()
    #: The canvas (and its render window) changed size.
    resized = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        self.headless = is_headless()
        super().__init__(parent, rw=create_render_window(self.headless))
        self.mode: InteractionMode | None = None
        self._finalized = False
        interactor = self._Iren
        interactor.EnableRenderOff()  # renders happen only when the view asks for them
        interactor.AddObserver("RenderEvent", lambda *_: self.render_requested.emit())
        self.Initialize()

    # -- VTK objects for the view that owns this canvas ---------------------------------------------
    @property
    def render_window(self):
        """The VTK render window."""
        return self._RenderWindow

    def set_interactor_style(self, style: object) -> None:
        """Let a VTK interactor style handle the gestures the mode passes on."""
        self._Iren.SetInteractorStyle(style)

    def render_now(self) -> None:
        """Draw the scene now."""
        if not self._finalized:
            self._RenderWindow.Render()

    def capture(self) -> np.ndarray:
        """The pixels of the last picture (re-rendered), (H, W, 3) uint8, top row first."""
        return capture(self._RenderWindow)

    def device_pixel_ratio(self) -> float:
        """Physical pixels per Qt pixel."""
        return float(self.devicePixelRatioF()) or 1.0

    def to_display(self, x: float, y: float) -> tuple[float, float]:
        """A Qt position in this widget to VTK display coordinates (physical pixels, origin bottom left)."""
        scale = self.device_pixel_ratio()
        return x * scale, (self.height() - y - 1) * scale

    @property
    def disposed(self) -> bool:
        """True once the render window was released."""
        return self._finalized

    def dispose(self) -> None:
        """Release the render window (its OpenGL context); the canvas draws nothing afterwards."""
        if not self._finalized:
            self._finalized = True
            self._RenderWindow.Finalize()

    # -- input: the interaction mode first, then VTK ------------------------------------------------
    def mousePressEvent(self, event) -> None:
        """Offer the press to the interaction mode, then to VTK."""
        if self.mode is None or not self.mode.mouse_press(event):
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        """Offer the move to the interaction mode, then to VTK."""
        if self.mode is None or not self.mode.mouse_move(event):
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        """Offer the release to the interaction mode, then to VTK."""
        if self.mode is None or not self.mode.mouse_release(event):
            super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        """Offer the double-click to the interaction mode, then to VTK."""
        handler = getattr(self.mode, "mouse_double_click", None)
        if handler is None or not handler(event):
            super().mouseDoubleClickEvent(event)

    def wheelEvent(self, event) -> None:
        """Offer the wheel to the interaction mode, then to VTK."""
        if self.mode is None or not self.mode.wheel(event):
            super().wheelEvent(event)

    def leaveEvent(self, event) -> None:
        """Tell the interaction mode that the cursor left."""
        if self.mode is not None:
            self.mode.leave()
        super().leaveEvent(event)

    def keyPressEvent(self, event) -> None:
        """Keys are actions (see `annotator.qt.app.actions`), never VTK's built-in key bindings."""
        QWidget.keyPressEvent(self, event)

    def keyReleaseEvent(self, event) -> None:
        """See `keyPressEvent`."""
        QWidget.keyReleaseEvent(self, event)

    def resizeEvent(self, event) -> None:
        """Resize the render window, then tell the view (cameras fitted to the view follow)."""
        super().resizeEvent(event)
        self.resized.emit()

    def paintEvent(self, event) -> None:
        """An expose: ask the owning view for a render instead of rendering here."""
        self.render_requested.emit()

    def closeEvent(self, event) -> None:
        """Release the render window when the widget closes."""
        self.dispose()
        event.accept()
