"""Progressive full detail: a large cloud's points added to the perspective view's picture in chunks.

Once the camera rests, the view shows its rest sample at once; `DetailRefiner` then adds the rest one
chunk per event-loop turn, each chunk a render of its own over the kept picture (see
`annotator.render.layers`), so input, timers and other views run between two chunks. With the window's
`RenderScheduler` the chunks take turns with the views' renders (never two renders in one turn). The chunk size
follows the measured time of the whole turn (gathering the chunk's points, handing them to VTK and the render:
the gather of parts strided across a 20M-point cloud takes several milliseconds), aiming at ``budget_ms``. A camera move (the view asks
`cancel`) or any redraw of the cloud layer starts the detail over; a walked box holds it where it is until
the walk rests (`hold`, `release`).

The next chunk's points are gathered in a worker thread while the current chunk renders (numpy's copies let
Python's lock go; VTK 9.7's render does not, so the gather's copies are what runs beside it), so a chunk's
turn is its upload and render, not the gather
as well (2 ms a chunk at 20M points on a quiet machine, 5-7 ms traced under load, where chunk turns at 20M
passed 50 ms). A cloud kept out of core gathers on the
window's thread as before (its chunks depend on the view frustum and hand pages back).
"""

from __future__ import annotations

import logging
import math
import time
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from annotator.jobs import JobContext, Outcome
from annotator.qt.jobs import QtJobs
from annotator.qt.views.render_scheduler import RenderScheduler
from annotator.render.cloud import PointSet, PreparedCloud
from annotator.render.scene import PerspectiveScene

logger = logging.getLogger(__name__)

#: Points per part: the cloud is cut into interleaved parts of about this many points.
PART_POINTS = 10_000
#: Time aimed at per chunk's turn (milliseconds): well within a 50 ms event-loop turn, with room for a chunk
#: that a busy core stretches (30 before stop 22: chunks of 50-67 ms at 10M-20M in one run in two).
BUDGET_MS = 22.0
#: Most parts drawn by one chunk (40k points: software OpenGL spends about a microsecond per point, so a
#: chunk stays near the budget even when another program takes the cores between two chunks).
MAX_PARTS = 4
#: Most a chunk grows over the one before (the render time of a chunk is partly fixed: growing by the full
#: ratio of budget to time overshoots).
GROWTH = 1.5


class RefinedView(Protocol):
    """What the refiner needs of a view: its scene and a way to render it now."""

    scene: PerspectiveScene

    def render_now(self) -> float: ...


