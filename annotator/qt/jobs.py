"""The Qt side of the job runner: `QtJobs` owns a `JobRunner`'s thread pool and hands every progress item
and outcome to the UI thread over a queued signal. It is the only place in ``annotator.qt`` that starts
threads; workers give it a function of a `JobContext` (see `annotator.jobs`), and jobs that read the
project get ``document=`` so they work on `Document.snapshot` and are guarded by `Document.generation`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from annotator.jobs import JobContext, JobHandle, JobRunner, Outcome, SnapshotSource

logger = logging.getLogger(__name__)


class _Relay(QObject):
    """Lives on the UI thread; a callback emitted from a worker runs there (queued connection)."""

    call = Signal(object)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.call.connect(self._run)

    @Slot(object)
    def _run(self, callback: Callable[[], None]) -> None:
        callback()


class QtJobs(QObject):
    """A pool of ``threads`` worker threads whose answers arrive on the UI thread; dies with its parent
    (answers of jobs still running then are dropped)."""

    def __init__(self, parent: QObject | None = None, threads: int = 1, name: str = "job") -> None:
        super().__init__(parent)
        self._relay = _Relay(self)
        self.runner = JobRunner(threads, self._relay.call.emit, name)

    def submit(
        self,
        work: Callable[[JobContext], Any],
        *,
        name: str | None = None,
        document: SnapshotSource | None = None,
        replans: int = 0,
        guard: bool = True,
        on_progress: Callable[[Any], None] | None = None,
        on_done: Callable[[Outcome], None] | None = None,
    ) -> JobHandle:
        """Run ``work`` off the UI thread (`JobRunner.submit`); with ``document`` the job reads its
        snapshot and (unless ``guard`` is False) an answer for an older generation is planned again or
        dropped."""
        return self.runner.submit(
            work,
            name=name,
            source=document,
            replans=replans,
            guard=guard,
            on_progress=on_progress,
            on_done=on_done,
        )

    def cancel(self, name: str | None = None) -> None:
        """Ask a job (every job: None) to stop; its outcome arrives ``cancelled``."""
        self.runner.cancel(name)

    def forget(self, name: str | None = None) -> None:
        """Drop a job (every job: None): cancelled, nothing of it arrives any more."""
        self.runner.forget(name)

    def pending(self, name: str) -> bool:
        """True while the job ``name`` has not answered."""
        return self.runner.pending(name)

    def busy(self) -> bool:
        """True while a job runs, waits, or has not been answered yet."""
        return self.runner.busy()

    def wait(self, msecs: int = 30_000) -> bool:
        """Wait for the running jobs (tests, snapshots, closing); their answers arrive with the next turns
        of the event loop. True when they ended in time."""
        return self.runner.wait(msecs / 1000.0)

    def shutdown(self, msecs: int = 30_000) -> bool:
        """Drop every job and wait for the running ones (closing the window)."""
        return self.runner.shutdown(msecs / 1000.0)
