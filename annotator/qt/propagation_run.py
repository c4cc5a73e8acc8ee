"""Tracks > Propagate forward: carry tracks frame by frame through the following frames, showing each
frame as it goes, until the end of the sequence or until the user stops it (Esc or the status bar's Stop).

Each step is the engine of ``annotator propagate`` (`annotator.core.propagation.plan_step`: ego motion
compensated in the world frame, each track at its velocity and turn rate, re-fitted to the new frame's
points with its size kept), planned in a worker thread on a snapshot of the project (the frame's cloud
comes from the loader's worker); the UI thread only pushes the step's command (one
undo step per frame), shows the frame and selects the carried boxes. Stopped on a frame, the user
corrects a box there and runs Propagate forward again: the run resumes from the current frame, and a box
the user changed since the run placed it becomes a labelled keyframe (provenance manual, in the first
step's undo entry), so the track's velocity is taken from the correction onwards.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Collection

from PySide6.QtCore import QObject, QTimer, Signal

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import UpdateAnnotations
from annotator.core.model.project import Project
from annotator.core.model.records import MANUAL, Annotation, Frame
from annotator.core.propagation import plan_step
from annotator.core.tracks import TrackEdit, frame_after
from annotator.jobs import JobContext, Outcome
from annotator.qt.app.status_progress import StatusProgress
from annotator.qt.document import Document
from annotator.qt.frame_loader import LoadedFrame
from annotator.qt.jobs import QtJobs

logger = logging.getLogger(__name__)

MESSAGE_MS = 8000
#: How often a planned step looks again whether the views have drawn the previous frame (ms).
WAIT_MS = 15


#: A step planned while the project changed is planned again on a fresh snapshot this many times.
REPLANS = 2


def with_replaced(snapshot: Project, replaced: Collection[Annotation] = ()) -> Project:
    """The job's private snapshot with ``replaced`` annotations put in place of their originals."""
    for annotation in replaced:
        snapshot.annotations[annotation.id] = annotation
    return snapshot


