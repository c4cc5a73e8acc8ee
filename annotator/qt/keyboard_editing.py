"""Keyboard editing of the selected cuboid: the handlers behind the Cuboid menu's actions.

Every edit is a command of `annotator.core` (undoable, saved at once). Steps of one held key merge into
one undo step: the merge key carries a run number that grows whenever a key is released (auto-repeat
releases do not count), so "Up held for a second" is one "Move cuboid" step and two separate presses are
two. Pitch and roll change only in 9-DoF projects (the ``nine_dof`` project setting).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from annotator.core.cuboids.box_fit import GATHER_MARGIN, FitOutcome, fit_box, local_ground, points_outside
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.cuboid_ops import (
    edit_cuboids,
    flip_heading,
    move_local,
    quarter_turn,
    resize,
    rotate,
)
from annotator.core.cuboids.fit_priors import MOTION_WINDOW, size_prior, track_motion
from annotator.core.cuboids.scene_heading import heading_from_boxes
from annotator.core.cuboids.scene_size import size_from_boxes
from annotator.core.cuboids.sweep_gathering import neighbour_points
from annotator.core.cuboids.track_sweeps import wants_sweeps
from annotator.core.edits import AddAnnotations, RemoveAnnotations, SetSetting, UpdateAnnotations
from annotator.core.errors import AnnotatorError
from annotator.core.model.records import MANUAL, Annotation, Frame
from annotator.jobs import JobContext, Outcome
from annotator.qt.document import Document
from annotator.qt.jobs import QtJobs
from annotator.render.cloud import PreparedCloud

logger = logging.getLogger(__name__)

#: Messages shown in the status bar for this long (ms).
MESSAGE_MS = 4000
#: A cloud of more points than this is fitted in a worker (a fit on 10M points took ~115 ms, on 100M 1.4 s
#: of the window's thread); smaller ones at once, as the key is pressed.
FIT_AT_ONCE_POINTS = 2_000_000
#: The fit job's name (one at a time: a newer fit supersedes an older one).
FIT_JOB = "fit"
#: Most points gathered around a box for a fit (an even sample beyond): within `GATHER_MARGIN` of a car in a
#: 100M-point cloud lie millions, and the fit's passes over them took 1.5-2 s of a worker that shares the
#: window's cores and its interpreter lock (the chunks of detail drawn meanwhile stalled 50-70 ms). Clouds
#: up to about 20M points gather fewer than this: their fits are unchanged.
FIT_POINTS = 400_000


class KeyboardEditor(QObject):
    """Edits the document's selected cuboid; methods are action handlers (``"editing.move"``)."""

    #: A message for the status bar and how long to show it (ms).
    message = Signal(str, int)
    #: The project's 9-DoF setting as now set (for the checkable menu entry).
    nine_dof_changed = Signal(bool)

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.run = 0  # grows at every real key release: one key-run, one undo step
        self.fit_jobs = QtJobs(self, name="fit")  # fits of boxes in clouds of many points
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        document.opened.connect(self._announce_nine_dof)
        document.settings_changed.connect(self._announce_nine_dof)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Count key releases that end a key-run (auto-repeat releases do not)."""
        if (
            event.type() == QEvent.Type.KeyRelease
            and isinstance(event, QKeyEvent)
            and not event.isAutoRepeat()
        ):
            self.run += 1
        return False

    def detach(self) -> None:
        """Stop watching key releases and drop a fit still running (the window is closing)."""
        self.fit_jobs.forget()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    # -- helpers ------------------------------------------------------------------------------------
    def _selected_ids(self) -> list[int]:
        """The selected cuboids (several with Ctrl+click or the top view's Ctrl+drag band)."""
        selected = self.document.selected
        if selected is None or selected.cuboid is None:
            self.message.emit("Select a cuboid first (click it, or Tab)", MESSAGE_MS)
            return []
        project = self.document.project
        return [
            i for i in self.document.selected_ids if project is not None and project.annotations[i].cuboid
        ]

    def _apply(self, edit: Callable[[Cuboid], Cuboid], label: str, merge: tuple | None = None) -> None:
        project = self.document.project
        ids = self._selected_ids()
        if project is None or not ids:
            return
        merge_key = None if merge is None else ("keyboard", *merge, tuple(ids), self.run)
        command = edit_cuboids(project, ids, edit, label, merge_key)
        if command is not None:
            self.document.push(command)

    @property
    def nine_dof(self) -> bool:
        """True when the open project edits pitch and roll."""
        project = self.document.project
        return bool(project is not None and project.setting("nine_dof"))

    # -- pose ---------------------------------------------------------------------------------------
    def move(self, forward: float, left: float, up: float) -> None:
        """Move along the box's own axes (metres)."""
        edit = functools.partial(move_local, forward=forward, left=left, up=up)
        self._apply(edit, "Move cuboid", ("move", forward, left, up))

    def turn(self, yaw: float, pitch: float = 0.0, roll: float = 0.0) -> None:
        """Turn about the centre by degrees of yaw, pitch and roll (pitch and roll only in 9-DoF)."""
        if (pitch or roll) and not self.nine_dof:
            self.message.emit("Pitch and roll are fixed at 0: turn on Cuboid > 9-DoF cuboids", MESSAGE_MS)
            return
        edit = functools.partial(
            rotate, yaw=math.radians(yaw), pitch=math.radians(pitch), roll=math.radians(roll)
        )
        self._apply(edit, "Rotate cuboid", ("turn", yaw, pitch, roll))

    def grow(self, dimension: str, delta: float) -> None:
        """Grow (negative: shrink) the length, width or height by ``delta`` metres about the centre."""
        self._apply(
            functools.partial(resize, dimension=dimension, delta=delta),
            "Resize cuboid",
            ("grow", dimension, delta),
        )

    def flip(self) -> None:
        """Turn the heading by 180 degrees."""
        self._apply(flip_heading, "Flip heading")

    def quarter(self) -> None:
        """Turn by 90 degrees, swapping length and width."""
        self._apply(quarter_turn, "Turn cuboid 90°")

    # -- fitting ------------------------------------------------------------------------------------
    def _fit(self, rotate_box: bool, shrink: bool, label: str) -> None:
        cloud = self.document.cloud
        annotation = self.document.selected
        if not self._selected_ids() or annotation is None or annotation.cuboid is None:
            return
        if cloud is None:
            self.message.emit("The frame's points are still loading", MESSAGE_MS)
            return
        project = self.document.project
        others = [a.cuboid for a in self.document.cuboids() if a.id != annotation.id and a.cuboid is not None]
        motion = track_motion(project, annotation)  # a travelling track's heading
        prior = size_prior(project, annotation)
        same_class = [  # read here: the worker touches no project state the window may change meanwhile
            a.cuboid
            for a in self.document.cuboids()
            if a.id != annotation.id and a.class_name == annotation.class_name and a.cuboid is not None
        ]

        def fit(_context: JobContext | None = None) -> FitOutcome:
            cuboid = annotation.cuboid
            assert cuboid is not None
            near = cloud.xyz[cloud.indices_near(cuboid, GATHER_MARGIN, FIT_POINTS)]
            points = points_outside(near, _reaching(others, cuboid.grown(GATHER_MARGIN)))
            ground = local_ground(points, cuboid)
            extra = None
            count = len(cloud.inside(cuboid))  # (remembered per box)
            if wants_sweeps(count, prior or cuboid.size):
                extra = neighbour_points(project, annotation, self._cached_points_near)
            scene_yaw, size = self._scene_priors(cloud, annotation.cuboid, count, others, same_class, prior)
            return fit_box(
                cuboid,
                points,
                ground,
                others,
                rotate_box,
                shrink=shrink,
                prior_size=size,
                heading_hint=None if motion is None else motion.yaw,
                hint_window=None if motion is None else MOTION_WINDOW * motion.spread,
                extra_points=None if extra is None else points_outside(extra, others),
                scene_yaw=scene_yaw,
            )

        if len(cloud) <= FIT_AT_ONCE_POINTS:
            self._fitted(annotation, fit(), label)
            return

        def done(outcome: Outcome) -> None:
            if outcome.ok:
                self._fitted(annotation, outcome.result, label)
            elif outcome.error:
                self.message.emit(f"Fit failed: {outcome.error}", MESSAGE_MS)

        self.message.emit("Fitting…", MESSAGE_MS)
        self.fit_jobs.submit(fit, name=FIT_JOB, on_done=done)  # a newer fit supersedes this one

    def _fitted(self, annotation: Annotation, outcome: FitOutcome, label: str) -> None:
        """Apply a fit of ``annotation`` as one undoable step, unless the box changed meanwhile."""
        project = self.document.project
        current = None if project is None else project.annotations.get(annotation.id)
        if current is None or current.cuboid != annotation.cuboid:
            self.message.emit("The box changed while it was being fitted: fit it again", MESSAGE_MS)
            return
        if outcome.reason:
            self.message.emit(f"Left as it is: {outcome.reason}", MESSAGE_MS)
            return
        if not outcome.changed:
            self.message.emit("Already fitted", MESSAGE_MS)
            return
        fitted = outcome.cuboid
        command = edit_cuboids(project, [annotation.id], lambda _: fitted, label, None)
        if command is not None:
            self.document.push(command)

    def _scene_priors(
        self,
        cloud: PreparedCloud,
        box: Cuboid,
        count: int,
        others: list[Cuboid],
        same_class: list[Cuboid],
        prior: tuple[float, float, float] | None,
    ) -> tuple[float | None, tuple[float, float, float] | None]:
        """The heading the frame's other boxes lend a box with few points (`heading_from_boxes`), and its
        size prior with the length its class's boxes (``same_class``) show (`size_from_boxes`; else
        ``prior``), counting the boxes' points in ``cloud``."""
        counted: dict[Cuboid, int] = {}  # a box lending both a heading and a length is counted once

        def inside(other: Cuboid) -> int:  # remembered: the loader and the views' worker found them ahead
            if other not in counted:
                counted[other] = len(cloud.inside(other))
            return counted[other]

        yaw = heading_from_boxes(box, count, others, inside)
        return yaw, size_from_boxes(prior, count, same_class, inside) or prior

    def _cached_points_near(self, frame: Frame, box: Cuboid, margin: float) -> np.ndarray | None:
        """A neighbouring frame's points near ``box`` when the frame loader holds its cloud (a fit on
        the UI thread never reads one), else None."""
        project = self.document.project
        if project is None or not frame.cloud:
            return None
        loaded = self.document.loader.cached(frame.id, project.resolve_path(frame.cloud))
        return None if loaded is None else loaded.cloud.xyz[loaded.cloud.indices_near(box, margin)]

    def fit_to_points(self) -> None:
        """Shrink to the object points inside, keeping the heading."""
        self._fit(False, True, "Fit cuboid to points")

    def auto_rotate(self) -> None:
        """Turn to the heading that fits the points inside best (size and centre kept)."""
        self._fit(True, False, "Auto-rotate cuboid")

    # -- selection, class, copies -------------------------------------------------------------------
    def cycle(self, step: int) -> None:
        """Select the next (``step`` 1) or previous (-1) visible cuboid of the frame, by id."""
        visible = [a.id for a in self.document.cuboids() if a.class_name not in self.document.hidden_classes]
        if not visible:
            return
        current = self.document.selected_id
        if current in visible:
            position = (visible.index(current) + step) % len(visible)
        else:
            position = 0 if step > 0 else len(visible) - 1
        self.document.select(visible[position])

    def delete(self) -> None:
        """Delete the selected cuboid."""
        ids = self._selected_ids()
        if ids:
            label = "Delete cuboid" if len(ids) == 1 else f"Delete {len(ids)} cuboids"
            self.document.push(RemoveAnnotations(ids, label))

    def duplicate(self) -> None:
        """A copy of the selected cuboid beside it (to its left), as a new object; selects the copy."""
        annotation = self.document.selected
        if not self._selected_ids() or annotation is None:
            return
        cuboid = move_local(annotation.cuboid, left=annotation.cuboid.size[1] + 0.5)
        copy = Annotation(
            0, annotation.frame_id, annotation.class_name, cuboid=cuboid, provenance=MANUAL,
            attributes=dict(annotation.attributes),
        )  # fmt: skip
        command = AddAnnotations([copy], "Duplicate cuboid")
        self.document.push(command)
        if command.ids:
            self.document.select(command.ids[0])

    def set_class(self, number: int) -> None:
        """Give the selected cuboid or 2D box the schema's class number ``number`` (1-based, as the
        number keys)."""
        project = self.document.project
        annotation = self.document.selected
        if project is None or annotation is None:
            self.message.emit("Select a cuboid or a 2D box first", MESSAGE_MS)
            return
        names = project.schema.names
        if not 1 <= number <= len(names):
            self.message.emit(f"The schema has {len(names)} classes; no class {number}", MESSAGE_MS)
            return
        name = names[number - 1]
        chosen = [project.annotations[i] for i in self.document.selected_ids]
        changed = [dataclasses.replace(a, class_name=name) for a in chosen if a.class_name != name]
        if changed:
            self.document.push(UpdateAnnotations(changed, f"Change class to {name}"))

    def same_size(self) -> None:
        """Give every selected cuboid the size of the first selected one (one step; centres and
        headings stay)."""
        project = self.document.project
        ids = self._selected_ids()
        if project is None or len(ids) < 2:
            if ids:
                self.message.emit("Select more boxes (Ctrl+click) to give them this size", MESSAGE_MS)
            return
        size = project.annotations[ids[0]].cuboid.size
        command = edit_cuboids(
            project, ids[1:], lambda c: c.replace(size=size), f"Same size for {len(ids)} cuboids"
        )
        if command is not None:
            self.document.push(command)
            self.message.emit(
                f"{len(ids) - 1} cuboids now {size[0]:.2f} x {size[1]:.2f} x {size[2]:.2f} m", MESSAGE_MS
            )

    # -- 9-DoF --------------------------------------------------------------------------------------
    def set_nine_dof(self, on: bool) -> None:
        """Turn the project's 9-DoF setting on or off; off also levels every tilted cuboid (one step)."""
        session = self.document.session
        project = session.project
        if project is None or self.nine_dof == on:
            self._announce_nine_dof()
            return
        tilted = [a for a in project.annotations.values() if a.cuboid is not None and not a.cuboid.is_7dof]
        label = "Turn on 9-DoF cuboids" if on else "Turn off 9-DoF cuboids"
        try:
            with session.group(label):
                session.push(SetSetting("nine_dof", bool(on)))
                if not on and tilted:
                    levelled = [dataclasses.replace(a, cuboid=a.cuboid.flattened()) for a in tilted]
                    session.push(UpdateAnnotations(levelled, "Level cuboids"))
        except AnnotatorError as error:  # another process wrote first, or the project is read-only
            self.message.emit(str(error), MESSAGE_MS)
            session.refresh()
            return
        if tilted and not on:
            self.message.emit(f"Pitch and roll set to 0 on {len(tilted)} cuboids", MESSAGE_MS)
        self._announce_nine_dof()

    def _announce_nine_dof(self) -> None:
        self.nine_dof_changed.emit(self.nine_dof)


def _reaching(boxes: list[Cuboid], region: Cuboid) -> list[Cuboid]:
    """The ``boxes`` whose bounding spheres meet ``region``'s: the others hold none of its points (a parked
    row of cars tested against every gathered point cost a fit at 10M points ~120 ms)."""
    reach = 0.5 * math.hypot(*region.size)
    centre = np.asarray(region.center)
    return [
        box
        for box in boxes
        if float(np.linalg.norm(np.asarray(box.center) - centre)) <= reach + 0.5 * math.hypot(*box.size)
    ]
