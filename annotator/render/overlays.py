"""Helpers drawn around the points: a ground grid, range rings around the sensor, a colour bar."""

from __future__ import annotations

import logging
import math

import numpy as np

from annotator.render._vtk import vtkActor, vtkLookupTable, vtkPolyDataMapper, vtkScalarBarActor
from annotator.render.polydata import line_polydata

logger = logging.getLogger(__name__)

_NICE_STEPS = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)


def nice_step(extent: float, lines: int = 20) -> float:
    """A round spacing giving about ``lines`` grid lines over ``extent`` metres."""
    wanted = max(extent, 1e-6) / lines
    return next((step for step in _NICE_STEPS if step >= wanted), _NICE_STEPS[-1])


def grid_geometry(
    bounds: tuple[float, ...], z: float, step: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and segments of a square grid on the plane ``z`` covering the xy ``bounds``."""
    x0, x1, y0, y1 = bounds[:4]
    extent = max(x1 - x0, y1 - y0, 1.0)
    step = step or nice_step(extent)
    lo_x, hi_x = math.floor(x0 / step) * step, math.ceil(x1 / step) * step
    lo_y, hi_y = math.floor(y0 / step) * step, math.ceil(y1 / step) * step
    xs = np.arange(lo_x, hi_x + step / 2, step)
    ys = np.arange(lo_y, hi_y + step / 2, step)
    along_y = [((x, lo_y, z), (x, hi_y, z)) for x in xs]
    along_x = [((lo_x, y, z), (hi_x, y, z)) for y in ys]
    vertices = np.array(along_y + along_x, dtype=np.float32).reshape(-1, 3)
    segments = np.arange(len(vertices)).reshape(-1, 2)
    return vertices, segments


def ring_geometry(max_radius: float, z: float, step: float | None = None, sides: int = 96):
    """Vertices and segments of circles around the origin every ``step`` metres up to ``max_radius``."""
    step = step or nice_step(max_radius, lines=6)
    radii = np.arange(step, max(max_radius, step) + step / 2, step)
    angles = np.linspace(0.0, 2.0 * np.pi, sides, endpoint=False)
    circle = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    vertices = np.concatenate([np.column_stack([circle * r, np.full(sides, z)]) for r in radii]).astype(
        np.float32
    )
    ring = np.stack([np.arange(sides), (np.arange(sides) + 1) % sides], axis=1)
    segments = np.concatenate([ring + k * sides for k in range(len(radii))])
    return vertices, segments


def _lines_actor(color: tuple[float, float, float]) -> tuple[vtkPolyDataMapper, vtkActor]:
    mapper = vtkPolyDataMapper()
    mapper.ScalarVisibilityOff()
    actor = vtkActor()
    actor.SetMapper(mapper)
    prop = actor.GetProperty()
    prop.SetColor(*color)
    prop.LightingOff()
    actor.PickableOff()
    actor.VisibilityOff()
    return mapper, actor


class GroundOverlay:
    """A grid on the ground and range rings around the sensor (the origin), each toggled on its own."""

    def __init__(self) -> None:
        self._grid_mapper, self.grid_actor = _lines_actor((0.30, 0.32, 0.36))
        self._ring_mapper, self.ring_actor = _lines_actor((0.42, 0.40, 0.30))
        self._has_geometry = False
        self._grid_visible = True
        self._rings_visible = False

    @property
    def props(self) -> list[vtkActor]:
        """The actors to add to a renderer."""
        return [self.grid_actor, self.ring_actor]

    def set_extent(self, bounds: tuple[float, ...] | None, ground_z: float = 0.0) -> None:
        """Lay the grid and rings under a cloud with these bounds (None: remove them)."""
        if bounds is None:
            self._has_geometry = False
        else:
            vertices, segments = grid_geometry(bounds, ground_z)
            self._grid_mapper.SetInputData(line_polydata(vertices, segments))
            x0, x1, y0, y1 = bounds[:4]
            reach = max(math.hypot(x, y) for x in (x0, x1) for y in (y0, y1))
            vertices, segments = ring_geometry(reach, ground_z)
            self._ring_mapper.SetInputData(line_polydata(vertices, segments))
            self._has_geometry = True
        self._update_visibility()

    def set_visible(self, grid: bool, rings: bool) -> None:
        """Show or hide the grid and the rings."""
        self._grid_visible, self._rings_visible = grid, rings
        self._update_visibility()

    def _update_visibility(self) -> None:
        self.grid_actor.SetVisibility(self._has_geometry and self._grid_visible)
        self.ring_actor.SetVisibility(self._has_geometry and self._rings_visible)


class ColorBar:
    """A vertical colour bar (legend) for the lookup table the points are coloured with."""

    def __init__(self) -> None:
        self.actor = vtkScalarBarActor()
        self.actor.SetNumberOfLabels(5)
        self.actor.SetLabelFormat("%-#6.3g")
        self.actor.UnconstrainedFontSizeOn()
        self.actor.SetVerticalTitleSeparation(10)
        self.actor.SetBarRatio(0.25)
        self.actor.SetTextPositionToPrecedeScalarBar()
        self.actor.SetMaximumWidthInPixels(90)
        self.actor.SetMaximumHeightInPixels(300)
        self.actor.GetPositionCoordinate().SetValue(0.86, 0.06)
        self.actor.SetWidth(0.12)
        self.actor.SetHeight(0.5)
        for text, size in ((self.actor.GetTitleTextProperty(), 13), (self.actor.GetLabelTextProperty(), 12)):
            text.SetColor(0.92, 0.92, 0.92)
            text.ShadowOff()
            text.ItalicOff()
            text.BoldOff()
            text.SetFontSize(size)
        self.actor.VisibilityOff()
        self._enabled = True
        self._lut: vtkLookupTable | None = None

    def set_table(self, lut: vtkLookupTable | None, title: str = "") -> None:
        """Show ``lut`` with a title (None: nothing to show, e.g. RGB colouring)."""
        self._lut = lut
        if lut is not None:
            self.actor.SetLookupTable(lut)
            self.actor.SetTitle(title)
        self._update_visibility()

    def set_enabled(self, enabled: bool) -> None:
        """Allow or forbid showing the bar."""
        self._enabled = enabled
        self._update_visibility()

    def _update_visibility(self) -> None:
        self.actor.SetVisibility(self._enabled and self._lut is not None)
