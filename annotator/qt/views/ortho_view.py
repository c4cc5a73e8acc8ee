"""An orthographic view (top, side or front) that follows the selected cuboid."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QWidget

from annotator.qt.views.interaction import NavigateMode
from annotator.qt.views.render_scheduler import RenderScheduler
from annotator.qt.views.view_base import SceneView
from annotator.render.camera import pan_pose, zoom_pose
from annotator.render.cloud import PreparedCloud
from annotator.render.cuboids import CuboidItem
from annotator.render.navigation import passive_style
from annotator.render.scene import OrthoScene
from annotator.render.shared import SharedGeometry

logger = logging.getLogger(__name__)

TITLES = {"top": "Top", "side": "Side", "front": "Front"}


class OrthoView(SceneView):
    """Parallel projection from the top, the side or the front.

    With a selection it is centred on the selected cuboid, aligned with its heading and fitted to it
    with a margin, drawing only the points within that margin. A left or middle drag pans, the wheel
    zooms to the cursor; the view fits itself again when the selection or the box changes.
    """

    scene: OrthoScene

    def __init__(
        self,
        axis: str,
        parent: QWidget | None = None,
        scheduler: RenderScheduler | None = None,
        shared: SharedGeometry | None = None,
    ) -> None:
        super().__init__(OrthoScene(axis, shared), TITLES[axis], parent, scheduler)
        self.axis = axis
        self.canvas.set_interactor_style(passive_style())
        self.set_mode(NavigateMode(self, handles_drag=True))
        self._content: tuple[PreparedCloud | None, list[CuboidItem], list[int]] = (None, [], [])
        self._fitted = True  # the camera is where the last fit put it (so a resize refits)
        self.canvas.resized.connect(self._refit_if_fitted)

    def show_frame(
        self,
        cloud: PreparedCloud | None,
        items: Sequence[CuboidItem],
        selection: Sequence[int],
        fit: bool = True,
        defer_crop: bool = False,
    ) -> None:
        """Show the frame's cloud and cuboids around the first of the ``selection`` (ids, any more drawn
        as selected too); ``fit`` re-centres the camera; ``defer_crop``: see `OrthoScene.show`."""
        self._content = (cloud, list(items), list(selection))
        self._show(fit, defer_crop)
        if fit:
            self._fitted = True
        self.request_render()

    def _show(self, fit: bool, defer_crop: bool = False) -> None:
        cloud, items, selection = self._content
        primary = selection[0] if selection else None
        self.scene.show(cloud, items, primary, fit=fit, also=selection[1:], defer_crop=defer_crop)

    def _refit_if_fitted(self) -> None:
        if self._fitted and self._content[0] is not None:
            self.scene.release_fit()
            self._show(True)
            self.request_render()

    # -- ViewHost -----------------------------------------------------------------------------------
    def world_at(self, position: QPointF) -> np.ndarray | None:
        """The point under the cursor on the plane through the view's centre."""
        origin, direction = self.ray_at(position)
        pose = self.scene.camera_pose()
        t = float(np.dot(np.asarray(pose.focal_point) - origin, direction))
        return origin + t * direction

    def zoom_at(self, position: QPointF, factor: float) -> None:
        """Zoom keeping the point under the cursor in place."""
        self._fitted = False
        anchor = self.world_at(position)
        self.set_camera_pose(zoom_pose(self.scene.camera_pose(), anchor, factor))

    def pan_by(self, dx: float, dy: float) -> None:
        """Drag the content with the cursor."""
        self._fitted = False
        _, height = self.scene.viewport_size()
        scale = self.canvas.device_pixel_ratio()
        self.set_camera_pose(pan_pose(self.scene.camera_pose(), dx * scale, -dy * scale, height))
