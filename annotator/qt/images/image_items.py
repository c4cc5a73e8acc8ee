"""What the image panel draws over a camera image: 2D boxes with handles, projected cuboid wireframes and
LiDAR points coloured by depth; plus the pure geometry of box handles."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsRectItem

from annotator.core.box2d import Box2D
from annotator.core.camera import CameraCalibration

logger = logging.getLogger(__name__)

#: Box handles: name -> which edges it moves (x: -1 left, 1 right, 0 none; y: -1 top, 1 bottom, 0 none).
HANDLES: dict[str, tuple[int, int]] = {
    "top_left": (-1, -1), "top": (0, -1), "top_right": (1, -1), "right": (1, 0),
    "bottom_right": (1, 1), "bottom": (0, 1), "bottom_left": (-1, 1), "left": (-1, 0),
}  # fmt: skip
#: Handle squares are this many screen pixels wide; a press within it grabs the handle.
HANDLE_SIZE = 8.0
#: A drawn box needs at least this many image pixels on each side.
MIN_BOX_SIDE = 3.0


def handle_points(box: Box2D) -> dict[str, tuple[float, float]]:
    """Image position of each handle of ``box``."""
    cx, cy = box.center
    xs = {-1: box.x1, 0: cx, 1: box.x2}
    ys = {-1: box.y1, 0: cy, 1: box.y2}
    return {name: (xs[dx], ys[dy]) for name, (dx, dy) in HANDLES.items()}


def resized(box: Box2D, handle: str, x: float, y: float) -> Box2D:
    """``box`` with the edges that ``handle`` moves put at image position (x, y) (corners normalise)."""
    dx, dy = HANDLES[handle]
    x1, y1, x2, y2 = box.x1, box.y1, box.x2, box.y2
    if dx < 0:
        x1 = x
    elif dx > 0:
        x2 = x
    if dy < 0:
        y1 = y
    elif dy > 0:
        y2 = y
    return Box2D(x1, y1, x2, y2)


def moved(box: Box2D, dx: float, dy: float, width: int = 0, height: int = 0) -> Box2D:
    """``box`` shifted by (dx, dy), kept inside a ``width`` x ``height`` image when its size is known."""
    if width and height:
        dx = min(max(dx, -box.x1), width - box.x2)
        dy = min(max(dy, -box.y1), height - box.y2)
    return Box2D(box.x1 + dx, box.y1 + dy, box.x2 + dx, box.y2 + dy)


def depth_colors(depth: np.ndarray, near: float = 2.0, far: float = 60.0) -> np.ndarray:
    """uint8 (N, 3) colours for depths: red near, through yellow and green, to blue far (log scale)."""
    t = np.clip(np.log(np.maximum(depth, near) / near) / np.log(far / near), 0.0, 1.0)
    hue = t * 240.0  # degrees: 0 red .. 240 blue
    sector = hue / 60.0
    x = 1.0 - np.abs(sector % 2.0 - 1.0)
    index = np.minimum(sector.astype(int), 3)
    rgb = np.zeros((len(t), 3))
    rgb[index == 0] = np.column_stack([np.ones_like(x), x, np.zeros_like(x)])[index == 0]
    rgb[index == 1] = np.column_stack([x, np.ones_like(x), np.zeros_like(x)])[index == 1]
    rgb[index == 2] = np.column_stack([np.zeros_like(x), np.ones_like(x), x])[index == 2]
    rgb[index == 3] = np.column_stack([np.zeros_like(x), x, np.ones_like(x)])[index == 3]
    return (rgb * 255.0).astype(np.uint8)


def points_overlay(camera: CameraCalibration, xyz: np.ndarray, width: int, height: int) -> QImage:
    """A transparent ``width`` x ``height`` image with the points that fall into it as 2x2 dots coloured by
    depth (far points drawn first, so near ones stay on top)."""
    uv, depth = camera.project(xyz)
    inside = np.all(np.isfinite(uv), axis=1)
    inside &= (uv[:, 0] >= 0) & (uv[:, 0] < width - 1) & (uv[:, 1] >= 0) & (uv[:, 1] < height - 1)
    uv, depth = uv[inside], depth[inside]
    order = np.argsort(-depth)
    cols = uv[order, 0].astype(np.intp)
    rows = uv[order, 1].astype(np.intp)
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    colors = np.column_stack([depth_colors(depth[order]), np.full(len(order), 255, np.uint8)])
    for dr, dc in ((0, 0), (0, 1), (1, 0), (1, 1)):
        rgba[rows + dr, cols + dc] = colors
    image = QImage(rgba.data, width, height, 4 * width, QImage.Format.Format_RGBA8888)
    return image.copy()  # own the pixels


def _pen(color: tuple[int, int, int], width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(QColor(*color), width)
    pen.setCosmetic(True)  # the same on-screen width at any zoom
    pen.setStyle(style)
    return pen


class BoxItem(QGraphicsRectItem):
    """A 2D box annotation: class colour, dashed when derived, handles when selected."""

    def __init__(
        self, annotation_id: int, box: Box2D, color: tuple[int, int, int], derived: bool, selected: bool
    ) -> None:
        super().__init__(QRectF(box.x1, box.y1, box.width, box.height))
        self.annotation_id = annotation_id
        self.box = box
        self.color = color
        self.selected = selected
        style = Qt.PenStyle.DashLine if derived else Qt.PenStyle.SolidLine
        self.setPen(_pen(color, 3.0 if selected else 1.5, style))
        if selected:
            self.setBrush(QBrush(QColor(*color, 40)))
        self.setZValue(3 if selected else 2)

    def set_box(self, box: Box2D) -> None:
        """Show ``box`` (while it is dragged)."""
        self.box = box
        self.setRect(QRectF(box.x1, box.y1, box.width, box.height))

    def paint(self, painter: QPainter, option, widget=None) -> None:
        """The rectangle, and screen-sized handle squares when selected."""
        super().paint(painter, option, widget)
        if not self.selected:
            return
        scale = painter.worldTransform().m11() or 1.0
        half = HANDLE_SIZE / 2.0 / scale
        painter.setPen(_pen((255, 255, 255), 1.0))
        painter.setBrush(QBrush(QColor(*self.color)))
        for x, y in handle_points(self.box).values():
            painter.drawRect(QRectF(x - half, y - half, 2 * half, 2 * half))

    def boundingRect(self) -> QRectF:
        """Room for the handles around the rectangle."""
        margin = HANDLE_SIZE * 4
        return super().boundingRect().adjusted(-margin, -margin, margin, margin)


class WireframeItem(QGraphicsPathItem):
    """A cuboid's projected edges (already clipped to the front of the camera) in its class colour."""

    def __init__(
        self,
        annotation_id: int,
        segments: Sequence[tuple[np.ndarray, np.ndarray]],
        color: tuple[int, int, int],
        selected: bool,
    ) -> None:
        path = QPainterPath()
        points = []
        for start, end in segments:
            path.moveTo(float(start[0]), float(start[1]))
            path.lineTo(float(end[0]), float(end[1]))
            points += [start, end]
        super().__init__(path)
        self.annotation_id = annotation_id
        self._points = points
        self._hull: QPolygonF | None = None
        self.setPen(_pen(color, 2.5 if selected else 1.2))
        self.setZValue(1.5 if selected else 1)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, False)

    @property
    def hull(self) -> QPolygonF:
        """The projected cuboid's outline, made on first use (a click), not for every redraw."""
        if self._hull is None:
            self._hull = _convex_hull(np.array(self._points)) if self._points else QPolygonF()
        return self._hull

    def contains_point(self, x: float, y: float) -> bool:
        """True when (x, y) lies inside the projected cuboid's outline."""
        return self.hull.containsPoint(QPointF(x, y), Qt.FillRule.OddEvenFill)

    def area(self) -> float:
        """Area of the outline (the smallest outline wins a click)."""
        rect = self.hull.boundingRect()
        return rect.width() * rect.height()


def _convex_hull(points: np.ndarray) -> QPolygonF:
    """The convex hull of 2D points (monotone chain) as a polygon."""
    unique = sorted({(float(x), float(y)) for x, y in points})
    if len(unique) < 3:
        return QPolygonF([QPointF(x, y) for x, y in unique])

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    upper: list[tuple[float, float]] = []
    for p in unique:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(unique):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return QPolygonF([QPointF(x, y) for x, y in lower[:-1] + upper[:-1]])
