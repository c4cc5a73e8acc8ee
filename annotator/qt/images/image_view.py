"""The zoomable camera image with its overlays, and the mouse/keyboard gestures on 2D boxes.

Wheel zooms around the cursor, a middle drag (or Space + left drag) pans. A left drag on the image
draws a new box (also over a projected cuboid), on a box moves it, on a handle of the selected box
resizes it; a click on a box or a projected cuboid picks it, on empty image clears the selection. The view only reports gestures (signals); the panel turns them into commands.
"""

from __future__ import annotations

import logging
import math

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QPen, QPixmap, QWheelEvent
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsRectItem, QGraphicsScene, QGraphicsView, QWidget

from annotator.core.box2d import Box2D
from annotator.qt.images.image_items import (
    HANDLE_SIZE,
    MIN_BOX_SIDE,
    BoxItem,
    WireframeItem,
    handle_points,
    moved,
    resized,
)

logger = logging.getLogger(__name__)

#: Zoom factor per wheel notch, and the zoom limits (screen pixels per image pixel).
ZOOM_STEP, MIN_ZOOM, MAX_ZOOM = 1.2, 0.02, 40.0
_EDIT_KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
#: Arrow keys nudge the selected box: key -> (dx, dy) in image pixels; Shift multiplies by `NUDGE_FAST`.
NUDGE_KEYS = {
    Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1),
}  # fmt: skip
NUDGE_FAST = 10


