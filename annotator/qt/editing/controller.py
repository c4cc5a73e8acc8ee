"""The mouse editing of cuboids: the active tool and class, creation from clicks and rectangles, handle
drags, snapping to the ground. Every change is a command on the project's undo stack.

Tools: ``select`` (click selects; drags on the selected box move, resize or rotate it), ``click_fit``
(a click on an object's points fits a box to it), ``rectangle`` (a drag in the top view fits a box to
the points inside) and ``place`` (a click puts a box of the class's default size on the ground). In
every tool a drag that starts on the selected box edits it, so a box just created can be adjusted at once.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QPointF, Signal

from annotator.core.cuboids import box_drag
from annotator.core.cuboids.box_fit import points_outside
from annotator.core.cuboids.creation import (
    click_fit,
    fit_in_rectangle,
    local_window,
    model_ground_mask,
    nearest_heading,
    nearest_to_ray,
    place_on_ground,
)
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.fitting import shrink_face
from annotator.core.cuboids.heading import resolve_heading
from annotator.core.edits import AddAnnotations, UpdateAnnotations
from annotator.core.ground import GroundModel
from annotator.core.model.records import Annotation
from annotator.jobs import Outcome
from annotator.qt.document import Document
from annotator.qt.editing.ground import FrameGround
from annotator.qt.editing.modes import OrthoEditMode, PerspectiveEditMode
from annotator.qt.editing.throttle import RenderThrottle
from annotator.qt.jobs import QtJobs
from annotator.qt.views.ortho_view import OrthoView
from annotator.qt.views.view_base import SceneView
from annotator.qt.views.view_grid import ViewGrid
from annotator.render.backdrop import Backdrop
from annotator.render.camera import CameraPose, ray_plane_z
from annotator.render.handles import Grip, HandleLayer, RubberBand, grip_at
from annotator.render.picking import ray_hits_cuboid
from annotator.render.preview import BoxPreview

logger = logging.getLogger(__name__)

#: Tools in toolbar order with their titles.
TOOLS = {"select": "Select / edit", "click_fit": "Click fit", "rectangle": "Rectangle fit", "place": "Place"}
#: How near (Qt pixels) an edge or the knob the cursor must be to grip it.
GRIP_PIXELS = 7.0
#: Default size of a class missing from the schema.
FALLBACK_SIZE = (4.0, 1.8, 1.6)
#: While dragging, how often (seconds) at most the views render: the view under the cursor every move, the
#: other orthographic views 25 times a second, the perspective view (the costliest) about 7 times.
DRAG_INTERVALS = {"dragged": 0.0, "ortho": 0.04, "perspective": 0.15}
#: Smallest rectangle (m) that counts as drawn.
MIN_RECTANGLE = 0.3

_LABELS = {"move": "Move cuboid", "resize": "Resize cuboid", "rotate": "Rotate cuboid"}


def knob_reach(cuboid: Cuboid) -> float:
    """How far (m) ahead of the front edge the top view's rotation knob sits."""
    return max(0.5, 0.35 * cuboid.size[1])


@dataclass
class Drag:
    """A drag in progress: what it holds and where it started."""

    view: SceneView
    grip: Grip
    annotation_id: int
    start_cuboid: Cuboid
    start_point: np.ndarray
    pose: CameraPose
    merge_key: tuple
    color: tuple[int, int, int]
    plane_z: float | None = None  # perspective moves: the horizontal plane the cursor slides on
    current: Cuboid | None = None  # the box as the cursor has it now (committed when the drag ends)


