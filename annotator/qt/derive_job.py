"""Image > Derive 2D boxes in all frames, off the UI thread.

A job (`derive_plans` on `annotator.qt.jobs.QtJobs`) reads the image sizes it needs and computes each
frame's derived boxes (the projection math of `annotator.core.derive`, Qt-free) from the document's
snapshot, with a progress bar and a Cancel button in the status bar (`StatusProgress`, as pre-annotation
has). The result is applied on the UI thread as one undoable `DeriveBoxes2D` command; a frame edited while
the job ran is derived again inside that command (the command is the re-plan), so nothing stale lands.
Cancelling changes nothing.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from annotator.core.derive import DeriveBoxes2D, FramePlan, plan_frame
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame
from annotator.io.image_sizes import missing_image_sizes
from annotator.jobs import JobContext, JobHandle, Outcome
from annotator.qt.app.status_progress import StatusProgress
from annotator.qt.document import Document
from annotator.qt.jobs import QtJobs

logger = logging.getLogger(__name__)

#: The worker reports progress at most this often (seconds).
PROGRESS_INTERVAL = 0.05


@dataclass(frozen=True)
class DerivePlans:
    """What the job hands back: a plan per frame, the image sizes it read, problems met (unreadable images)."""

    plans: list[FramePlan]
    sizes: dict
    problems: list[str]


def derive_plans(context: JobContext, frame_ids: Sequence[int]) -> Iterator[int]:
    """The job: read missing image sizes, then plan frame after frame of the snapshot, yielding how many
    frames are planned (at most every `PROGRESS_INTERVAL`); returns `DerivePlans`."""
    project: Project = context.snapshot
    frames = [project.frames[i] for i in frame_ids if i in project.frames]
    by_frame: dict[int, list[Annotation]] = defaultdict(list)
    for annotation in sorted(project.annotations.values(), key=lambda a: a.id):
        by_frame[annotation.frame_id].append(annotation)
    plans: list[FramePlan] = []
    sizes: dict = {}
    problems: list[str] = []
    reported = time.monotonic()
    for position, frame in enumerate(frames):
        context.token.raise_if_set()
        found, trouble = missing_image_sizes(project, [frame])
        sizes.update(found)
        problems += trouble
        plans.append(plan_frame(frame, by_frame.get(frame.id, []), sizes=found))
        if time.monotonic() - reported >= PROGRESS_INTERVAL:
            reported = time.monotonic()
            yield position + 1
    yield len(frames)
    return DerivePlans(plans, sizes, problems)


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
        self.jobs = QtJobs(self, name="derive-2d")
        self._run: JobHandle | None = None
        self._project: Project | None = None  # the project the derivation was started on
        self._frame_ids: list[int] = []

    @property
    def running(self) -> bool:
        """True while a derivation is being computed."""
        return self._run is not None

    def start(self, frames: Sequence[Frame]) -> bool:
        """Derive the boxes of ``frames`` in the background; False when one runs already or no project."""
        project = self.document.project
        if self.running or project is None or not frames:
            if self.running:
                self.message.emit("2D boxes are already being derived (Cancel it in the status bar)", 5000)
            return False
        self._project = project
        frame_ids = self._frame_ids = [frame.id for frame in frames]
        # the command derives frames edited meanwhile again (its own re-plan): no stale guard
        self._run = self.jobs.submit(
            lambda context: derive_plans(context, frame_ids),
            document=self.document,
            guard=False,
            on_progress=self.progress.advance,
            on_done=self._job_finished,
        )
        self.progress.begin("Deriving 2D boxes", len(frames))
        return True

    def cancel(self) -> None:
        """Stop computing; the project is not changed."""
        if self._run is not None:
            self._run.cancel()

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Cancel and wait for the job (closing the window)."""
        self.cancel()
        self.jobs.wait(timeout_ms)

    def _job_finished(self, outcome: Outcome) -> None:
        self._run = None
        self.progress.end()
        project, derived = self._project, outcome.result
        if outcome.error:
            self.message.emit(f"Deriving 2D boxes failed: {outcome.error}; nothing changed", 15_000)
            self.finished.emit(None)
            return
        if not isinstance(derived, DerivePlans) or project is None or project is not self.document.project:
            self.message.emit("Deriving 2D boxes cancelled: nothing changed", 8000)
            self.finished.emit(None)
            return
        plans, sizes, problems = derived.plans, derived.sizes, derived.problems
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
