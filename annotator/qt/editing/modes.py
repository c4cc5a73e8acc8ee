"""Interaction modes of the editing tools: navigation as before, plus grips, clicks that create boxes and
the top view's rectangle. They only read the mouse; `EditController` does the edits."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QMouseEvent

from annotator.qt.views.interaction import CLICK_PIXELS, CLICK_SECONDS, NavigateMode
from annotator.render.handles import Grip

if TYPE_CHECKING:
    from annotator.qt.editing.controller import EditController
    from annotator.qt.views.ortho_view import OrthoView
    from annotator.qt.views.view_base import SceneView

logger = logging.getLogger(__name__)


def _far_enough(a: QPointF, b: QPointF) -> bool:
    moved = a - b
    return abs(moved.x()) + abs(moved.y()) >= CLICK_PIXELS


class _EditMode(NavigateMode):
    """Shared by both modes: a press on a grip becomes a drag once the cursor moves; a click with a
    creation tool creates; anything else navigates."""

    def __init__(self, view: SceneView, controller: EditController, handles_drag: bool) -> None:
        super().__init__(view, handles_drag)
        self.view = view
        self.controller = controller
        self._pending: tuple[Grip, QPointF] | None = None

    def _grip_for(self, event: QMouseEvent) -> Grip | None:
        return self.controller.grip_under(self.view, event.position())

    def mouse_press(self, event: QMouseEvent) -> bool:
        self._pending = None
        if event.button() == Qt.MouseButton.LeftButton:
            grip = self._grip_for(event)
            if grip is not None:
                self._pending = (grip, event.position())
                self._press, self._press_time, self._dragging = event.position(), time.monotonic(), False
                return True
        return super().mouse_press(event)

    def mouse_move(self, event: QMouseEvent) -> bool:
        if self.controller.drag is not None:
            self.controller.update_drag(event.position())
            return True
        if self._pending is not None:
            grip, start = self._pending
            if _far_enough(event.position(), start):
                self._pending = None
                self._dragging = True
                if self.controller.begin_drag(self.view, grip, start):
                    self.controller.update_drag(event.position())
            return True
        return super().mouse_move(event)

    def mouse_release(self, event: QMouseEvent) -> bool:
        if self.controller.drag is not None:
            self.controller.end_drag()
            self._press, self._dragging = None, False
            return True
        if self._pending is not None:
            self._pending = None
            self._dragging = False  # a click on the selected box: select or create as any click
        if self.controller.tool in ("click_fit", "place") and self._is_click(event):
            self._press, self._dragging = None, False
            self.controller.click(self.view, event.position())
            # the perspective view let VTK see the press (it may orbit from it): VTK must see the release
            # too, or its interactor style keeps orbiting on every later mouse move
            return self.handles_drag
        return super().mouse_release(event)

    def _is_click(self, event: QMouseEvent) -> bool:
        return (
            self._press is not None
            and not self._dragging
            and time.monotonic() - self._press_time < CLICK_SECONDS
            and event.button() == Qt.MouseButton.LeftButton
            and not _far_enough(event.position(), self._press)
        )


class PerspectiveEditMode(_EditMode):
    """The perspective view: orbit and pan as before; Shift+drag on the selected box slides it on the
    ground plane; clicks create with the creation tools."""

    def __init__(self, view: SceneView, controller: EditController) -> None:
        super().__init__(view, controller, handles_drag=False)

    def _grip_for(self, event: QMouseEvent) -> Grip | None:
        if not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            return None
        return super()._grip_for(event)


class OrthoEditMode(_EditMode):
    """An orthographic view: drag the selected box's inside, edges, corners or knob; in the top view the
    rectangle tool drags out a rectangle (middle drag still pans)."""

    view: OrthoView

    def __init__(self, view: OrthoView, controller: EditController) -> None:
        super().__init__(view, controller, handles_drag=True)
        self._band_start: np.ndarray | None = None
        self._band_corners: np.ndarray | None = None
        self._band_selects = False  # a Ctrl+drag band selects boxes instead of fitting one

    def _selects_with_band(self, event: QMouseEvent) -> bool:
        return (
            self.view.axis == "top"
            and event.button() == Qt.MouseButton.LeftButton
            and bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        )

    def _draws_rectangle(self, event: QMouseEvent) -> bool:
        return (
            self.controller.tool == "rectangle"
            and self.view.axis == "top"
            and event.button() == Qt.MouseButton.LeftButton
        )

    def mouse_press(self, event: QMouseEvent) -> bool:
        selects = self._selects_with_band(event)
        if (selects or self._draws_rectangle(event)) and self._grip_for(event) is None:
            self._band_start = self.view.world_at(event.position())
            self._band_corners = None
            self._band_selects = selects
            self._press, self._press_time, self._dragging = event.position(), time.monotonic(), False
            return True
        return super().mouse_press(event)

    def mouse_move(self, event: QMouseEvent) -> bool:
        if self._band_start is not None:
            self._band_corners = self._corners(event.position())
            self.controller.band.show(self._band_corners)
            self.view.request_render()
            return True
        return super().mouse_move(event)

    def mouse_release(self, event: QMouseEvent) -> bool:
        if self._band_start is not None:
            corners = self._corners(event.position())
            self._band_start = None
            self.controller.band.show(None)
            self.view.request_render()
            if not self._band_selects:
                self.controller.fit_rectangle(self.view, corners)
            elif self._is_click(event):
                self.view.pick_at(event.position(), toggle=True)  # a Ctrl+click, not a band
            else:
                self.controller.select_in_band(corners)
            self._press = None
            return True
        return super().mouse_release(event)

    def mouse_double_click(self, event: QMouseEvent) -> bool:
        """A double-click on a face (an edge of the outline, not a corner) of the selected box shrinks
        that face to the nearest object point inside."""
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        signs = self.controller.face_under(self.view, event.position())
        if signs is None:
            return False
        self._pending = None
        self.controller.shrink_face(signs)
        return True

    def _corners(self, position: QPointF) -> np.ndarray:
        """The rectangle from the press to ``position`` in world coordinates, in drawing order: the press,
        across the screen, the opposite corner, up the screen."""
        assert self._band_start is not None
        start = self._band_start
        end = self.view.world_at(position)
        right, up, _ = self.view.scene.camera_pose().basis()
        offset = end - start
        across = float(offset @ right) * right
        along = float(offset @ up) * up
        return np.array([start, start + across, start + across + along, start + along])