class DetailRefiner(QObject):
    """Adds a decimated cloud's full detail to a view's picture in bounded chunks, one per event-loop turn."""

    #: The picture now shows every point.
    finished = Signal()
    #: Its chunks wait behind the views' own renders (`RenderScheduler`): an edit is redrawn first.
    background = True

    def __init__(
        self,
        view: RefinedView,
        budget_ms: float = BUDGET_MS,
        parent: QObject | None = None,
        scheduler: RenderScheduler | None = None,
    ) -> None:
        super().__init__(parent)
        self._view = view
        self._scheduler = scheduler
        self.budget_ms = budget_ms
        self._parts = 0  # parts the current pass cuts the cloud into (0: no pass)
        self._next = 0  # the next part to draw
        self._per_chunk = 1  # parts per chunk, adapted to the render time
        self._pass = 0  # grows with every start: a step of an older pass stops
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._step)
        self.chunks = 0  # chunks drawn (for tests and benchmarks)
        self.longest_ms = 0.0  # the longest chunk's turn (for benchmarks)
        self.gathered_ahead = 0  # chunks whose points a worker gathered ahead (for tests and benchmarks)
        self._gatherer = QtJobs(self, name="detail")  # gathers the next chunk's points (`_gather_ahead`)
        self._at_once = False  # True within `finish`
        self._held = False  # True while a walked box moves (`hold`): the chunks wait
        #: The next chunk's points being gathered: (pass, cloud, first part, stop part, where the worker puts
        #: the points when done: an empty list until then).
        self._ahead: tuple[int, PreparedCloud, int, int, list[PointSet]] | None = None

    @property
    def active(self) -> bool:
        """True while detail is still being added."""
        return self._parts > 0

    def start(self) -> None:
        """Add the full detail from the first part on (the picture shows the sample now)."""
        cloud = self._view.scene.cloud
        self._pass += 1
        self._view.scene.clear_detail()
        if cloud is None or not cloud.progressive:
            self.cancel()
            return
        self._parts = max(1, math.ceil(len(cloud) / PART_POINTS))
        self._next = 0
        # Each pass starts with one part a chunk and grows from there: a size learnt in the pass before (on a
        # quiet core) overran the budget when the next pass began beside a frame's loading (the chunk turns of
        # 50-61 ms while changing frames at 10M-20M).
        self._per_chunk = 1
        self._schedule()

    @property
    def held(self) -> bool:
        """True while the chunks wait for `release` (see `hold`)."""
        return self._held

    def hold(self) -> None:
        """Let the chunks wait, where they are, until `release` (a box walked by a held key: every turn
        goes to redrawing it; a chunk among a step's renders made that step 20 ms longer at 100M points)."""
        self._held = True
        self._unschedule()

    def release(self) -> None:
        """Go on adding detail from where `hold` left it."""
        if self._held:
            self._held = False
            if self.active:
                self._schedule()

    def cancel(self) -> None:
        """Stop adding detail (the camera moves)."""
        self._parts = 0
        self._drop_ahead()
        self._unschedule()

    def shutdown(self) -> None:
        """Stop adding detail and let the gathering worker go (the view goes away)."""
        self.cancel()
        self._gatherer.shutdown()

    def finish(self) -> None:
        """Add the rest of the detail now, chunk after chunk without returning to the event loop (for
        snapshots: the window may wait)."""
        self._unschedule()
        steps = 2 * self._parts + 2  # each step adds a part or more; a restart may happen once
        self._at_once = True  # no turn between two steps: nothing to gather ahead
        try:
            while self.active and steps:
                self._step()
                self._unschedule()
                steps -= 1
        finally:
            self._at_once = False

    def render_now(self) -> float:
        """Add the next chunk (the scheduler's turn for the detail)."""
        self._step()
        return 0.0

    def _schedule(self) -> None:
        if self._held:
            return
        if self._scheduler is not None:
            self._scheduler.request(self)
        else:
            self._timer.start()

    def _unschedule(self) -> None:
        self._timer.stop()
        if self._scheduler is not None:
            self._scheduler.withdraw(self)

    def _step(self) -> None:
        scene, parts, first = self._view.scene, self._parts, self._next
        cloud = scene.cloud
        if not parts or cloud is None:
            return
        begin = time.perf_counter()
        chunk, stop = self._take_ahead(cloud, first)
        if chunk is None:
            stop = min(parts, first + self._per_chunk)
            chunk = cloud.strided(first, stop, parts, scene.frustum_planes())  # out of core: in view only
        if not len(chunk) and stop < parts:  # all of these parts out of view: on to the next, no render
            self._next = stop
            self._schedule()
            return
        pass_number, adds = self._pass, scene.picture.adds
        scene.add_chunk(chunk)
        if stop < parts:  # the next chunk's points, gathered while this one renders
            self._gather_ahead(cloud, stop, min(parts, stop + self._per_chunk), parts)
        self._view.render_now()
        elapsed = (time.perf_counter() - begin) * 1000.0  # the whole turn: the gather, the upload, the render
        if pass_number != self._pass:  # the render drew the cloud layer afresh: a new pass started
            return
        if scene.picture.adds == adds:  # nothing was added (a hidden view, a disabled picture)
            self.cancel()
            return
        self.chunks += 1
        self.longest_ms = max(self.longest_ms, elapsed)
        scene.refined += len(chunk)
        drawn = stop - first  # parts in this chunk (one gathered ahead may have had the size before)
        wanted = min(drawn * self.budget_ms / max(elapsed, 1.0), max(drawn, self._per_chunk) * GROWTH)
        self._per_chunk = max(1, min(MAX_PARTS, round(wanted)))
        self._next = stop
        if stop >= parts:
            self._parts = 0
            scene.refine_done = True
            self.finished.emit()
        else:
            self._schedule()

    def _gather_ahead(self, cloud: PreparedCloud, first: int, stop: int, parts: int) -> None:
        """Have a worker gather parts ``first`` to ``stop`` (for the next `_step`) of a cloud in memory."""
        if cloud.out_of_core or self._at_once:
            return
        gathered: list[PointSet] = []

        def work(_context: JobContext) -> None:  # reads the cloud's arrays (never changed)
            gathered.append(cloud.strided(first, stop, parts))

        def done(outcome: Outcome) -> None:
            if outcome.error:
                logger.warning("gathering detail ahead failed: %s", outcome.error)

        self._gatherer.submit(work, name="gather", on_done=done)
        self._ahead = (self._pass, cloud, first, stop, gathered)

    def _drop_ahead(self) -> None:
        if self._ahead is not None:
            self._gatherer.forget("gather")
            self._ahead = None

    def _take_ahead(self, cloud: PreparedCloud, first: int) -> tuple[PointSet | None, int]:
        """The points gathered ahead for a chunk from part ``first`` of ``cloud`` in this pass and where
        that chunk stops, when the worker is done with them; (None, 0) otherwise (gathered here then)."""
        ahead = self._ahead
        if ahead is None:
            return None, 0
        pass_number, gathered_from, start, stop, gathered = ahead
        if pass_number != self._pass or gathered_from is not cloud or start != first or not gathered:
            self._drop_ahead()
            return None, 0
        self._ahead = None
        self.gathered_ahead += 1
        return gathered[0], stop
