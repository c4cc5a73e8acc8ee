"""The box being dragged, drawn on its own over a scene (the scene's own drawing of it is hidden meanwhile).

During a drag only this actor changes, so a mouse move costs a few tiny poly data updates instead of
rebuilding every box, crop and highlight of the four views; the edit is committed when the drag ends.
"""

from __future__ import annotations

import logging

from annotator.core.cuboids.cuboid import Cuboid
from annotator.render._vtk import vtkActor, vtkPolyDataMapper, vtkRenderer
from annotator.render.cuboids import CuboidItem, wireframe
from annotator.render.polydata import colour_array, line_polydata
from annotator.render.scene import Scene

logger = logging.getLogger(__name__)


class BoxPreview:
    """One wireframe (thick, in the box's colour) standing in for a scene's selected box."""

    def __init__(self, scene: Scene, line_width: float = 4.0) -> None:
        self.scene = scene
        self._mapper = vtkPolyDataMapper()
        self._mapper.SetScalarModeToUseCellData()
        self._mapper.SetColorModeToDirectScalars()
        self.actor = vtkActor()
        self.actor.SetMapper(self._mapper)
        self.actor.GetProperty().SetLineWidth(line_width)
        self.actor.GetProperty().LightingOff()
        self.actor.VisibilityOff()
        renderer: vtkRenderer = scene.picture.overlay  # drawn over the kept cloud picture
        renderer.AddViewProp(self.actor)
        self.cuboid: Cuboid | None = None
        self._selected_was_visible = 0

    def show(self, cuboid: Cuboid, color: tuple[int, int, int]) -> None:
        """Draw ``cuboid`` in place of the scene's selected box."""
        if self.cuboid is None:
            self._selected_was_visible = self.scene.cuboids.selected_actor.GetVisibility()
        self.scene.cuboids.selected_actor.VisibilityOff()
        vertices, segments, colors = wireframe([CuboidItem(0, cuboid, color)])
        polydata = line_polydata(vertices, segments)
        polydata.GetCellData().SetScalars(colour_array(colors))
        self._mapper.SetInputData(polydata)
        self.actor.VisibilityOn()
        self.cuboid = cuboid

    def hide(self) -> None:
        """Stop standing in: the scene draws its selected box again."""
        if self.cuboid is not None:
            self.scene.cuboids.selected_actor.SetVisibility(self._selected_was_visible)
        self.actor.VisibilityOff()
        self.cuboid = None
