"""The exact points inside edited boxes of a very large cloud, found in a worker.

In a cloud of 100M points the points copied out around the selected box (`PreparedCloud.focus`) are
millions: testing them for the nudged box's exact point set took 30-50 ms of the window's thread on every
edit. `BoxPointFinder` finds those sets in a worker instead (`PreparedCloud.find_inside`), while the views
draw a stand-in (`PreparedCloud.stand_in`) and the counts show "…"; a newer request cancels the older job
between two blocks of points, and ``found`` tells the window when the points are there.

A box walked by the same move again and again (a key pressed repeatedly: the same move twice in a row)
is found ahead: after the points of the box as it is, the worker finds those of the box moved once and
twice more the same way (`walked_ahead`), so that on the next steps the points are already known and no
stand-in is drawn. A box nudged to and fro is not (its two places are remembered once found).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Sequence

import numpy as np
from PySide6.QtCore import QObject, Signal

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.cuboid_ops import move_local
from annotator.jobs import JobContext, Outcome
from annotator.jobs.priority import lower_thread_priority
from annotator.qt.jobs import QtJobs
from annotator.render.cloud import PreparedCloud

logger = logging.getLogger(__name__)

#: The job's name (one at a time: a newer request supersedes it).
JOB = "inside"
#: The name the jobs that find a walked box's next positions start with (they run after `JOB`).
AHEAD_JOB = "ahead"
#: Positions of a walked box found ahead of it.
AHEAD_STEPS = 2
#: Longest move between two requests that counts as a step of a walk (metres; farther: another box).
WALK_STEP = 1.0


def walk_step(before: Cuboid, after: Cuboid) -> tuple[float, float, float] | None:
    """The move along its own axes (forward, left, up metres, as typed: 0.1, not 0.09999999999999964)
    that took ``before`` to ``after``; None when it is no such move (turned, resized, not moved, far)."""
    if (before.size, before.yaw, before.pitch, before.roll) != (
        after.size,
        after.yaw,
        after.pitch,
        after.roll,
    ):
        return None
    shift = np.subtract(after.center, before.center)
    if not 0.0 < float(np.linalg.norm(shift)) <= WALK_STEP:
        return None
    forward, left, up = (round(float(value), 9) + 0.0 for value in after.rotation.T @ shift)
    return forward, left, up


def walked_ahead(box: Cuboid, step: tuple[float, float, float], steps: int = AHEAD_STEPS) -> list[Cuboid]:
    """``box`` moved by ``step`` (see `walk_step`) once, twice, ... ``steps`` times, each computed as the
    keyboard's move computes it, so that a key pressed again gives these very boxes."""
    boxes = []
    for _ in range(steps):
        box = move_local(box, *step)
        boxes.append(box)
    return boxes


class BoxPointFinder(QObject):
    """Finds the points inside the boxes a cloud leaves to a worker (`PreparedCloud.found_later`)."""

    #: The points inside the requested boxes were found: the cloud they belong to.
    found = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = QtJobs(self, name="box-points")
        self.requested: list[Cuboid] = []  # the boxes of the latest job (for tests)
        self.ahead: list[Cuboid] = []  # the boxes of the latest job finding a walked box's next positions
        self._ahead_job: str | None = None
        self._numbers = itertools.count(1)
        self._last: tuple[PreparedCloud | None, list[Cuboid]] = (None, [])
        self._step: tuple[float, float, float] | None = None  # the last move of one box (`walk_step`)
        self._walk: tuple[float, float, float] | None = None  # that move, when it came twice in a row

    def request(self, cloud: PreparedCloud | None, boxes: Sequence[Cuboid]) -> bool:
        """Find the points inside those of ``boxes`` that ``cloud`` leaves to a worker, cancelling the job
        of an older request; True when a job was started (nothing wanted: the older job is dropped)."""
        wanted = [] if cloud is None else [box for box in boxes if cloud.found_later(box)]
        started = self._find(cloud, wanted)
        self._find_ahead(cloud, boxes, wanted)  # after the wanted boxes, in the same thread
        return started

    def _find(self, cloud: PreparedCloud | None, wanted: list[Cuboid]) -> bool:
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

    def _find_ahead(self, cloud: PreparedCloud | None, boxes: Sequence[Cuboid], wanted: list[Cuboid]) -> None:
        """When one box moved since the last request by the same move as the time before (a walk), have
        its next positions found after ``wanted`` (`walked_ahead`); a job still finding boxes of an older
        walk goes on only while it finds what is wanted or ahead now. A request with the same boxes
        (the views asking again) changes nothing."""
        last_cloud, last_boxes = self._last
        self._last = (cloud, list(boxes))
        if cloud is None or cloud is not last_cloud:
            self._step = self._walk = None
            return
        gone = [box for box in last_boxes if box not in boxes]
        came = [box for box in boxes if box not in last_boxes]
        if not gone and not came:
            return
        step = walk_step(gone[0], came[0]) if len(gone) == 1 and len(came) == 1 else None
        ahead: list[Cuboid] = []
        walking = step is not None and step == self._step  # the same move twice: not a nudge to and fro
        if walking:
            ahead = [box for box in walked_ahead(came[0], step) if cloud.found_later(box)]
        self._step, self._walk = step, step if walking else None
        if self._ahead_job is not None and not set(self.ahead) & {*wanted, *ahead}:
            self.jobs.forget(self._ahead_job)  # an older walk's boxes, of no use now
            self._ahead_job = None
        if not ahead or (ahead == self.ahead and self._ahead_job is not None):
            return
        assert cloud is not None
        name = f"{AHEAD_JOB}-{next(self._numbers)}"  # beside an older walk's job still of use
        self.ahead, self._ahead_job = ahead, name

        def work(_context: JobContext) -> Iterator[Cuboid]:  # runs after the job for ``wanted``
            lower_thread_priority()
            yield from cloud.find_inside(ahead)

        def done(_outcome: Outcome) -> None:
            if self._ahead_job == name:
                self._ahead_job = None

        self.jobs.submit(work, name=name, on_done=done)

    def reach(self, distance: float) -> tuple[float, float, float] | None:
        """Where a walked box is heading, ``distance`` metres along its own axes (None: no walk), for the
        points copied out around it to reach farther that way (`PreparedCloud.focus`)."""
        step = self._walk
        length = 0.0 if step is None else float(np.linalg.norm(step))
        if step is None or length == 0.0:
            return None
        return tuple(float(value) * distance / length for value in step)  # type: ignore[return-value]

    def busy(self) -> bool:
        """True while the job for the requested boxes runs or has not answered."""
        return self.jobs.pending(JOB)

    def prefetching(self) -> bool:
        """True while a job finds the points of a walked box's next positions."""
        return self._ahead_job is not None
