"""Interaction modes: what mouse input does in a view. One mode per view at a time.

A mode gets the canvas's mouse events first and returns True when it consumed one (VTK's interactor
style then never sees it). Navigation is the only mode now; editing cuboids with handles will be
another mode set on the same views.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent

logger = logging.getLogger(__name__)

#: A press and release closer than this (pixels) and quicker than `CLICK_SECONDS` is a click.
CLICK_PIXELS = 4.0
CLICK_SECONDS = 0.6
#: Zoom factor per wheel notch (120 units of angle delta).
WHEEL_ZOOM = 1.2


class ViewHost(Protocol):
    """What a mode may ask of the view it works in (positions are Qt widget coordinates)."""

    def pick_at(self, position: QPointF, toggle: bool = False) -> None:
        """Select the cuboid under ``position`` (or clear the selection); ``toggle`` (Ctrl+click): add
        it to the selection or take it out."""

    def zoom_at(self, position: QPointF, factor: float) -> None:
        """Zoom by ``factor`` keeping the point under ``position`` in place."""

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the view content by a pixel offset (x right, y down)."""

    def begin_motion(self) -> None:
        """The camera is about to move (switch to the coarse level of detail)."""

    def hover(self, position: QPointF | None) -> None:
        """The cursor is at ``position`` (None: it left the view)."""


class InteractionMode:
    """Base mode: consumes nothing."""

    def mouse_press(self, event: QMouseEvent) -> bool:
        """A button went down."""
        return False

    def mouse_move(self, event: QMouseEvent) -> bool:
        """The cursor moved."""
        return False

    def mouse_release(self, event: QMouseEvent) -> bool:
        """A button went up."""
        return False

    def wheel(self, event: QWheelEvent) -> bool:
        """The wheel turned."""
        return False

    def leave(self) -> None:
        """The cursor left the view."""


class NavigateMode(InteractionMode):
    """Move the camera; a click (no drag) selects the cuboid under the cursor; the wheel zooms to it.

    With ``handles_drag`` False (perspective view) drags go on to VTK's orbit style; with True
    (orthographic views) a left or middle drag pans the view here.
    """

    def __init__(self, host: ViewHost, handles_drag: bool) -> None:
        self.host = host
        self.handles_drag = handles_drag
        self._press: QPointF | None = None
        self._press_time = 0.0
        self._last: QPointF | None = None
        self._dragging = False

    def mouse_press(self, event: QMouseEvent) -> bool:
        self._press = event.position()
        self._last = event.position()
        self._press_time = time.monotonic()
        self._dragging = False
        return self.handles_drag and event.button() in (
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.MiddleButton,
        )

    def mouse_move(self, event: QMouseEvent) -> bool:
        position = event.position()
        if self._press is None or event.buttons() == Qt.MouseButton.NoButton:
            self.host.hover(position)
            return False
        if not self._dragging:
            moved = position - self._press
            if abs(moved.x()) + abs(moved.y()) < CLICK_PIXELS:
                return True  # not a drag yet: keep VTK still so a click does not nudge the camera
            self._dragging = True
            self.host.begin_motion()
        else:
            self.host.begin_motion()
        if self.handles_drag and self._last is not None:
            delta = position - self._last
            self.host.pan_by(delta.x(), delta.y())
        self._last = position
        return self.handles_drag

    def mouse_release(self, event: QMouseEvent) -> bool:
        press, self._press = self._press, None
        was_drag, self._dragging = self._dragging, False
        quick = time.monotonic() - self._press_time < CLICK_SECONDS
        if press is not None and not was_drag and quick and event.button() == Qt.MouseButton.LeftButton:
            toggle = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            self.host.pick_at(event.position(), toggle)
        return self.handles_drag

    def wheel(self, event: QWheelEvent) -> bool:
        notches = event.angleDelta().y() / 120.0
        if notches:
            self.host.begin_motion()
            self.host.zoom_at(event.position(), WHEEL_ZOOM**notches)
        return True

    def leave(self) -> None:
        self.host.hover(None)
