"""Edit handles of the selected cuboid in an orthographic view, what the cursor grips, and the rubber band.

The views are aligned with the selected box (`annotator.render.camera.ortho_axes`), so its outline is a
rectangle there: dragging inside moves the box, near an edge or a corner resizes it, and in the top view
a knob ahead of the front edge turns it. `grip_at` decides which from the cursor's world position (pure);
`HandleLayer` and `RubberBand` draw the handles and a rectangle being dragged out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.render._vtk import vtkActor, vtkPolyDataMapper, vtkRenderer
from annotator.render.polydata import line_polydata, moved_points, point_cloud_polydata

logger = logging.getLogger(__name__)

#: Box axes (0 length, 1 width, 2 height) running across and up the screen, and the axis pointing
#: toward the camera with its sign, per orthographic view.
VIEW_AXES: dict[str, tuple[int, int, int, int]] = {
    "top": (1, 0, 2, 1),
    "side": (0, 2, 1, -1),
    "front": (1, 2, 0, 1),
}

HANDLE_COLOR = (1.0, 1.0, 1.0)
KNOB_COLOR = (1.0, 0.78, 0.1)


@dataclass(frozen=True)
class Grip:
    """What a drag holds: ``"move"``, ``"resize"`` (``signs``: the dragged face per box axis) or ``"rotate"``."""

    kind: str
    signs: tuple[int, int, int] = (0, 0, 0)


def knob_position(cuboid: Cuboid, reach: float) -> np.ndarray:
    """World position (3,) of the top view's rotation knob: ``reach`` metres ahead of the front edge."""
    local = np.array([[cuboid.size[0] / 2.0 + reach, 0.0, cuboid.size[2] / 2.0]])
    return cuboid.box_to_world(local)[0]


def grip_at(
    cuboid: Cuboid, axis: str, point: np.ndarray, tolerance: float, knob_reach: float | None = None
) -> Grip | None:
    """What the cursor at world ``point`` grips in view ``axis``: None outside the box (and its edges).

    ``tolerance`` (m) is how near an edge counts as on it (at most a quarter of the side, so a small box
    can still be moved); ``knob_reach``: the top view's rotation knob distance (None: no knob).
    """
    local = cuboid.world_to_box(np.asarray(point, dtype=np.float64)[None, :3])[0]
    half = np.asarray(cuboid.size, dtype=np.float64) / 2.0
    across, upward, _, _ = VIEW_AXES[axis]
    if knob_reach is not None and axis == "top":
        knob = np.array([half[0] + knob_reach, 0.0])
        if np.hypot(local[0] - knob[0], local[1] - knob[1]) <= 1.5 * tolerance:
            return Grip("rotate")
    signs = [0, 0, 0]
    for box_axis in (across, upward):
        reach = min(tolerance, half[box_axis] / 2.0)
        offset = abs(local[box_axis])
        if offset > half[box_axis] + tolerance:
            return None
        if offset >= half[box_axis] - reach:
            signs[box_axis] = 1 if local[box_axis] > 0 else -1
    if any(signs):
        return Grip("resize", (signs[0], signs[1], signs[2]))
    return Grip("move")


def handle_points(cuboid: Cuboid, axis: str) -> np.ndarray:
    """World positions (8, 3) of the resize handles: the outline's corners and edge midpoints, on the
    face toward the camera."""
    across, upward, toward, sign = VIEW_AXES[axis]
    half = np.asarray(cuboid.size, dtype=np.float64) / 2.0
    local = np.zeros((8, 3))
    for i, (u, v) in enumerate(((-1, -1), (0, -1), (1, -1), (1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0))):
        local[i, across] = u * half[across]
        local[i, upward] = v * half[upward]
        local[i, toward] = sign * half[toward]
    return cuboid.box_to_world(local)


def _actor(polydata_color: tuple[float, float, float], point_size: float, line_width: float) -> tuple:
    mapper = vtkPolyDataMapper()
    mapper.ScalarVisibilityOff()
    actor = vtkActor()
    actor.SetMapper(mapper)
    prop = actor.GetProperty()
    prop.SetColor(*polydata_color)
    prop.SetPointSize(point_size)
    prop.SetLineWidth(line_width)
    prop.LightingOff()
    actor.VisibilityOff()
    return mapper, actor


class HandleLayer:
    """Resize handles (squares) of the selected box and, in the top view, the rotation knob on a stick."""

    def __init__(self, axis: str) -> None:
        self.axis = axis
        self._handle_mapper, self.handle_actor = _actor(HANDLE_COLOR, 9.0, 1.0)
        self._knob_mapper, self.knob_actor = _actor(KNOB_COLOR, 13.0, 2.0)
        self._stick_mapper, self.stick_actor = _actor(KNOB_COLOR, 1.0, 2.0)
        self._keep: list[object] = []

    @property
    def props(self) -> list[vtkActor]:
        """The actors to add to a renderer."""
        return [self.stick_actor, self.handle_actor, self.knob_actor]

    def attach(self, renderer: vtkRenderer) -> None:
        """Draw in ``renderer`` (on top of the cuboids)."""
        for prop in self.props:
            renderer.AddViewProp(prop)

    def show(self, cuboid: Cuboid | None, knob_reach: float | None = None) -> None:
        """Handles around ``cuboid`` (None: hide); the knob ``knob_reach`` m ahead (top view only)."""
        if cuboid is None:
            for prop in self.props:
                prop.VisibilityOff()
            return
        corners = handle_points(cuboid, self.axis)  # a moved box's handles move in place
        if not moved_points(self._handle_mapper.GetInput(), corners):
            self._handle_mapper.SetInputData(point_cloud_polydata(corners.astype(np.float32)))
        self.handle_actor.VisibilityOn()
        if self.axis == "top" and knob_reach is not None:
            knob = knob_position(cuboid, knob_reach)
            front = cuboid.box_to_world(np.array([[cuboid.size[0] / 2.0, 0.0, cuboid.size[2] / 2.0]]))[0]
            if not moved_points(self._knob_mapper.GetInput(), knob[None]):
                self._knob_mapper.SetInputData(point_cloud_polydata(knob[None].astype(np.float32)))
            if not moved_points(self._stick_mapper.GetInput(), np.vstack([front, knob])):
                self._stick_mapper.SetInputData(line_polydata(np.vstack([front, knob]), np.array([[0, 1]])))
            self.knob_actor.VisibilityOn()
            self.stick_actor.VisibilityOn()
        else:
            self.knob_actor.VisibilityOff()
            self.stick_actor.VisibilityOff()


class RubberBand:
    """A rectangle outline being dragged out (four world corners in drawing order)."""

    def __init__(self) -> None:
        self._mapper, self.actor = _actor(KNOB_COLOR, 1.0, 1.5)

    def attach(self, renderer: vtkRenderer) -> None:
        """Draw in ``renderer``."""
        renderer.AddViewProp(self.actor)

    def show(self, corners: np.ndarray | None) -> None:
        """Outline the quadrilateral ``corners`` (4, 3); None hides it."""
        if corners is None:
            self.actor.VisibilityOff()
            return
        segments = np.array([[0, 1], [1, 2], [2, 3], [3, 0]])
        self._mapper.SetInputData(line_polydata(np.asarray(corners, dtype=np.float64), segments))
        self.actor.VisibilityOn()
