"""Run a fitting function in a worker thread and hand its result back on the UI thread."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

logger = logging.getLogger(__name__)


class _Relay(QObject):
    done = Signal(int, object)  # token, result (an exception when the function raised)


class _Job(QRunnable):
    def __init__(self, token: int, function: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.token, self.function, self.relay = token, function, relay

    def run(self) -> None:
        try:
            result = self.function()
        except Exception as error:  # a worker must always answer
            logger.exception("background fit failed")
            result = error
        self.relay.done.emit(self.token, result)


class Background(QObject):
    """Functions run in a thread pool; each callback runs on the UI thread with the result."""

    def __init__(self, pool: QThreadPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = pool if pool is not None else QThreadPool.globalInstance()
        self._relay = _Relay()  # no parent: a job still running when the window closes keeps it alive
        self._relay.done.connect(self._finished)
        self._tokens = itertools.count(1)
        self._callbacks: dict[int, Callable[[Any], None]] = {}

    @property
    def busy(self) -> bool:
        """True while a submitted function has not answered yet."""
        return bool(self._callbacks)

    def submit(self, function: Callable[[], Any], callback: Callable[[Any], None]) -> None:
        """Run ``function()`` in a worker, then ``callback(result)`` here (an exception is passed as is)."""
        token = next(self._tokens)
        self._callbacks[token] = callback
        self._pool.start(_Job(token, function, self._relay))

    def _finished(self, token: int, result: Any) -> None:
        callback = self._callbacks.pop(token, None)
        if callback is not None:
            callback(result)
