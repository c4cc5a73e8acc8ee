"""The escalation plot of the review dock: for each uncertainty threshold, the share of boxes a person
reviews and the residual error rate (wrong boxes accepted unreviewed plus objects missed in frames not
reviewed whole, per ground-truth object), measured against the project's reference labels with the rule
of *Accept all confident* (`annotator.ml.uncertainty.escalation`). The current threshold is marked."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from annotator.ml.uncertainty.escalation import EscalationOutcome
from annotator.qt.models.flagging import FLAG_COLOR
from annotator.qt.panels.uncertainty_plot import BAR_COLOR, MARGIN, THRESHOLD_COLOR, draw_axes

logger = logging.getLogger(__name__)


class EscalationPlot(QWidget):
    """Reviewed share and residual error rate against the threshold (hidden without reference labels)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("escalationPlot")
        self.setMinimumSize(320, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.outcomes: list[EscalationOutcome] = []
        self.threshold = 0.5
        self.setVisible(False)

    def set_outcomes(self, outcomes: Sequence[EscalationOutcome]) -> None:
        """A sweep of thresholds (empty: nothing to show)."""
        self.outcomes = sorted(outcomes, key=lambda o: o.threshold)
        self.setVisible(bool(self.outcomes))
        self.setToolTip(self.summary())
        self.update()

    def set_threshold(self, threshold: float) -> None:
        """Where the current threshold is marked."""
        self.threshold = float(threshold)
        self.setToolTip(self.summary())
        self.update()

    def at_threshold(self) -> EscalationOutcome | None:
        """The swept outcome nearest the current threshold."""
        if not self.outcomes:
            return None
        return min(self.outcomes, key=lambda o: abs(o.threshold - self.threshold))

    def summary(self) -> str:
        """The outcome at the current threshold in words."""
        o = self.at_threshold()
        if o is None:
            return ""
        effort = f", effort {o.effort_s / o.manual_s:.2f}x drawing every box" if o.manual_s else ""
        return (
            f"at {o.threshold:.2f}: {o.reviewed_share:.0%} of {o.boxes} boxes reviewed "
            f"({o.frames_whole} frames whole, {o.frames_searched} searched for missed objects), residual errors "
            f"{o.residual_rate:.1%} "
            f"({o.wrong_accepted} wrong accepted, {o.missed} missed){effort}"
        )

    def title(self) -> str:
        """The plot's short title: the outcome at the current threshold."""
        o = self.at_threshold()
        if o is None:
            return ""
        return f"escalation at {o.threshold:.2f}: {o.reviewed_share:.0%} reviewed, residual {o.residual_rate:.1%}"

    def paintEvent(self, event: QPaintEvent) -> None:
        """Both curves over the thresholds."""
        if not self.outcomes:
            return
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.fillRect(self.rect(), QColor(250, 250, 250))
            rect = QRectF(
                MARGIN, 18.0, max(self.width() - 1.5 * MARGIN, 10.0), max(self.height() - 18.0 - MARGIN, 10.0)
            )
            draw_axes(painter, rect, self.title(), "threshold")
            series = {
                "reviewed": (BAR_COLOR, [o.reviewed_share for o in self.outcomes]),
                "residual errors": (QColor(*FLAG_COLOR), [min(o.residual_rate, 1.0) for o in self.outcomes]),
            }
            legend_y = rect.top() + 12.0
            for name, (colour, values) in series.items():
                points = [
                    QPointF(
                        rect.left() + min(o.threshold, 1.0) * rect.width(), rect.bottom() - v * rect.height()
                    )
                    for o, v in zip(self.outcomes, values, strict=True)
                ]
                painter.setPen(QPen(colour, 2.0))
                painter.drawPolyline(QPolygonF(points))
                painter.drawText(QPointF(rect.right() - 100.0, legend_y), name)
                legend_y += 14.0
            x = rect.left() + min(max(self.threshold, 0.0), 1.0) * rect.width()
            painter.setPen(QPen(THRESHOLD_COLOR, 1.0, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        finally:
            painter.end()
