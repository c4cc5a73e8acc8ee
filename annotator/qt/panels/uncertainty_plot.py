"""A small plot of the project's uncertainty, drawn with QPainter: the histogram of the scored boxes'
uncertainty with the flag threshold (drag it to move the threshold), and, when the ground truth is known
(a demo project), the share of wrong boxes caught against the share flagged, next to flagging by the
detector's score alone."""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from annotator.qt.models.flagging import FLAG_COLOR

logger = logging.getLogger(__name__)

BINS = 20
MARGIN = 26.0
BAR_COLOR = QColor(90, 140, 200)
THRESHOLD_COLOR = QColor(220, 40, 40)
BASELINE_COLOR = QColor(150, 150, 150)
TEXT_COLOR = QColor(40, 40, 40)


def draw_axes(
    painter: QPainter, rect: QRectF, title: str, x_label: str, low: str = "0", high: str = "1"
) -> None:
    """Axes along the left and bottom of ``rect``, the title above it and the x range below it."""
    painter.setPen(QPen(TEXT_COLOR, 1.0))
    painter.drawLine(rect.bottomLeft(), rect.bottomRight())
    painter.drawLine(rect.bottomLeft(), rect.topLeft())
    painter.drawText(QRectF(rect.left(), 0.0, rect.width(), 16.0), Qt.AlignmentFlag.AlignLeft, title)
    below = QRectF(rect.left() - 8, rect.bottom() + 2, rect.width() + 16, 14.0)
    painter.drawText(below, Qt.AlignmentFlag.AlignLeft, low)
    painter.drawText(below, Qt.AlignmentFlag.AlignRight, high)
    painter.drawText(below, Qt.AlignmentFlag.AlignHCenter, x_label)


class UncertaintyPlot(QWidget):
    """Histogram with the threshold line (left) and the errors-caught curves (right, when known)."""

    #: The user dragged the threshold line to this value.
    threshold_dragged = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("uncertaintyPlot")
        self.setMinimumSize(320, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setToolTip("Uncertainty of the scored boxes; drag the red line to move the flag threshold")
        self.values = np.zeros(0)
        self.threshold = 0.5
        #: name -> (share flagged, share of errors caught), e.g. "uncertainty", "score only".
        self.curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.errors = 0

    # -- data ---------------------------------------------------------------------------------------
    def set_values(self, values: np.ndarray) -> None:
        """The uncertainty of every scored box."""
        self.values = np.clip(np.asarray(values, dtype=float), 0.0, 1.0)
        self.update()

    def set_threshold(self, threshold: float) -> None:
        """Where the threshold line is drawn."""
        self.threshold = float(threshold)
        self.update()

    def set_curves(self, curves: dict[str, tuple[np.ndarray, np.ndarray]], errors: int = 0) -> None:
        """Errors caught against the share flagged per ranking (empty: the ground truth is unknown)."""
        self.curves = {name: curve for name, curve in curves.items() if len(curve[0])}
        self.errors = errors
        self.update()

    def counts(self) -> np.ndarray:
        """Boxes per histogram bin (`BINS` bins over 0..1)."""
        return np.histogram(self.values, bins=BINS, range=(0.0, 1.0))[0]

    # -- geometry -----------------------------------------------------------------------------------
    def histogram_rect(self) -> QRectF:
        """Where the histogram's bars are drawn (widget pixels)."""
        width = self.width() / 2 if self.curves else self.width()
        return QRectF(MARGIN, 18.0, max(width - 1.5 * MARGIN, 10.0), max(self.height() - 18.0 - MARGIN, 10.0))

    def curve_rect(self) -> QRectF:
        """Where the errors-caught plot is drawn (empty without ground truth)."""
        if not self.curves:
            return QRectF()
        left = self.width() / 2 + MARGIN
        return QRectF(left, 18.0, max(self.width() - left - MARGIN / 2, 10.0), self.histogram_rect().height())

    def threshold_x(self) -> float:
        """The x pixel of the threshold line."""
        rect = self.histogram_rect()
        return rect.left() + self.threshold * rect.width()

    # -- painting -----------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw both plots."""
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.fillRect(self.rect(), QColor(250, 250, 250))
            self._paint_histogram(painter)
            if self.curves:
                self._paint_curves(painter)
        finally:
            painter.end()

    def _paint_histogram(self, painter: QPainter) -> None:
        rect = self.histogram_rect()
        counts = self.counts()
        flagged = int((self.values >= self.threshold).sum())
        title = f"{len(self.values)} boxes, {flagged} flagged (>= {self.threshold:.2f})"
        if not len(self.values):
            title = "no scored boxes yet (Models > Score uncertainty)"
        draw_axes(painter, rect, title, "uncertainty")
        top = max(int(counts.max()) if len(counts) else 0, 1)
        width = rect.width() / BINS
        painter.setPen(Qt.PenStyle.NoPen)
        for index, count in enumerate(counts):
            if not count:
                continue
            height = rect.height() * count / top
            left = rect.left() + index * width
            colour = QColor(*FLAG_COLOR) if (index + 0.5) / BINS >= self.threshold else BAR_COLOR
            painter.setBrush(colour)
            painter.drawRect(QRectF(left + 1, rect.bottom() - height, width - 2, height))
        x = self.threshold_x()
        painter.setPen(QPen(THRESHOLD_COLOR, 2.0))
        painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))

    def _paint_curves(self, painter: QPainter) -> None:
        rect = self.curve_rect()
        draw_axes(painter, rect, f"errors caught ({self.errors} wrong boxes)", "share flagged")
        painter.setPen(QPen(BASELINE_COLOR, 1.0, Qt.PenStyle.DotLine))
        painter.drawLine(rect.bottomLeft(), rect.topRight())
        colours = {"uncertainty": QColor(*FLAG_COLOR), "score only": BASELINE_COLOR}
        legend_y = rect.bottom() - 6.0 - 14.0 * (len(self.curves) - 1)
        for name, (flagged, found) in self.curves.items():
            colour = colours.get(name, BAR_COLOR)
            points = [
                QPointF(rect.left() + fx * rect.width(), rect.bottom() - fy * rect.height())
                for fx, fy in zip(flagged, found, strict=True)
            ]
            painter.setPen(QPen(colour, 2.0))
            painter.drawPolyline(QPolygonF(points))
            painter.drawText(QPointF(rect.left() + rect.width() * 0.55, legend_y), name)
            legend_y += 14.0
        share = float((self.values >= self.threshold).mean()) if len(self.values) else 0.0
        x = rect.left() + share * rect.width()
        painter.setPen(QPen(THRESHOLD_COLOR, 1.0, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))

    # -- dragging the threshold ---------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A press in the histogram moves the threshold there."""
        if event.button() == Qt.MouseButton.LeftButton and self.histogram_rect().contains(event.position()):
            self._drag_to(event.position().x())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Dragging moves the threshold."""
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._drag_to(event.position().x())

    def _drag_to(self, x: float) -> None:
        rect = self.histogram_rect()
        value = round(min(max((x - rect.left()) / rect.width(), 0.0), 1.0), 2)
        if value != self.threshold:
            self.set_threshold(value)
            self.threshold_dragged.emit(value)