class PropagationRun(QObject):
    """Runs a frame-by-frame propagation of a set of tracks; `start` and `stop` are the action handlers."""

    #: A status-bar message and how long to show it (ms).
    message = Signal(str, int)
    #: A step was applied: the frame id now shown.
    step_done = Signal(int)
    #: The run ended: why (``"end"``, ``"stopped"``, ``"lost"``, ``"failed"``, ``"left"``: the user went
    #: to another frame while it ran).
    finished = Signal(str)

    def __init__(
        self, document: Document, drawn: Callable[[], bool] | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.document = document
        #: True once the views have drawn what they were asked to: a step waits for it, so every frame
        #: is seen and the event loop gets its turns between two steps.
        self.drawn = drawn or (lambda: True)
        self.progress = StatusProgress()
        self.progress.setObjectName("propagationProgress")
        self.progress.cancel_button.setText("Stop")
        self.progress.cancel_requested.connect(self.stop)
        self.jobs = QtJobs(self, name="propagate")
        self.tracks: set[int] = set()
        self.plan_ms: list[float] = []
        self._running = False
        self._run = 0  # grows at every start and stop: answers of an older run are dropped
        self._frame_id: int | None = None  # the frame the run reached (the source of the next step)
        self._waiting: int | None = None  # the target frame whose cloud is being loaded
        self._placed: dict[int, Cuboid] = {}  # annotation id -> the box the run put on its last frame
        self._pending: list[Annotation] = []  # corrections to mark as keyframes with the first step
        self._done = 0
        document.loader.loaded.connect(self._cloud_loaded)
        document.loader.failed.connect(self._cloud_failed)
        document.opened.connect(self._forget)

    @property
    def running(self) -> bool:
        """True while a propagation runs."""
        return self._running

    # -- start and stop -------------------------------------------------------------------------------
    def start(self, everything: bool = False) -> bool:
        """Propagate the selected boxes' tracks (``everything``: every track of the frame) forward from the
        current frame, frame by frame; False when there is nothing to do."""
        project, frame = self.document.project, self.document.frame
        if self._running:
            self.message.emit("A propagation is running: Esc stops it", MESSAGE_MS)
            return False
        if project is None or frame is None:
            return False
        boxes = self.document.cuboids() if everything else self._selected()
        tracks = {a.track_id for a in boxes if a.track_id is not None}
        if not tracks:
            self.message.emit("Select a box of a track first (or use the 'all tracks' entry)", MESSAGE_MS)
            return False
        remaining = self._frames_after(frame.id)
        if remaining == 0:
            self.message.emit("This is the last frame: nothing to propagate to", MESSAGE_MS)
            return False
        self.tracks = tracks
        self._pending = self._corrections(project, frame.id)
        self._placed = {}
        self._running, self._run, self._done = True, self._run + 1, 0
        self._frame_id = frame.id
        self.plan_ms = []
        noun = "track" if len(tracks) == 1 else "tracks"
        self.progress.begin(f"Propagating {len(tracks)} {noun}", remaining)
        self.message.emit(
            f"Propagating {len(tracks)} {noun} forward from frame {frame.name}: Esc stops", MESSAGE_MS
        )
        self._next()
        return True

    def stop(self, quiet: bool = False) -> bool:
        """Stop the run where it is (the frame shown keeps its boxes); False when none was running."""
        if not self._running:
            return False
        self._finish("stopped", quiet)
        return True

    def _forget(self) -> None:
        """Another project (or none) is open: stop, and forget where the last run got to."""
        self.stop(quiet=True)
        self._frame_id, self._placed, self._pending = None, {}, []

    def shutdown(self) -> None:
        """Stop and wait for the worker (the window closes)."""
        self.stop(quiet=True)
        self.jobs.wait()

    def _selected(self) -> list[Annotation]:
        project = self.document.project
        if project is None:
            return []
        return [project.annotations[i] for i in self.document.selected_ids if i in project.annotations]

    def _frames_after(self, frame_id: int) -> int:
        frames = self.document.frames()
        position = next((i for i, f in enumerate(frames) if f.id == frame_id), len(frames) - 1)
        return len(frames) - 1 - position

    def _corrections(self, project: Project, frame_id: int) -> list[Annotation]:
        """The boxes of the run's tracks on ``frame_id`` that the user changed after the previous run
        placed them there: labelled keyframes from now on."""
        corrected = []
        for annotation in project.annotations_of(frame_id, "cuboid"):
            placed = self._placed.get(annotation.id)
            if annotation.track_id in self.tracks and placed is not None and annotation.cuboid != placed:
                corrected.append(dataclasses.replace(annotation, provenance=MANUAL, keyframe=True))
        return corrected if frame_id == self._frame_id else []

    # -- the steps ----------------------------------------------------------------------------------
    def _next(self) -> None:
        """Start the next step: the next frame's cloud (the loader's cache or worker), then the plan."""
        project = self.document.project
        if not self._running or project is None or self._frame_id not in project.frames:
            if self._running:
                self._finish("failed")
            return
        target = frame_after(project, self._frame_id)
        if target is None:
            self._finish("end")
            return
        if not target.cloud:
            self._plan(target, None)
            return
        path = project.resolve_path(target.cloud)
        loaded = self.document.loader.request(target.id, path)
        if loaded is None:
            self._waiting = target.id  # `_cloud_loaded` goes on
        else:
            self._plan(target, loaded)

    def _cloud_loaded(self, result: LoadedFrame) -> None:
        # a large cloud's preview comes first: the step is re-fitted on the whole cloud, which follows
        if self._running and result.frame_id == self._waiting and not result.cloud.partial:
            self._waiting = None
            project = self.document.project
            if project is not None and result.frame_id in project.frames:
                self._plan(project.frames[result.frame_id], result)

    def _cloud_failed(self, frame_id: int, message: str) -> None:
        if self._running and frame_id == self._waiting:
            self._waiting = None
            self.message.emit(f"{message}; carried without re-fitting", MESSAGE_MS)
            project = self.document.project
            if project is not None and frame_id in project.frames:
                self._plan(project.frames[frame_id], None)

    def _plan(self, target: Frame, loaded: LoadedFrame | None) -> None:
        """Plan the step to ``target`` in the worker, on a snapshot of the project (planned again when
        the project changes meanwhile)."""
        assert self._frame_id is not None
        source_id, target_id, tracks, run = self._frame_id, target.id, set(self.tracks), self._run
        pending = list(self._pending)
        xyz = None if loaded is None else loaded.cloud.xyz

        def work(context: JobContext) -> tuple[TrackEdit, float]:
            start = time.perf_counter()
            copy = with_replaced(context.snapshot, pending)
            edit = plan_step(copy, copy.frames[source_id], copy.frames[target_id], tracks, xyz)
            return edit, (time.perf_counter() - start) * 1000.0

        def done(outcome: Outcome) -> None:
            error = "the project kept changing while the step was planned" if outcome.stale else outcome.error
            self._planned(run, target_id, outcome.result, error)

        self.jobs.submit(work, name="propagate", document=self.document, replans=REPLANS, on_done=done)

    def _planned(self, run: int, target_id: int, result: tuple[TrackEdit, float] | None, error: str) -> None:
        """Apply a planned step on the UI thread (dropped when the run was stopped meanwhile)."""
        if run != self._run or not self._running:
            return
        project = self.document.project
        if error or result is None or project is None:
            self.message.emit(f"Propagation failed: {error or 'the project was closed'}", MESSAGE_MS)
            self._finish("failed")
            return
        if not self.drawn():  # the previous frame is still being drawn: apply this step a little later
            QTimer.singleShot(WAIT_MS, lambda: self._planned(run, target_id, result, error))
            return
        if self.document.frame_id != self._frame_id:  # the user went to another frame meanwhile
            self._finish("left")
            return
        edit, plan_ms = result
        self.plan_ms.append(plan_ms)
        if edit.command is None and not self._has_track_boxes(project, target_id):
            self._finish("lost")  # no box of the tracks to carry on from
            return
        if edit.command is not None:
            if self._pending:
                with self.document.group(edit.command.label):
                    self.document.push(UpdateAnnotations(self._pending, "Corrected boxes become keyframes"))
                    self.document.push(edit.command)
            else:
                self.document.push(edit.command)
        self._pending = []
        self._frame_id = target_id
        self._done += 1
        self.document.set_frame(target_id)
        carried = [a for a in self.document.cuboids() if a.track_id in self.tracks]
        self._placed = {a.id: a.cuboid for a in carried if a.cuboid is not None}
        self.progress.advance(self._done)
        # the views show the frame now and the selection in the next turn of the event loop (two
        # shorter stalls instead of one; Esc in between is seen)
        QTimer.singleShot(0, lambda: self._go_on(run, target_id))

    def _go_on(self, run: int, frame_id: int) -> None:
        """Select the carried boxes (ready for a correction) and start the next step."""
        if run != self._run or not self._running:
            return
        self._select_placed()
        self.step_done.emit(frame_id)
        if run == self._run and self._running:
            self._next()

    def _select_placed(self) -> None:
        project = self.document.project
        if project is not None:
            self.document.select_many([i for i in self._placed if i in project.annotations])

    def _has_track_boxes(self, project: Project, frame_id: int) -> bool:
        return any(a.track_id in self.tracks for a in project.annotations_of(frame_id, "cuboid"))

    def _finish(self, why: str, quiet: bool = False) -> None:
        self._running = False
        self._run += 1
        self._waiting = None
        self.progress.end()
        frame = self.document.frame
        name = frame.name if frame is not None else "?"
        texts = {
            "end": f"Propagation reached the last frame ({self._done} frames)",
            "stopped": f"Propagation stopped at frame {name} after {self._done} frames: correct the box, "
            "then Propagate forward again to resume from here",
            "lost": f"Propagation ended at frame {name}: no box of the tracks to carry on from",
            "failed": f"Propagation ended at frame {name}",
            "left": "Propagation stopped: another frame was chosen while it ran",
        }
        if not quiet:
            if why != "left" and self.document.frame_id == self._frame_id:
                self._select_placed()  # the boxes of the frame reached, ready for a correction
            self.message.emit(texts[why], 15_000)
        self.finished.emit(why)
