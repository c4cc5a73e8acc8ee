"""A frozen picture of a scene's cloud behind its boxes, so a box drag redraws only the box actors.

While a box is dragged the camera stays still, so the cloud's picture does not change: `Backdrop`
renders it once (points, grid and rings, without the boxes), shows that image as the renderer's
background and hides the point actors. Each render during the drag then draws one textured quad and the
box lines instead of the whole cloud. `release` puts everything back as it was.
"""

from __future__ import annotations

import logging

from annotator.render._vtk import vtkTexture, vtkWindowToImageFilter
from annotator.render.scene import Scene

logger = logging.getLogger(__name__)


class Backdrop:
    """Freeze ``scene``'s cloud into its background until `release` (the camera must not move meanwhile)."""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene
        renderer = scene.renderer
        window = renderer.GetRenderWindow()
        self._hidden: list[tuple[object, int]] = []
        boxes = [*scene.cuboids.props, scene.highlight.actor]
        shown = [(prop, prop.GetVisibility()) for prop in boxes]
        for prop, _ in shown:
            prop.VisibilityOff()
        scene.reset_clipping()
        window.Render()
        grabber = vtkWindowToImageFilter()
        grabber.SetInput(window)
        grabber.SetInputBufferTypeToRGB()
        grabber.ReadFrontBufferOff()
        grabber.SetShouldRerender(False)
        grabber.Update()
        self._texture = vtkTexture()
        self._texture.SetInputData(grabber.GetOutput())
        self._texture.InterpolateOff()
        for prop, visible in shown:
            prop.SetVisibility(visible)
        for prop in [*scene.points.actors, *scene.ground.props]:
            self._hidden.append((prop, prop.GetVisibility()))
            prop.VisibilityOff()
        renderer.SetBackgroundTexture(self._texture)
        renderer.TexturedBackgroundOn()

    def release(self) -> None:
        """Draw the live cloud again."""
        for prop, visible in self._hidden:
            prop.SetVisibility(visible)
        self._hidden = []
        self.scene.renderer.TexturedBackgroundOff()
        self.scene.renderer.SetBackgroundTexture(None)
