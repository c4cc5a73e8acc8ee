"""A small live line plot drawn with QPainter (training loss per step, held-apart scores per check):
named series of (x, y) points, axes scaled to the data, the axes drawn like the uncertainty plot's."""

from __future__ import annotations

import logging

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from annotator.qt.panels.uncertainty_plot import BAR_COLOR, MARGIN, TEXT_COLOR, THRESHOLD_COLOR, draw_axes

logger = logging.getLogger(__name__)

#: Colours of the series, in the order they first appear.
SERIES_COLORS = (BAR_COLOR, THRESHOLD_COLOR, QColor(60, 150, 80), QColor(150, 90, 170))


def _number(value: float) -> str:
    return f"{value:.3g}"


class LinePlot(QWidget):
    """Series of points drawn as lines with dots; `add_point` appends and repaints."""

    def __init__(self, title: str, x_label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.x_label = x_label
        self.series: dict[str, list[tuple[float, float]]] = {}
        self.setMinimumSize(200, 110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def clear(self) -> None:
        """Remove every point."""
        self.series = {}
        self.update()

    def add_point(self, name: str, x: float, y: float) -> None:
        """Append a point to series ``name`` (created on first use)."""
        self.series.setdefault(name, []).append((float(x), float(y)))
        self.update()

    def point_count(self) -> int:
        """How many points all series hold."""
        return sum(len(points) for points in self.series.values())

    def bounds(self) -> tuple[float, float, float, float]:
        """x min, x max, y min, y max over all points (a unit range when empty or flat)."""
        points = [p for series in self.series.values() for p in series]
        if not points:
            return 0.0, 1.0, 0.0, 1.0
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        x0, x1, y0, y1 = min(xs), max(xs), min(min(ys), 0.0), max(ys)
        return x0, x1 if x1 > x0 else x0 + 1.0, y0, y1 if y1 > y0 else y0 + 1.0

    def plot_rect(self) -> QRectF:
        """Where the lines are drawn (widget pixels)."""
        return QRectF(MARGIN + 10, 18.0, max(self.width() - 1.5 * MARGIN - 10, 10.0),
                      max(self.height() - 18.0 - MARGIN, 10.0))  # fmt: skip

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw the axes, the series and their legend."""
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.fillRect(self.rect(), QColor(250, 250, 250))
            rect = self.plot_rect()
            x0, x1, y0, y1 = self.bounds()
            title = self.title if self.series else f"{self.title}: no points yet"
            draw_axes(painter, rect, title, self.x_label, _number(x0), _number(x1))
            left = QRectF(0.0, rect.top() - 6, rect.left() - 2, 14.0)
            painter.drawText(left, Qt.AlignmentFlag.AlignRight, _number(y1))
            painter.drawText(left.translated(0.0, rect.height()), Qt.AlignmentFlag.AlignRight, _number(y0))
            legend_y = rect.top() + 12.0
            for index, (name, points) in enumerate(self.series.items()):
                colour = SERIES_COLORS[index % len(SERIES_COLORS)]
                pixels = [
                    QPointF(rect.left() + (x - x0) / (x1 - x0) * rect.width(),
                            rect.bottom() - (y - y0) / (y1 - y0) * rect.height())
                    for x, y in points
                ]  # fmt: skip
                painter.setPen(QPen(colour, 2.0))
                painter.drawPolyline(QPolygonF(pixels))
                painter.setBrush(colour)
                for pixel in pixels[-50:]:
                    painter.drawEllipse(pixel, 2.5, 2.5)
                painter.setPen(QPen(TEXT_COLOR, 1.0))
                painter.drawText(QPointF(rect.right() - 90.0, legend_y), f"— {name}")
                painter.setPen(QPen(colour, 1.0))
                painter.drawText(QPointF(rect.right() - 90.0, legend_y), "—")
                legend_y += 14.0
        finally:
            painter.end()
