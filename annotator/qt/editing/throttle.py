"""At most one render of a view per interval while something changes fast (the last change always shows)."""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, QTimer

from annotator.qt.views.view_base import SceneView

logger = logging.getLogger(__name__)


class RenderThrottle(QObject):
    """Asks ``view`` for a render now, or once the interval since the last one has passed."""

    def __init__(self, view: SceneView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.interval = 0.0
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._render)

    def request(self) -> None:
        """A change to show: render if the interval has passed, else when it will have."""
        wait = self.interval - (time.monotonic() - self._last)
        if wait <= 0:
            self._render()
        elif not self._timer.isActive():
            self._timer.start(round(wait * 1000))

    def flush(self) -> None:
        """Render now and forget any pending request."""
        self._timer.stop()
        self._render()

    def _render(self) -> None:
        self._last = time.monotonic()
        self.view.request_render()
