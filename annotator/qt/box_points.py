"""The exact points inside edited boxes of a very large cloud, found in a worker.

In a cloud of 100M points the points copied out around the selected box (`PreparedCloud.focus`) are
millions: testing them for the nudged box's exact point set took 30-50 ms of the window's thread on every
edit. `BoxPointFinder` finds those sets in a worker instead (`PreparedCloud.find_inside`), while the views
draw a stand-in (`PreparedCloud.stand_in`) and the counts show "…"; a newer request cancels the older job
between two blocks of points, and ``found`` tells the window when the points are there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from PySide6.QtCore import QObject, Signal

from annotator.core.cuboids.cuboid import Cuboid
from annotator.jobs import JobContext, Outcome
from annotator.jobs.priority import lower_thread_priority
from annotator.qt.jobs import QtJobs
from annotator.render.cloud import PreparedCloud

logger = logging.getLogger(__name__)

#: The job's name (one at a time: a newer request supersedes it).
JOB = "inside"


class BoxPointFinder(QObject):
    """Finds the points inside the boxes a cloud leaves to a worker (`PreparedCloud.found_later`)."""

    #: The points inside the requested boxes were found: the cloud they belong to.
    found = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = QtJobs(self, name="box-points")
        self.requested: list[Cuboid] = []  # the boxes of the latest job (for tests)

    def request(self, cloud: PreparedCloud | None, boxes: Sequence[Cuboid]) -> bool:
        """Find the points inside those of ``boxes`` that ``cloud`` leaves to a worker, cancelling the job
        of an older request; True when a job was started (nothing wanted: the older job is dropped)."""
        wanted = [] if cloud is None else [box for box in boxes if cloud.found_later(box)]
        if wanted == self.requested and self.jobs.pending(JOB):
            return True  # the same boxes are being looked for already
        self.requested = wanted
        if not wanted:
            self.jobs.forget(JOB)
            return False
        assert cloud is not None

        def work(_context: JobContext) -> Iterator[Cuboid]:  # reads the cloud's points (never changed)
            lower_thread_priority()
            yield from cloud.find_inside(wanted)

        def done(outcome: Outcome) -> None:
            if outcome.ok:
                self.requested = []
                self.found.emit(cloud)

        self.jobs.submit(work, name=JOB, on_done=done)
        return True

    def busy(self) -> bool:
        """True while a job runs or has not answered."""
        return self.jobs.busy()
