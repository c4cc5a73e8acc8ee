"""Image > Derive 2D boxes in all frames, off the UI thread.

A worker thread reads the image sizes it needs and computes each frame's derived boxes (the projection math
of `annotator.core.derive`, Qt-free) from a snapshot of the project's records, with a progress bar and a
Cancel button in the status bar (`StatusProgress`, as pre-annotation has). The result is applied on the
UI thread as one undoable `DeriveBoxes2D` command; a frame edited while the worker ran is derived again
inside that command, so nothing stale lands. Cancelling changes nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Sequence

from PySide6.QtCore import QObject, QThread, Signal

from annotator.core.derive import DeriveBoxes2D, FramePlan, plan_frame
from annotator.core.project import Project
from annotator.core.records import Annotation, Frame
from annotator.io.image_sizes import missing_image_sizes
from annotator.qt.document import Document
from annotator.qt.status_progress import StatusProgress
from annotator.qt.threads import release_worker

logger = logging.getLogger(__name__)

#: The worker reports progress at most this often (seconds).
PROGRESS_INTERVAL = 0.05


class DeriveWorker(QObject):
    """Plans the derivation of frames from a snapshot; lives in a worker thread, talks through signals."""

    #: Frames planned so far.
    progress = Signal(int)
    #: Done: the plans, the image sizes read, problems met (unreadable images); nothing when cancelled.
    finished = Signal(object, object, object)

    def __init__(
        self,
        project: Project,
        frames: Sequence[Frame],
        annotations: Sequence[Annotation],
        cancel: threading.Event,
    ) -> None:
        super().__init__()
        self.project = project
        self.frames = list(frames)
        self.annotations = annotations
        self.cancel = cancel

    def run(self) -> None:
        """Read missing image sizes, then plan frame after frame until done or cancelled."""
        by_frame: dict[int, list[Annotation]] = defaultdict(list)
        for annotation in sorted(self.annotations, key=lambda a: a.id):
            by_frame[annotation.frame_id].append(annotation)
        plans: list[FramePlan] = []
        sizes: dict = {}
        problems: list[str] = []
        reported = time.monotonic()
        for position, frame in enumerate(self.frames):
            if self.cancel.is_set():
                self.finished.emit(None, None, None)
                return
            found, trouble = missing_image_sizes(self.project, [frame])
            sizes.update(found)
            problems += trouble
            plans.append(plan_frame(frame, by_frame.get(frame.id, []), sizes=found))
            if time.monotonic() - reported >= PROGRESS_INTERVAL:
                reported = time.monotonic()
                self.progress.emit(position + 1)
        self.progress.emit(len(self.frames))
        self.finished.emit(plans, sizes, problems)


class DeriveAllController(QObject):
    """Runs "Derive 2D boxes in all frames" in a worker thread and applies the result as one command."""

    #: A status message and how long to show it (ms).
    message = Signal(str, int)
    #: The command was applied (the pushed `DeriveBoxes2D`), or None when cancelled or abandoned.
    finished = Signal(object)

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.progress = StatusProgress()
        self.progress.setObjectName("deriveProgress")
        self.progress.cancel_requested.connect(self.cancel)
        self.apply_ms = 0.0
        self._thread: QThread | None = None
        self._worker: DeriveWorker | None = None
        self._cancel = threading.Event()
        self._project: Project | None = None  # the project the derivation was started on
        self._frame_ids: list[int] = []

    @property
    def running(self) -> bool:
        """True while a derivation is being computed."""
        return self._thread is not None

    def start(self, frames: Sequence[Frame]) -> bool:
        """Derive the boxes of ``frames`` in the background; False when one runs already or no project."""
        project = self.document.project
        if self.running or project is None or not frames:
            if self.running:
                self.message.emit("2D boxes are already being derived (Cancel it in the status bar)", 5000)
            return False
        self._project = project
        self._frame_ids = [frame.id for frame in frames]
        self._cancel = threading.Event()
        # a snapshot of the records (immutable): the worker never reads the live dictionaries
        snapshot = list(project.annotations.values())
        self._thread = QThread(self)
        self._thread.setObjectName("derive-2d")
        self._worker = DeriveWorker(project, frames, snapshot, self._cancel)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progress.connect(self.progress.advance)
        self._worker.finished.connect(self._worker_finished)
        self.progress.begin("Deriving 2D boxes", len(frames))
        self._thread.start()
        return True

    def cancel(self) -> None:
        """Stop computing; the project is not changed."""
        self._cancel.set()

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Cancel and wait for the worker thread (closing the window)."""
        self.cancel()
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait(timeout_ms)

    def _worker_finished(
        self, plans: list[FramePlan] | None, sizes: dict | None, problems: list | None
    ) -> None:
        release_worker(self._thread, self._worker)
        self._thread = self._worker = None
        self.progress.end()
        project = self._project
        if plans is None or project is None or project is not self.document.project:
            self.message.emit("Deriving 2D boxes cancelled: nothing changed", 8000)
            self.finished.emit(None)
            return
        frame_ids = [i for i in self._frame_ids if i in project.frames]
        start = time.perf_counter()
        command = self.document.push(DeriveBoxes2D(frame_ids, sizes=sizes, plans=plans))
        if command is None:  # refused (Document.edit_refused says why)
            self.finished.emit(None)
            return
        self.apply_ms = (time.perf_counter() - start) * 1000.0
        logger.info("derived boxes applied in %.0f ms (%d frames redone)", self.apply_ms, command.recomputed)
        text = (
            f"Derived {command.added} 2D boxes in {len(frame_ids)} frames ({command.removed} earlier derived "
            f"replaced; {command.unreviewed} unreviewed, from proposals)"
        )
        if problems:
            text += f"; {len(problems)} images unreadable: {problems[0]}"
        self.message.emit(text, 15_000)
        self.finished.emit(command)
