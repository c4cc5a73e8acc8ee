"""View > Merged sweeps: the sweeps around the current one merged in the world frame, drawn in its sensor frame.

The merged cloud is built in a worker thread (reading, transforming, voxel thinning and preparing the
points), cached per window of frames, and handed to the views as their cloud (`ViewGrid.set_merged`);
editing tools keep working on the current frame's own points. Its level-of-detail sample while the
camera moves is no larger than one sweep, so moving around 10 merged sweeps costs what one sweep costs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.errors import AnnotatorError
from annotator.core.merged_sweeps import MergedSweeps, Sweep, merge_sweeps, moving_track_ids, window_offsets
from annotator.core.model.project import Change, Project
from annotator.core.pose import Pose
from annotator.core.static_tracks import STATIC
from annotator.io.pointcloud import read_point_cloud
from annotator.jobs import JobContext, Outcome
from annotator.qt.document import Document
from annotator.qt.jobs import QtJobs
from annotator.qt.views.view_grid import ViewGrid
from annotator.render.cloud import DEFAULT_LOD_BUDGET, PreparedCloud, prepare_cloud, robust_bounds

logger = logging.getLogger(__name__)

#: What the toggle shortcut turns on when no radius was chosen yet (5: 11 sweeps).
DEFAULT_RADIUS = 5
#: Merged clouds kept (windows of frames), and sweeps kept read.
CACHE_CLOUDS, CACHE_SWEEPS = 3, 24


@dataclass(frozen=True)
class SweepSource:
    """Where one sweep of a merge comes from: its cloud file, pose and moving boxes (sensor frame)."""

    path: Path
    pose: Pose
    moving_boxes: tuple[Cuboid, ...] = ()


@dataclass(frozen=True)
class MergeRequest:
    """The current sweep and the others (by offset) to merge into its frame."""

    current: SweepSource
    others: tuple[tuple[int, SweepSource], ...]
    #: The current frame's boxes, whose inside points the worker finds ahead (highlights, counts).
    current_boxes: tuple[Cuboid, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class MergedCloud:
    """A merged cloud ready to draw, its faded points, and how it was made."""

    cloud: PreparedCloud
    faded: PreparedCloud | None
    sweeps: MergedSweeps
    build_ms: float
    #: Other sweeps left out because they could not be read: the errors.
    skipped: tuple[str, ...] = ()


class SweepReader:
    """Reads sweeps (xyz, intensity) and keeps the last few; safe to call from worker threads."""

    def __init__(self, size: int = CACHE_SWEEPS) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._cache: OrderedDict[Path, tuple[np.ndarray, np.ndarray | None]] = OrderedDict()

    def read(self, path: Path) -> tuple[np.ndarray, np.ndarray | None]:
        """The sweep's points (N, 3) float32 and intensity (or None); raises `AnnotatorError`."""
        with self._lock:
            found = self._cache.get(path)
            if found is not None:
                self._cache.move_to_end(path)
                return found
        cloud = read_point_cloud(path)
        intensity = cloud.fields.get("intensity")
        found = (np.ascontiguousarray(cloud.xyz, dtype=np.float32), intensity)
        with self._lock:
            self._cache[path] = found
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return found

    def clear(self) -> None:
        """Forget every sweep read."""
        with self._lock:
            self._cache.clear()


def build_merged(request: MergeRequest, reader: SweepReader) -> MergedCloud:
    """Read, merge and prepare the sweeps of ``request`` (runs in a worker; raises `AnnotatorError`)."""
    start = time.perf_counter()

    def sweep(source: SweepSource) -> Sweep:
        xyz, intensity = reader.read(source.path)
        return Sweep(xyz, source.pose, intensity, source.moving_boxes)

    others, skipped = {}, []
    for offset, source in request.others:
        try:
            others[offset] = sweep(source)
        except AnnotatorError as error:  # a neighbour that cannot be read is left out, the rest merged
            skipped.append(str(error))
    merged = merge_sweeps(sweep(request.current), others)
    # Moving the camera draws no more points than one sweep: as fluid as the single sweep.
    budget = max(1, min(DEFAULT_LOD_BUDGET, merged.current_count))
    fields = {} if merged.intensity is None else {"intensity": merged.intensity}
    cloud = prepare_cloud(merged.xyz, fields, lod_budget=budget)
    cloud.view_bounds = robust_bounds(merged.xyz[: merged.current_count])  # whole-frame views: this sweep
    cloud.warm(request.current_boxes)
    faded = prepare_cloud(merged.faded) if len(merged.faded) else None
    return MergedCloud(cloud, faded, merged, (time.perf_counter() - start) * 1000.0, tuple(skipped))