class EditController(QObject):
    """Owns the editing state of a window's views; the interaction modes call it."""

    #: The active tool changed: its name.
    tool_changed = Signal(str)
    #: A message for the status bar and how long to show it (ms).
    message = Signal(str, int)

    def __init__(self, document: Document, grid: ViewGrid, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.grid = grid
        self.tool = "select"
        self.ground = FrameGround(parent=self)
        self.background = QtJobs(self, name="fit")  # fits read the shown cloud, never the project
        self.drag: Drag | None = None
        self._backdrop: Backdrop | None = None
        self.previews = {view: BoxPreview(view.scene) for view in grid.views}
        self.throttles = {view: RenderThrottle(view, self) for view in grid.views}
        self._serial = itertools.count(1)
        self._seeds: tuple[object, object, np.ndarray] | None = None  # cloud, model, non-ground sample
        self.handles = {axis: HandleLayer(axis) for axis in grid.ortho}
        for axis, view in grid.ortho.items():
            self.handles[axis].attach(view.scene.picture.overlay)
        self.band = RubberBand()
        self.band.attach(grid.ortho["top"].scene.picture.overlay)
        grid.perspective.set_mode(PerspectiveEditMode(grid.perspective, self))
        for view in grid.ortho.values():
            view.set_mode(OrthoEditMode(view, self))
        document.cloud_changed.connect(lambda: self.ground.set_cloud(document.cloud))
        document.annotations_changed.connect(lambda _: self.refresh_handles())
        document.selection_changed.connect(lambda _: self.refresh_handles())

    # -- tool and class ------------------------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        """Make ``tool`` (a key of `TOOLS`) active."""
        if tool not in TOOLS:
            raise ValueError(f"unknown tool {tool!r}; expected one of {list(TOOLS)}")
        if tool != self.tool:
            self.tool = tool
            self.tool_changed.emit(tool)
            hints = {
                "click_fit": "Click an object's points to fit a box",
                "rectangle": "Drag a rectangle around an object in the top view",
                "place": "Click where a box should stand on the ground",
                "select": "Click to select; drag the selected box to move, its edges to resize",
            }
            self.message.emit(hints[tool], 5000)

    def choose_tool(self, tool: str, checked: bool = True) -> None:
        """The tool actions' handler (checkable, exclusive): make ``tool`` active when checked."""
        if checked:
            self.set_tool(tool)

    @property
    def active_class(self) -> str | None:
        """The class new boxes get (kept by the document)."""
        return self.document.active_class

    def set_active_class(self, name: str) -> None:
        """Choose the class new boxes get."""
        self.document.set_active_class(name)

    def default_size(self, class_name: str) -> tuple[float, float, float]:
        """The schema's default size of a class (a car-like size when it is unknown)."""
        project = self.document.project
        label_class = None if project is None else project.schema.get(class_name)
        return FALLBACK_SIZE if label_class is None else label_class.default_size

    # -- handles -------------------------------------------------------------------------------------
    def refresh_handles(self) -> None:
        """Draw the handles of the selected box in the orthographic views."""
        item = self.grid.perspective.scene.selected_item()
        for axis, layer in self.handles.items():
            cuboid = None if item is None else item.cuboid
            layer.show(cuboid, None if cuboid is None else knob_reach(cuboid))
            self.grid.ortho[axis].request_render()

    def grip_under(self, view: SceneView, position: QPointF) -> Grip | None:
        """What the cursor grips of the selected box in ``view`` (perspective: the box means move)."""
        selected = self.document.selected
        if selected is None or selected.cuboid is None:
            return None
        cuboid = selected.cuboid
        if isinstance(view, OrthoView):
            point = view.world_at(position)
            if point is None:
                return None
            tolerance = GRIP_PIXELS * metres_per_pixel(view)
            return grip_at(cuboid, view.axis, point, tolerance, knob_reach(cuboid))
        origin, direction = view.ray_at(position)
        return Grip("move") if ray_hits_cuboid(origin, direction, cuboid, 0.05) is not None else None

    def select_in_band(self, corners: np.ndarray) -> None:
        """Add the boxes whose centres lie in the top view's band (4, 3 world corners) to the selection."""
        polygon = np.asarray(corners, dtype=np.float64)[:, :2]
        inside = [
            a.id
            for a in self.document.cuboids()
            if a.class_name not in self.document.hidden_classes and _in_polygon(polygon, a.cuboid.center[:2])
        ]
        self.document.select_many([*self.document.selected_ids, *inside])
        count = len(self.document.selected_ids)
        self.message.emit(f"{count} cuboid{'s' if count != 1 else ''} selected", 3000)

    def face_under(self, view: OrthoView, position: QPointF) -> tuple[int, int, int] | None:
        """The face of the selected box whose outline edge is under the cursor in an ortho view (the
        rotation knob does not count; corners are two faces, so None)."""
        selected = self.document.selected
        point = view.world_at(position)
        if selected is None or selected.cuboid is None or point is None:
            return None
        grip = grip_at(selected.cuboid, view.axis, point, GRIP_PIXELS * metres_per_pixel(view))
        if grip is None or grip.kind != "resize" or sum(1 for s in grip.signs if s) != 1:
            return None
        return grip.signs

    # -- drags ---------------------------------------------------------------------------------------
    def begin_drag(self, view: SceneView, grip: Grip, position: QPointF) -> bool:
        """Start dragging the selected box; False when there is nothing to drag."""
        selected = self.document.selected
        if selected is None or selected.cuboid is None:
            return False
        plane_z = None
        if isinstance(view, OrthoView):
            start = view.world_at(position)
        else:
            plane_z = selected.cuboid.z_range()[0]
            start = self._on_plane(view, position, plane_z)
        if start is None:
            return False
        self.drag = Drag(
            view,
            grip,
            selected.id,
            selected.cuboid,
            np.asarray(start, dtype=np.float64),
            view.scene.camera_pose(),
            ("mouse-drag", selected.id, next(self._serial)),
            self.document.class_color(selected.class_name),
            plane_z,
        )
        for view, throttle in self.throttles.items():
            kind = (
                "dragged"
                if view is self.drag.view
                else "perspective"
                if view is self.grid.perspective
                else "ortho"
            )
            throttle.interval = DRAG_INTERVALS[kind]
        self._backdrop = Backdrop(self.grid.perspective.scene)  # the cloud is not redrawn while dragging
        return True

    def update_drag(self, position: QPointF) -> None:
        """Move the dragged box with the cursor: only its stand-in actors and handles are redrawn."""
        drag = self.drag
        if drag is None:
            return
        if drag.plane_z is None:
            point = drag.view.world_at(position)
        else:
            point = self._on_plane(drag.view, position, drag.plane_z)
        if point is None:
            return
        cuboid = dragged_cuboid(drag, point)
        if cuboid == drag.current:
            return
        drag.current = cuboid
        for preview in self.previews.values():
            preview.show(cuboid, drag.color)
        for layer in self.handles.values():
            layer.show(cuboid, knob_reach(cuboid))
        for throttle in self.throttles.values():
            throttle.request()
        self.document.preview_cuboid(drag.annotation_id, cuboid)  # e.g. the image panel follows

    def end_drag(self) -> None:
        """Finish the drag: the box's new numbers become one undoable command."""
        drag, self.drag = self.drag, None
        if drag is None:
            return
        for throttle in self.throttles.values():
            throttle.flush()
        if self._backdrop is not None:
            self._backdrop.release()
            self._backdrop = None
        for preview in self.previews.values():
            preview.hide()
        for view in self.grid.views:
            view.request_render()
        self.document.preview_cuboid(drag.annotation_id, None)
        project = self.document.project
        if project is None or drag.annotation_id not in project.annotations:
            return
        current = project.annotations[drag.annotation_id]
        if drag.current is None or drag.current == current.cuboid:
            self.refresh_handles()
            return
        updated = dataclasses.replace(current, cuboid=drag.current)
        self.document.push(UpdateAnnotations([updated], _LABELS[drag.grip.kind], drag.merge_key))
        self.document.close_merge()

    def _on_plane(self, view: SceneView, position: QPointF, z: float) -> np.ndarray | None:
        origin, direction = view.ray_at(position)
        return ray_plane_z(origin, direction, z)

    # -- creation ------------------------------------------------------------------------------------
    def click(self, view: SceneView, position: QPointF) -> None:
        """A click with a creation tool: fit or place a box there."""
        if self.tool == "click_fit":
            self.fit_at(view, position)
        elif self.tool == "place":
            self.place_at(view, position)
        elif self.tool == "rectangle":
            self.message.emit("Drag a rectangle in the top view (a click does not make a box)", 4000)

    def _can_create(self) -> bool:
        if self.document.cloud is None or self.document.frame_id is None:
            self.message.emit("Open a frame with a point cloud first", 4000)
            return False
        if self.active_class is None:
            self.message.emit("The project has no label classes: add one first", 4000)
            return False
        return True

    def fit_at(self, view: SceneView, position: QPointF) -> None:
        """One-click fit on the object under the cursor, computed in a worker; the box is added (and
        selected) when it is ready, unless the frame changed meanwhile."""
        if not self._can_create():
            return
        cloud = self.document.cloud
        assert cloud is not None
        origin, direction = view.ray_at(position)
        sample = self._seed_candidates()
        class_name = self.active_class
        assert class_name is not None
        size = self.default_size(class_name)
        boxes = self._frame_boxes()
        ground = self.ground

        def work() -> Cuboid | str:
            hit = nearest_to_ray(cloud.xyz[sample], origin, direction)
            if hit is None:
                return "No object points under the cursor"
            seed_xyz = cloud.xyz[sample[hit]].astype(np.float64)
            nearby = cloud.index.indices_inside(local_window(seed_xyz[:2]))
            local = cloud.xyz[nearby]
            seed = int(np.argmin(np.sum((local - seed_xyz) ** 2, axis=1)))
            box = click_fit(local, seed, size, ground=ground.near(seed_xyz[:2]))
            if box is None:
                return "No object there to fit (ground, or a cluster far larger than the class)"
            return oriented_by_scene(box, boxes)

        self._compute(work, class_name, "Create cuboid (click fit)")

    def _frame_boxes(self) -> list[Cuboid]:
        return [a.cuboid for a in self.document.cuboids() if a.cuboid is not None]

    def _compute(
        self, work: Callable[[], tuple[Cuboid, str] | Cuboid | str], class_name: str, label: str
    ) -> None:
        """Run ``work`` in a worker; add its box (or show its message) if the frame is still shown. A box
        may come with a note about its heading, shown after the box's size."""
        frame_id, cloud = self.document.frame_id, self.document.cloud

        def done(outcome: Outcome) -> None:
            if self.document.frame_id != frame_id or self.document.cloud is not cloud:
                return  # the user moved on
            result = outcome.result
            if outcome.error:
                self.message.emit(f"{label} failed: {outcome.error}", 8000)
            elif isinstance(result, tuple) and isinstance(result[0], Cuboid):
                box, note = result
                self._add(box, class_name, label, note)
            elif isinstance(result, Cuboid):
                self._add(result, class_name, label)
            elif isinstance(result, str):
                self.message.emit(result, 5000)

        self.message.emit("Fitting...", 2000)
        self.background.submit(lambda _context: work(), on_done=done)

    def place_at(self, view: SceneView, position: QPointF) -> Cuboid | None:
        """Put a box of the active class's default size on the ground under the cursor."""
        if not self._can_create():
            return None
        point = self._ground_under(view, position)
        if point is None:
            self.message.emit("The cursor is not over the ground", 4000)
            return None
        class_name = self.active_class
        assert class_name is not None
        yaw = self.heading_hint(point[:2])
        if yaw is None and isinstance(view, OrthoView) and view.axis == "top":
            up = view.scene.camera_pose().view_up
            yaw = math.atan2(up[1], up[0])
        box = place_on_ground(
            point[:2], self.default_size(class_name), yaw or 0.0, self.ground.near(point[:2])
        )
        return self._add(box, class_name, "Place cuboid")

    def fit_rectangle(self, view: OrthoView, corners: np.ndarray) -> None:
        """Fit a box (in a worker) to the points inside the rectangle ``corners`` (4, 3; drawing order)."""
        if not self._can_create():
            return
        cloud = self.document.cloud
        assert cloud is not None
        region = rectangle_region(corners)
        if min(region.size[:2]) < MIN_RECTANGLE:
            self.message.emit("Drag a larger rectangle around the object", 4000)
            return
        class_name = self.active_class
        assert class_name is not None
        size = self.default_size(class_name)
        boxes = self._frame_boxes()
        ground = self.ground

        def work() -> tuple[Cuboid, str]:
            reach = float(np.hypot(*region.size[:2])) / 2.0 + 6.0
            nearby = cloud.index.indices_inside(local_window(region.center[:2], reach))
            centre = np.asarray(region.center[:2])
            box = fit_in_rectangle(cloud.xyz[nearby], region, size, ground=ground.near(centre))
            return oriented_by_scene(box, boxes)

        self._compute(work, class_name, "Create cuboid (rectangle fit)")

    def _add(self, box: Cuboid, class_name: str, label: str, note: str = "") -> Cuboid:
        assert self.document.frame_id is not None
        command = AddAnnotations([Annotation(0, self.document.frame_id, class_name, cuboid=box)], label)
        self.document.push(command)
        if command.ids:
            self.document.select(command.ids[0])
        text = f"{label}: {class_name} {box.size[0]:.2f} x {box.size[1]:.2f} x {box.size[2]:.2f} m"
        self.message.emit(f"{text}; {note}" if note else text, 8000 if note else 4000)
        return box

    def _seed_candidates(self) -> np.ndarray:
        """Indices of the non-ground points of the cloud's level-of-detail sample (kept per cloud)."""
        cloud = self.document.cloud
        assert cloud is not None
        model = self.ground.model
        if self._seeds is None or self._seeds[0] is not cloud or self._seeds[1] is not model:
            sample = cloud.coarse
            ground = model if model is not None else GroundModel.flat(cloud.ground_z)
            candidates = sample[~model_ground_mask(cloud.xyz[sample], ground)]
            self._seeds = (cloud, model, candidates)
        return self._seeds[2]

    def _ground_under(self, view: SceneView, position: QPointF) -> np.ndarray | None:
        if isinstance(view, OrthoView):
            point = view.world_at(position)
            if point is None:
                return None
            return np.array([point[0], point[1], float(self.ground.near(point[:2]).height_at(point[:2]))])
        cloud = self.document.cloud
        origin, direction = view.ray_at(position)
        z = 0.0 if cloud is None else cloud.ground_z
        point = None
        for _ in range(3):  # the ray meets the ground where the ground's own height is
            point = ray_plane_z(origin, direction, z)
            if point is None:
                return None
            z = float(self.ground.near(point[:2]).height_at(point[:2]))
        return point

    def heading_hint(self, xy: np.ndarray | tuple[float, ...]) -> float | None:
        """The heading of the nearest box of the frame within 10 m, else None."""
        return nearest_heading(xy, self._frame_boxes())

    # -- ground --------------------------------------------------------------------------------------
    def snap_to_ground(self) -> None:
        """Move the selected box vertically so its bottom rests on the local ground (one command)."""
        selected = self.document.selected
        if selected is None or selected.cuboid is None:
            self.message.emit("Select a box to snap it to the ground", 3000)
            return
        if self.document.cloud is None:
            self.message.emit("The frame's cloud is not loaded yet", 3000)
            return
        model: GroundModel = self.ground.near(np.asarray(selected.cuboid.center[:2]))
        snapped = box_drag.snapped_to_ground(selected.cuboid, model)
        if snapped != selected.cuboid:
            updated = dataclasses.replace(selected, cuboid=snapped)
            self.document.push(UpdateAnnotations([updated], "Snap cuboid to ground"))

    def shrink_face(self, signs: tuple[int, int, int]) -> None:
        """Move one face of the selected box (``signs``: +1/-1 on one box axis) in to the nearest object
        point inside (points of other boxes and the ground never count); one command."""
        selected = self.document.selected
        cloud = self.document.cloud
        if selected is None or selected.cuboid is None or cloud is None:
            return
        axis = next(i for i, s in enumerate(signs) if s)
        cuboid = selected.cuboid
        others = [a.cuboid for a in self.document.cuboids() if a.id != selected.id and a.cuboid is not None]
        near = points_outside(cloud.xyz[cloud.indices_near(cuboid, 0.0)], others)
        shrunk = shrink_face(cuboid, near, axis, signs[axis], self.ground.near(np.asarray(cuboid.center[:2])))
        if shrunk == cuboid:
            self.message.emit("No object point inside the box to shrink to", 3000)
            return
        face = ("front", "back", "left", "right", "top", "bottom")[2 * axis + (0 if signs[axis] > 0 else 1)]
        self.document.push(
            UpdateAnnotations([dataclasses.replace(selected, cuboid=shrunk)], f"Shrink {face} face")
        )


def dragged_cuboid(drag: Drag, point: np.ndarray) -> Cuboid:
    """The dragged box for the cursor at world ``point`` (from the box as it was when the drag began)."""
    start = drag.start_cuboid
    offset = np.asarray(point, dtype=np.float64) - drag.start_point
    if drag.grip.kind == "resize":
        return box_drag.resized(start, drag.grip.signs, offset)
    if drag.grip.kind == "rotate":
        return box_drag.rotated(start, drag.start_point[:2], np.asarray(point)[:2])
    if isinstance(drag.view, OrthoView):
        _, _, forward = drag.pose.basis()
        offset = offset - np.dot(offset, forward) * forward  # stay in the view's plane
        return box_drag.moved(start, offset)
    return box_drag.moved(start, offset, horizontal=True)


def metres_per_pixel(view: OrthoView) -> float:
    """World metres per Qt pixel in an orthographic view."""
    _, height = view.scene.viewport_size()
    return 2.0 * view.scene.camera_pose().parallel_scale / height * view.canvas.device_pixel_ratio()


def rectangle_region(corners: np.ndarray) -> Cuboid:
    """The bird's-eye rectangle through four corners (drawing order) as a flat cuboid: length along the
    first-to-last side (screen up in the top view), width along the first-to-second."""
    c = np.asarray(corners, dtype=np.float64)
    across = c[1, :2] - c[0, :2]
    along = c[3, :2] - c[0, :2]
    centre = c[:, :3].mean(axis=0)
    yaw = math.atan2(along[1], along[0]) if np.linalg.norm(along) > 1e-9 else 0.0
    return Cuboid(
        (float(centre[0]), float(centre[1]), float(centre[2])),
        (max(float(np.linalg.norm(along)), 1e-3), max(float(np.linalg.norm(across)), 1e-3), 1.0),
        yaw,
    )


def oriented_by_scene(box: Cuboid, boxes: list[Cuboid]) -> tuple[Cuboid, str]:
    """A new box turned to the heading the scene supports (`resolve_heading`), with a note saying where
    that heading came from (flagged ones ask the user to check, Shift+T flips)."""
    heading = resolve_heading(box, boxes)
    note = f"heading from {heading.source}"
    if heading.flagged:
        note = f"heading {heading.source} (Shift+T flips)"
    return box.replace(yaw=heading.yaw), note


def _in_polygon(polygon: np.ndarray, xy: tuple[float, ...]) -> bool:
    """Whether a point lies inside a convex polygon (any winding)."""
    edges = np.roll(polygon, -1, axis=0) - polygon
    rel = np.asarray(xy[:2], dtype=np.float64) - polygon
    cross = edges[:, 0] * rel[:, 1] - edges[:, 1] * rel[:, 0]
    return bool(np.all(cross >= 0) or np.all(cross <= 0))
