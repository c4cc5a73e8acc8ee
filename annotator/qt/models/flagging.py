"""The window's flagging state: the uncertainty threshold (a user setting) and the model version each
plugin would score with now (to show stale scores). Views and panels listen to `FlagState.changed`."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from annotator.core.model.records import Annotation
from annotator.ml.uncertainty.flags import DEFAULT_FLAG_THRESHOLD, is_flagged
from annotator.ml.uncertainty.scoring import is_stale
from annotator.render.cuboids import FLAG_COLOR

__all__ = ["FLAG_COLOR", "THRESHOLD_KEY", "FlagState", "mark_flagged"]

logger = logging.getLogger(__name__)

THRESHOLD_KEY = "uncertainty/flag_threshold"


class FlagState(QObject):
    """Which scored boxes are flagged (uncertainty >= threshold) and which scores are stale."""

    #: The threshold or the current versions changed.
    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.threshold = DEFAULT_FLAG_THRESHOLD
        self.versions: dict[str, str] = {}
        self._settings: QSettings | None = None

    def bind(self, settings: QSettings) -> None:
        """Read the threshold from ``settings`` and keep it there from now on."""
        self._settings = settings
        try:
            value = float(settings.value(THRESHOLD_KEY, DEFAULT_FLAG_THRESHOLD))
        except (TypeError, ValueError):
            value = DEFAULT_FLAG_THRESHOLD
        self.set_threshold(value)

    def set_threshold(self, value: float) -> None:
        """Flag boxes at or above ``value`` (clamped to 0..1)."""
        value = round(min(max(float(value), 0.0), 1.0), 3)
        if self._settings is not None:
            self._settings.setValue(THRESHOLD_KEY, value)
        if value != self.threshold:
            self.threshold = value
            self.changed.emit()

    def set_versions(self, versions: dict[str, str]) -> None:
        """The model version each plugin would score with now."""
        if versions != self.versions:
            self.versions = dict(versions)
            self.changed.emit()

    def flagged(self, annotation: Annotation) -> bool:
        """Whether the annotation is flagged as uncertain."""
        return is_flagged(annotation, self.threshold)

    def stale(self, annotation: Annotation) -> bool:
        """Whether the annotation's score was made by another model version than its plugin's current one."""
        return is_stale(annotation, self.versions)


def mark_flagged(item: QGraphicsPathItem, tooltip: str) -> None:
    """Style a projected wireframe of a flagged box in the image panel: an amber dash-dot outline, on
    top of the others, with the reasons on hover."""
    pen = QPen(item.pen())
    pen.setColor(QColor(*FLAG_COLOR))
    pen.setStyle(Qt.PenStyle.DashDotLine)
    pen.setWidthF(max(pen.widthF(), 2.0))
    item.setPen(pen)
    item.setZValue(item.zValue() + 0.25)
    item.setToolTip(tooltip)