class MergedView(QObject):
    """Keeps the views' merged cloud in step with the current frame, its neighbours and their tracks."""

    #: A status-bar message.
    message = Signal(str)
    #: The merged cloud on screen changed (or went): for tests and benchmarks.
    shown = Signal()

    def __init__(self, document: Document, grid: ViewGrid, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document, self.grid = document, grid
        self.radius = 0
        #: Build the next frame's merge once the current one is shown (off for one-off pictures).
        self.prefetch = True
        self._last_radius = DEFAULT_RADIUS
        self.reader = SweepReader()
        self.jobs = QtJobs(self, name="merge")
        self._cache: OrderedDict[MergeRequest, MergedCloud] = OrderedDict()
        self._pending: set[MergeRequest] = set()
        self._wanted: MergeRequest | None = None
        self._shown_frame: int | None = None  # the frame whose merged sweeps are on screen
        self._actions: dict[str, QAction] = {}
        self._project: Project | None = None  # whose changes (boxes and tracks of any frame) are followed
        document.frame_changed.connect(lambda _frame: self.refresh())
        document.frames_changed.connect(self.refresh)
        document.opened.connect(self._opened)

    # -- actions ------------------------------------------------------------------------------------
    def bind_actions(self, actions: dict[str, QAction]) -> None:
        """Keep the View > Merged sweeps check marks in step with the radius."""
        self._actions = actions
        self._check_actions()

    def set_radius(self, radius: int, checked: bool = True) -> None:
        """Merge ``radius`` sweeps on each side of the current one (0: off)."""
        if not checked:
            return
        self.radius = max(0, int(radius))
        if self.radius:
            self._last_radius = self.radius
        self._check_actions()
        self.refresh()

    def toggle(self) -> None:
        """Merged sweeps on (the last radius chosen) or off."""
        self.set_radius(0 if self.radius else self._last_radius)

    def _check_actions(self) -> None:
        for action_id, action in self._actions.items():
            if action_id.startswith("view.merged.") and action.isCheckable():
                action.blockSignals(True)
                action.setChecked(action_id == f"view.merged.{self.radius}")
                action.blockSignals(False)

    # -- building -----------------------------------------------------------------------------------
    def wait(self, msecs: int = 30_000) -> bool:
        """Wait for the worker (tests, benchmarks, shutdown)."""
        return self.jobs.wait(msecs)

    def request(self, step: int = 0) -> MergeRequest | None:
        """What the current frame (or the one ``step`` frames on), the radius and the tracks ask to merge
        (None: nothing to merge)."""
        project, frames = self.document.project, self.document.frames()
        position = self.document.frame_position() + step
        frame = frames[position] if project is not None and 0 <= position < len(frames) else None
        if not self.radius or project is None or frame is None or not frame.cloud or frame.pose is None:
            return None
        window = {o: frames[position + o] for o in window_offsets(position, len(frames), self.radius)}
        window = {o: f for o, f in window.items() if f.cloud and f.pose is not None}
        if not window:
            return None
        annotations = [a for f in window.values() for a in project.annotations_of(f.id, "cuboid")]
        annotations += project.annotations_of(frame.id, "cuboid")
        static = {t for t, track in project.tracks.items() if track.attributes.get(STATIC)}
        moving = moving_track_ids([frame, *window.values()], annotations, static)
        others = []
        for offset, other in sorted(window.items()):
            boxes = tuple(
                a.cuboid
                for a in project.annotations_of(other.id, "cuboid")
                if a.cuboid is not None and (a.track_id is None or a.track_id in moving)
            )
            others.append((offset, SweepSource(project.resolve_path(other.cloud), other.pose, boxes)))
        current = SweepSource(project.resolve_path(frame.cloud), frame.pose)
        boxes = tuple(a.cuboid for a in project.annotations_of(frame.id, "cuboid") if a.cuboid is not None)
        return MergeRequest(current, tuple(others), boxes)

    def refresh(self) -> None:
        """Show the merged cloud the current state asks for: at once when cached, else once built."""
        request = self.request()
        self._wanted = request
        if request is None:
            if self.radius and self.document.frame is not None and self.document.frame.pose is None:
                self.message.emit("Merged sweeps need ego poses: this frame has none")
            self._show(None)
            return
        found = self._cache.get(request)
        if found is not None:
            self._cache.move_to_end(request)
            self._show(found)
            return
        if self.grid.merged is not None and self._shown_frame != self.document.frame_id:
            self._show(None)  # another frame: its own sweep until its merge is ready
        self._start(request)

    def _start(self, request: MergeRequest) -> None:
        if request not in self._pending and request not in self._cache:
            self._pending.add(request)
            reader = self.reader

            def work(_context: JobContext) -> MergedCloud:  # reads the sweep files named in the request
                return build_merged(request, reader)

            def done(outcome: Outcome) -> None:
                self._finished(request, outcome.result, outcome.error)

            self.jobs.submit(work, name=f"merge-{hash(request)}", on_done=done)

    def _finished(self, request: MergeRequest, result: MergedCloud | None, error: str) -> None:
        self._pending.discard(request)
        if result is None:  # failed (a named error's own words), or forgotten
            if request == self._wanted:
                self.message.emit(f"Cannot merge sweeps: {error}")
            return
        self._cache[request] = result
        while len(self._cache) > CACHE_CLOUDS:
            self._cache.popitem(last=False)
        if request == self._wanted:
            self._show(result)
            following = self.request(step=1) if self.prefetch else None
            if following is not None:  # the next frame's merge, built while this one is looked at
                self._start(following)
            sweeps = result.sweeps
            left_out = "; left out: " + "; ".join(result.skipped) if result.skipped else ""
            self.message.emit(
                f"Merged {sweeps.sweep_count} sweeps: {len(sweeps):,} points, "
                f"{len(sweeps.faded):,} of moving objects faded ({result.build_ms:.0f} ms){left_out}"
            )

    def _show(self, result: MergedCloud | None) -> None:
        self._shown_frame = self.document.frame_id if result is not None else None
        self.grid.set_merged(
            None if result is None else result.cloud, None if result is None else result.faded
        )
        self.shown.emit()

    def _opened(self) -> None:
        if self._project is not None:
            self._project.events.batch.disconnect(self._changed)
        self._project = self.document.project
        if self._project is not None:
            self._project.events.batch.connect(self._changed)
        self._cache.clear()
        self.reader.clear()
        self.refresh()

    def _changed(self, changes: Sequence[Change]) -> None:
        """Boxes or tracks changed in any frame (which tracks move may change with them)."""
        if self.radius and any(change.kind in ("annotation", "track") for change in changes):
            self.refresh()

    @property
    def current(self) -> MergedCloud | None:
        """The merged cloud on screen, if any."""
        shown = self.grid.merged
        return (
            next((m for m in self._cache.values() if m.cloud is shown), None) if shown is not None else None
        )
