"""One crop of the track strip: a box of a track in one frame, seen from the top and, under it, from the
side (the box's front to the right in both), with only the points around it, at the strip's common scale.

The view is laid in the box's own axes as it was when the crop was drawn, so a drag shows the box
moving over still points. A left drag inside the box moves it, on an edge resizes it (the opposite side
stays), outside it in the top view turns it about its centre; in the side view the top edge sets the
height. The Cuboid > Resize keys on the focused tile are taken here too (`resized`), so that a resize
in the strip is a resize of the whole track. The tile only previews (`preview`, also set while the box
is dragged in a view): on release it hands the new cuboid to its owner (``edited``), which turns it
into a command. Points are coloured by height above the box's bottom.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QKeySequence, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.rotation import wrap_angle
from annotator.core.track_crops import box_outline, crop_view

logger = logging.getLogger(__name__)

TILE_WIDTH = 150
CAPTION_HEIGHT = 16
#: Share of the tile's picture height the side view gets (the top view the rest).
SIDE_SHARE = 0.38
#: How close (pixels) to an edge a press grabs it.
GRAB = 5.0
#: Smallest size a drag leaves (metres).
MIN_SIZE = 0.2
#: Point colours from the box's bottom (first) to above its top (last).
HEIGHT_COLORS = tuple(
    QColor(*c) for c in ((70, 110, 200), (60, 170, 190), (90, 200, 110), (220, 200, 70), (230, 120, 60))
)
BACKGROUND, CURRENT, CAPTION = QColor(28, 28, 32), QColor(255, 255, 255), QColor(220, 220, 220)


def _polygon(points: np.ndarray) -> QPolygonF:
    return QPolygonF([QPointF(float(x), float(y)) for x, y in points])


class CropTile(QWidget):
    """A box of a track in one frame: caption, top view, side view; clicked, focused and edited here."""

    #: Pressed: the tile wants its frame shown and its box selected.
    activated = Signal(object)
    #: A drag ended: the tile, what was done (``"move"``, ``"turn"``, ``"size"``) and the new cuboid.
    edited = Signal(object, str, object)
    #: A resize key was pressed on the focused tile: the tile, the dimension and the step (m).
    resized = Signal(object, str, float)

    def __init__(self, frame_id: int, annotation_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"cropTile-{frame_id}")
        self.frame_id, self.annotation_id = frame_id, annotation_id
        self.caption = ""
        self.color = QColor(200, 200, 200)
        self.box: Cuboid | None = None  # the annotation's cuboid now
        self.view_box: Cuboid | None = None  # the axes the crop is drawn in
        self.points: np.ndarray | None = None  # the crop's points (sensor frame), None while loading
        self.preview: Cuboid | None = None  # the box during a drag
        self.current = False
        self.extent = (8.0, 4.0, 3.0)  # metres along, across, up the box: the same in every tile
        #: While dragging: view, what, the press point in the box's axes, the box then, the view's
        #: middle and scale then (the strip may re-scale while the frame changes under the drag).
        self._drag: tuple[str, str, np.ndarray, Cuboid, QPointF, float] | None = None
        self._cache: dict[str, list[tuple[QColor, QPolygonF]]] = {}
        #: The resize step a key stands for (the Cuboid > Resize actions' keys), or None.
        self.resize_step: Callable[[QKeySequence], tuple[str, float] | None] = lambda _keys: None
        self.key_run = 0  # grows at every real key release: one held key, one undo step
        self.setFixedWidth(TILE_WIDTH)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setMinimumHeight(120)

    def sizeHint(self) -> QSize:
        """A column: `TILE_WIDTH` wide, room for both views."""
        return QSize(TILE_WIDTH, 230)

    # -- state --------------------------------------------------------------------------------------
    def set_box(self, box: Cuboid) -> None:
        """The annotation's cuboid changed (the crop's axes follow it; the points stay)."""
        if box != self.box:
            self.box, self.view_box, self.preview = box, box, None
            self._cache.clear()
            self.update()

    def set_points(self, points: np.ndarray | None) -> None:
        """The crop's points arrived (None: they could not be read)."""
        self.points = points
        self._cache.clear()
        self.update()

    def set_extent(self, extent: tuple[float, float, float]) -> None:
        """The room (m) along, across and up the box the views show (the strip's: one scale for all)."""
        if extent != self.extent:
            self.extent = extent
            self._cache.clear()
            self.update()

    @property
    def scale(self) -> float:
        """Pixels per metre: the extent fits both views."""
        rects = self.view_rects()
        along, across, up = (max(e, 1e-3) for e in self.extent)
        return max(
            min(rects["top"].width() / along, rects["top"].height() / across, rects["side"].height() / up),
            1.0,
        )

    def resizeEvent(self, event) -> None:
        """The scale follows the tile's size."""
        super().resizeEvent(event)
        self._cache.clear()

    # -- geometry -----------------------------------------------------------------------------------
    def view_rects(self) -> dict[str, QRectF]:
        """Where the top and side views are drawn in the tile."""
        picture = max(self.height() - CAPTION_HEIGHT, 2)
        side = picture * SIDE_SHARE
        return {
            "top": QRectF(0, CAPTION_HEIGHT, self.width(), picture - side),
            "side": QRectF(0, CAPTION_HEIGHT + picture - side, self.width(), side),
        }

    def to_screen(self, view: str, uv: np.ndarray) -> np.ndarray:
        """View coordinates (M, 2) (metres across, up) -> tile pixels (M, 2)."""
        centre = self.view_rects()[view].center()  # the box's centre (of the axes drawn) is the middle
        return np.column_stack([centre.x() + uv[:, 0] * self.scale, centre.y() - uv[:, 1] * self.scale])

    def view_at(self, point: QPointF) -> str | None:
        """Which view (``"top"``, ``"side"``) is under a tile position."""
        return next((name for name, rect in self.view_rects().items() if rect.contains(point)), None)

    def outline(self, view: str, box: Cuboid | None = None) -> np.ndarray:
        """The box's outline in tile pixels (4, 2), front edge first."""
        assert self.view_box is not None
        return self.to_screen(view, box_outline(box or self.box or self.view_box, self.view_box, view))

    # -- painting -----------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        """Caption, the points of both views, the box (its front edge thicker)."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        painter.setPen(CAPTION)
        painter.drawText(
            QRectF(4, 0, self.width() - 8, CAPTION_HEIGHT), Qt.AlignmentFlag.AlignVCenter, self.caption
        )
        if self.view_box is not None:
            for view, rect in self.view_rects().items():
                painter.save()
                painter.setClipRect(rect)
                for color, polygon in self._point_polygons(view):
                    painter.setPen(QPen(color, 1.5))
                    painter.drawPoints(polygon)
                self._draw_box(painter, view)
                painter.restore()
            if self.points is None:
                painter.setPen(CAPTION)
                painter.drawText(self.view_rects()["top"], Qt.AlignmentFlag.AlignCenter, "loading…")
        painter.setPen(QPen(CURRENT if self.current else QColor(70, 70, 70), 2 if self.current else 1))
        painter.drawRect(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        if self.hasFocus():
            painter.setPen(QPen(self.color, 1, Qt.PenStyle.DashLine))
            painter.drawRect(QRectF(self.rect()).adjusted(3, 3, -3, -3))
        painter.end()

    def _point_polygons(self, view: str) -> list[tuple[QColor, QPolygonF]]:
        if view not in self._cache:
            self._cache[view] = []
            if self.points is not None and len(self.points) and self.view_box is not None:
                screen = self.to_screen(view, crop_view(self.points, self.view_box, view))
                bottom = self.view_box.z_range()[0]
                share = (self.points[:, 2] - bottom) / max(self.view_box.size[2], 0.5)
                bins = np.clip((share * (len(HEIGHT_COLORS) - 1)).astype(int), 0, len(HEIGHT_COLORS) - 1)
                for index, color in enumerate(HEIGHT_COLORS):
                    chosen = screen[bins == index]
                    if len(chosen):
                        self._cache[view].append((color, _polygon(chosen)))
        return self._cache[view]

    def _draw_box(self, painter: QPainter, view: str) -> None:
        corners = self.outline(view, self.preview)
        painter.setPen(QPen(self.color, 2 if self.current else 1.5))
        painter.drawPolygon(_polygon(corners))
        painter.setPen(QPen(self.color, 3.5))
        painter.drawLine(QPointF(*corners[0]), QPointF(*corners[1]))  # the front edge

    # -- input --------------------------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        """Take the Cuboid > Resize keys while focused (they resize the whole track here)."""
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and self.resize_step(QKeySequence(event.keyCombination())) is not None
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """A resize key: the track's size changes (see `resized`)."""
        step = self.resize_step(QKeySequence(event.keyCombination()))
        if step is None:
            super().keyPressEvent(event)
            return
        self.resized.emit(self, *step)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        """A real release ends a key run."""
        if not event.isAutoRepeat():
            self.key_run += 1
        super().keyReleaseEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Activate the tile (its frame, its box selected); a left press on the box starts a drag."""
        self.activated.emit(self)
        view = self.view_at(event.position())
        box = self.box
        if (
            event.button() != Qt.MouseButton.LeftButton
            or view is None
            or box is None
            or self.view_box is None
        ):
            return
        what = self.hit(view, event.position())
        if what is not None:
            centre = self.view_rects()[view].center()
            start = np.array(self._local(view, event.position(), box))
            self._drag = (view, what, start, box, centre, self.scale)

    def hit(self, view: str, point: QPointF) -> str | None:
        """What a press at ``point`` grabs: ``"move"``, ``"turn"``, or an edge (``"front"``, ``"back"``,
        ``"left"``, ``"right"``, ``"top"``), or None."""
        assert self.box is not None and self.view_box is not None
        lx, ly, lz = self._local(view, point, self.box)
        half = np.asarray(self.box.size) / 2.0
        tol = GRAB / self.scale
        if view == "top":
            inside_x, inside_y = abs(lx) <= half[0] + tol, abs(ly) <= half[1] + tol
            if inside_y and abs(lx - half[0]) <= tol:
                return "front"
            if inside_y and abs(lx + half[0]) <= tol:
                return "back"
            if inside_x and abs(ly - half[1]) <= tol:
                return "left"
            if inside_x and abs(ly + half[1]) <= tol:
                return "right"
            return "move" if inside_x and inside_y else "turn"
        inside_x = abs(lx) <= half[0] + tol
        if inside_x and abs(lz - half[2]) <= tol:
            return "top"
        return "move" if inside_x and abs(lz) <= half[2] else None

    def _local(
        self, view: str, point: QPointF, box: Cuboid, centre: QPointF | None = None, scale: float = 0.0
    ) -> tuple[float, float, float]:
        """A tile position in ``box``'s axes (the coordinate the view does not show is 0), with the
        view's middle and scale as now (or as given)."""
        assert self.view_box is not None
        centre = centre if centre is not None else self.view_rects()[view].center()
        scale = scale or self.scale
        u, v = (point.x() - centre.x()) / scale, -(point.y() - centre.y()) / scale
        local = np.array([u, v, 0.0]) if view == "top" else np.array([u, 0.0, v])
        world = self.view_box.box_to_world(local[None, :])
        lx, ly, lz = box.world_to_box(world)[0]
        return float(lx), float(ly), float(lz if view == "side" else 0.0)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Preview the drag."""
        if self._drag is not None:
            self.preview = self.dragged(event.position())
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """End the drag: hand the new box to the owner."""
        if self._drag is None:
            return
        what = self._drag[1]
        box = self.dragged(event.position())
        self._drag, self.preview = None, None
        self.update()
        if box != self.box:
            kind = "move" if what == "move" else "turn" if what == "turn" else "size"
            self.edited.emit(self, kind, box)

    def dragged(self, point: QPointF) -> Cuboid:
        """The box as the drag to ``point`` makes it."""
        assert self._drag is not None
        view, what, a, box, centre, scale = self._drag
        b = np.array(self._local(view, point, box, centre, scale))
        if what == "turn":
            turn = math.atan2(b[1], b[0]) - math.atan2(a[1], a[0])
            return box.replace(yaw=wrap_angle(box.yaw + turn))
        delta = b - a
        if what == "move":
            return box.replace(center=tuple(box.box_to_world(delta[None, :])[0]))
        axis, sign = {"front": (0, 1), "back": (0, -1), "left": (1, 1), "right": (1, -1), "top": (2, 1)}[what]
        size = list(box.size)
        grown = max(MIN_SIZE, size[axis] + sign * delta[axis])
        shift = np.zeros(3)
        shift[axis] = sign * (grown - size[axis]) / 2.0
        size[axis] = grown
        return box.replace(size=tuple(size), center=tuple(box.box_to_world(shift[None, :])[0]))
