"""Level of detail over time: coarse while the camera moves, the full cloud once it rests."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

logger = logging.getLogger(__name__)

#: How long the camera must rest before the full cloud is drawn (milliseconds).
REST_MS = 250


class LodController(QObject):
    """Switches a view to its coarse level when motion starts and back after ``rest_ms`` of rest.

    ``set_detail(full) -> bool`` changes what the scene draws (True when that changed) and
    ``render()`` asks the view for one render. A single-shot timer, restarted by every motion step,
    is the only timer: nothing redraws while nothing changes.
    """

    def __init__(
        self,
        set_detail: Callable[[bool], bool],
        render: Callable[[], None],
        rest_ms: int = REST_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._set_detail = set_detail
        self._render = render
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(rest_ms)
        self._timer.timeout.connect(self.rest)
        self.switches = 0  # how many times the detail changed (for tests and benchmarks)

    @property
    def moving(self) -> bool:
        """True between a motion step and the full render that follows the rest."""
        return self._timer.isActive()

    def motion(self) -> None:
        """The camera moves (again): draw coarse, and (re)start waiting for rest."""
        if self._set_detail(False):
            self.switches += 1
        self._timer.start()

    def rest(self) -> None:
        """The camera rests: draw the full cloud (once)."""
        self._timer.stop()
        if self._set_detail(True):
            self.switches += 1
            self._render()