class ImageView(QGraphicsView):
    """One camera image, its overlays and the 2D box gestures."""

    #: A new box was drawn (image pixels).
    box_drawn = Signal(object)
    #: A box was moved or resized: annotation id, new Box2D.
    box_edited = Signal(int, object)
    #: A box or projected cuboid was clicked (annotation id), or empty image (None).
    picked = Signal(object)
    #: Delete was pressed with the view focused.
    delete_requested = Signal()
    #: An arrow key was pressed with a box selected: dx, dy (pixels) and the key-run number (one held
    #: key is one run; every real key release starts a new one).
    nudge_requested = Signal(int, int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.setBackgroundBrush(QColor(40, 40, 40))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.image_item = QGraphicsPixmapItem()
        self.points_item = QGraphicsPixmapItem()
        self.points_item.setZValue(0.5)
        self.scene().addItem(self.image_item)
        self.scene().addItem(self.points_item)
        self.boxes: dict[int, BoxItem] = {}
        self.wireframes: list[WireframeItem] = []
        self.selected_box: int | None = None
        self.image_size = (0, 0)
        self._gesture: str | None = None
        self._anchor = QPointF()
        self._start_box: Box2D | None = None
        self._handle: str | None = None
        self._pan_from = QPointF()
        self._space = False
        self._rubber: QGraphicsRectItem | None = None
        self._click_pick: int | None = None
        self._key_run = 0

    # -- content ------------------------------------------------------------------------------------
    def set_image(self, image: QImage | None) -> None:
        """Show ``image`` (None: nothing); the view fits it when its size changed."""
        size = (0, 0) if image is None else (image.width(), image.height())
        self.image_item.setPixmap(QPixmap() if image is None else QPixmap.fromImage(image))
        changed = size != self.image_size
        self.image_size = size
        self.scene().setSceneRect(QRectF(0, 0, *size) if size[0] else QRectF())
        if changed:
            self.fit()

    def set_points(self, overlay: QImage | None) -> None:
        """The projected LiDAR points layer (None: hidden)."""
        self.points_item.setPixmap(QPixmap() if overlay is None else QPixmap.fromImage(overlay))
        self.points_item.setVisible(overlay is not None)

    def set_overlays(
        self, boxes: list[BoxItem], wireframes: list[WireframeItem], selected: int | None
    ) -> None:
        """Replace the drawn boxes and wireframes (not during a drag of one of them)."""
        for item in [*self.boxes.values(), *self.wireframes]:
            self.scene().removeItem(item)
        self.boxes = {item.annotation_id: item for item in boxes}
        self.wireframes = list(wireframes)
        for item in [*boxes, *wireframes]:
            self.scene().addItem(item)
        self.selected_box = selected if selected in self.boxes else None
        self._gesture = None if self._gesture in ("move", "resize") else self._gesture

    def replace_wireframe(self, annotation_id: int, item: WireframeItem | None) -> None:
        """Swap one cuboid's projection (while it is dragged in the 3D views); None: it is not seen."""
        for old in [w for w in self.wireframes if w.annotation_id == annotation_id]:
            self.scene().removeItem(old)
            self.wireframes.remove(old)
        if item is not None:
            self.wireframes.append(item)
            self.scene().addItem(item)

    def fit(self) -> None:
        """Fit the whole image into the view."""
        if self.image_size[0]:
            self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def zoom(self) -> float:
        """Screen pixels per image pixel."""
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        """Zoom around the cursor (or the centre), within the limits."""
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        if self.zoom() > 0:
            factor = target / self.zoom()
            self.scale(factor, factor)

    # -- gestures -----------------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        """Zoom around the cursor."""
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(ZOOM_STEP**steps)
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Start a pan, a draw, a move or a resize; or pick."""
        self.setFocus()
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self._space):
            self._gesture = "pan"
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if button != Qt.MouseButton.LeftButton or not self.image_size[0]:
            return super().mousePressEvent(event)
        point = self.mapToScene(event.position().toPoint())
        self._anchor = point
        handle = self._handle_at(event.position())
        if handle is not None:
            self._gesture, self._handle = "resize", handle
            self._start_box = self.boxes[self.selected_box].box  # type: ignore[index]
            return
        box_id = self._box_at(point.x(), point.y())
        if box_id is not None:
            self.picked.emit(box_id)
            self._gesture, self._start_box = "move", self.boxes[box_id].box if box_id in self.boxes else None
            self.selected_box = box_id if box_id in self.boxes else None
            return
        # a click picks the projected cuboid under the cursor; a drag draws a box (over it too)
        self._click_pick = self._wireframe_at(point.x(), point.y())
        self._gesture = "draw"
        self._rubber = QGraphicsRectItem(QRectF(point, point))
        pen = QPen(QColor(255, 255, 255), 1.5, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self._rubber.setPen(pen)
        self._rubber.setZValue(10)
        self.scene().addItem(self._rubber)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Follow the drag."""
        if self._gesture == "pan":
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - round(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - round(delta.y()))
            return
        point = self._clamped(self.mapToScene(event.position().toPoint()))
        if self._gesture == "draw" and self._rubber is not None:
            self._rubber.setRect(QRectF(self._anchor, point).normalized())
        elif self._gesture in ("move", "resize") and self.selected_box in self.boxes:
            self.boxes[self.selected_box].set_box(self._dragged(point, self._gesture))
        else:
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """Finish the gesture: report a drawn or edited box, or a click on empty image."""
        gesture, self._gesture = self._gesture, None
        if gesture == "pan":
            self.viewport().unsetCursor()
            return
        point = self._clamped(self.mapToScene(event.position().toPoint()))
        if gesture == "draw":
            if self._rubber is not None:
                self.scene().removeItem(self._rubber)
                self._rubber = None
            box = Box2D(self._anchor.x(), self._anchor.y(), point.x(), point.y())
            if box.width >= MIN_BOX_SIDE and box.height >= MIN_BOX_SIDE:
                self.box_drawn.emit(box)
            else:
                self.picked.emit(self._click_pick)
        elif gesture in ("move", "resize") and self.selected_box in self.boxes:
            box = self._dragged(point, gesture)
            if self._start_box is not None and box != self._start_box and min(box.width, box.height) >= 1.0:
                self.box_edited.emit(self.selected_box, box)
            elif self._start_box is not None:
                self.boxes[self.selected_box].set_box(self._start_box)
        else:
            super().mouseReleaseEvent(event)

    def event(self, event: QEvent) -> bool:
        """Claim Delete/Backspace and the arrow keys from window shortcuts while a box here is selected."""
        override = event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
        if override and self._box_key(event) and self.selected_box is not None:
            event.accept()
            return True
        return super().event(event)

    @staticmethod
    def _box_key(event: QKeyEvent) -> bool:
        """Delete/Backspace, or an arrow key alone or with Shift."""
        if event.key() in _EDIT_KEYS:
            return True
        extra = event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier)
        return event.key() in NUDGE_KEYS and extra == Qt.KeyboardModifier.NoModifier

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Space held: pan with the left button; Delete: delete the selected box."""
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        elif event.key() in _EDIT_KEYS and self.selected_box is not None:
            self.delete_requested.emit()
        elif self._box_key(event) and self.selected_box is not None:
            step = NUDGE_FAST if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1
            dx, dy = NUDGE_KEYS[Qt.Key(event.key())]
            self.nudge_requested.emit(dx * step, dy * step, self._key_run)
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        """Space released: back to drawing. A real release ends a key-run (one undo step per run)."""
        if not event.isAutoRepeat():
            self._key_run += 1
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
        else:
            super().keyReleaseEvent(event)

    # -- hit testing --------------------------------------------------------------------------------
    def _handle_at(self, position: QPointF) -> str | None:
        item = self.boxes.get(self.selected_box) if self.selected_box is not None else None
        if item is None:
            return None
        for name, (x, y) in handle_points(item.box).items():
            on_screen = self.mapFromScene(QPointF(x, y))
            if math.hypot(on_screen.x() - position.x(), on_screen.y() - position.y()) <= HANDLE_SIZE:
                return name
        return None

    def _box_at(self, x: float, y: float) -> int | None:
        """The smallest box containing (x, y), the selected one first."""
        hits = [
            i
            for i, item in self.boxes.items()
            if item.box.x1 <= x <= item.box.x2 and item.box.y1 <= y <= item.box.y2
        ]
        if self.selected_box in hits:
            return self.selected_box
        return min(hits, key=lambda i: self.boxes[i].box.area, default=None)

    def _wireframe_at(self, x: float, y: float) -> int | None:
        hits = [item for item in self.wireframes if item.contains_point(x, y)]
        return min(hits, key=WireframeItem.area).annotation_id if hits else None

    def _clamped(self, point: QPointF) -> QPointF:
        width, height = self.image_size
        return QPointF(min(max(point.x(), 0.0), float(width)), min(max(point.y(), 0.0), float(height)))

    def _dragged(self, point: QPointF, gesture: str | None) -> Box2D:
        assert self._start_box is not None
        if gesture == "resize" and self._handle is not None:
            return resized(self._start_box, self._handle, point.x(), point.y())
        return moved(
            self._start_box, point.x() - self._anchor.x(), point.y() - self._anchor.y(), *self.image_size
        )
