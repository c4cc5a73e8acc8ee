"""Run a function in a worker thread and hand its result back on the UI thread; only the answer to the
latest request under a name is delivered (older ones are dropped, also before they start)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

logger = logging.getLogger(__name__)


class _Relay(QObject):
    done = Signal(str, int, object, str)  # name, request number, result, error message


class _Call(QRunnable):
    def __init__(self, owner: BackgroundCalls, name: str, number: int, work: Callable[[], Any]) -> None:
        super().__init__()
        self.owner, self.name, self.number, self.work = owner, name, number, work

    def run(self) -> None:
        if self.owner.latest.get(self.name) != self.number:  # superseded while queued
            return
        try:
            result = self.work()
        except Exception as error:  # a failing computation must not take the app down
            logger.warning("background %s failed: %s", self.name, error)
            self.owner.relay.done.emit(self.name, self.number, None, f"{type(error).__name__}: {error}")
            return
        self.owner.relay.done.emit(self.name, self.number, result, "")


class BackgroundCalls(QObject):
    """``submit(name, work, on_done)``: ``work()`` runs on a one-thread pool; ``on_done(result, error)``
    is called on the UI thread for the latest request of that name only."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.relay = _Relay(self)
        self.relay.done.connect(self._done)
        self.latest: dict[str, int] = {}
        self._handlers: dict[str, Callable[[Any, str], None]] = {}
        self._count = 0

    def submit(self, name: str, work: Callable[[], Any], on_done: Callable[[Any, str], None]) -> None:
        """Run ``work`` off the UI thread; a later `submit` of ``name`` supersedes this one."""
        self._count += 1
        self.latest[name] = self._count
        self._handlers[name] = on_done
        self.pool.start(_Call(self, name, self._count, work))

    def busy(self) -> bool:
        """True while a call runs or waits."""
        return self.pool.activeThreadCount() > 0

    def wait(self, msecs: int = 30_000) -> bool:
        """Wait for the calls to finish (closing the window, tests); True when they did."""
        return self.pool.waitForDone(msecs)

    def _done(self, name: str, number: int, result: object, error: str) -> None:
        if self.latest.get(name) == number:  # answered: forget the name until it is asked again
            del self.latest[name]
            self._handlers.pop(name)(result, error)
