"""The perspective view: orbit, pan and zoom to the cursor with the mouse, fly with the keyboard,
camera presets, level of detail while moving, click to select."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QWidget

from annotator.core.cuboids.cuboid import Cuboid
from annotator.qt.views.interaction import NavigateMode
from annotator.qt.views.lod import LodController
from annotator.qt.views.refiner import DetailRefiner
from annotator.qt.views.render_scheduler import RenderScheduler
from annotator.qt.views.view_base import SceneView
from annotator.render.camera import (
    bird_eye_pose,
    default_pose,
    fly_pose,
    fly_step,
    focus_pose,
    zoom_pose,
)
from annotator.render.cloud import PreparedCloud
from annotator.render.cuboids import CuboidItem
from annotator.render.navigation import orbit_style
from annotator.render.scene import PerspectiveScene
from annotator.render.shared import SharedGeometry

logger = logging.getLogger(__name__)


class PerspectiveView(SceneView):
    """The large free-camera view of the whole frame."""

    scene: PerspectiveScene

    def __init__(
        self,
        parent: QWidget | None = None,
        scheduler: RenderScheduler | None = None,
        shared: SharedGeometry | None = None,
    ) -> None:
        super().__init__(PerspectiveScene(shared), "Perspective", parent, scheduler)
        self.lod = LodController(self._set_detail, self.request_render, parent=self)
        #: Adds a large cloud's full detail chunk by chunk once the camera rests.
        self.refiner = DetailRefiner(self, parent=self, scheduler=self.scheduler)
        self.scene.picture.on_draw = self._cloud_layer_drawn
        self._style = orbit_style()
        self.canvas.set_interactor_style(self._style)
        self.set_mode(NavigateMode(self, handles_drag=False))
        self._has_camera = False

    # -- content ------------------------------------------------------------------------------------
    def set_cloud(self, cloud: PreparedCloud | None, reset_camera: bool = False) -> None:
        """Show a frame's cloud; the camera stays where it is unless asked (or this is the first cloud).

        A cloud larger than the level-of-detail budget is drawn first as its sparse rest sample, then its
        full detail is added chunk by chunk, so a big cloud appears at once and input stays live.
        """
        self.lod.rest()
        if cloud is not self.scene.cloud:  # the detail starts over once the new cloud's layer is drawn
            self.refiner.cancel()
        self.scene.set_cloud(cloud)
        if cloud is not None and (reset_camera or not self._has_camera):
            self.scene.set_camera_pose(default_pose(cloud.bounds))
            self._has_camera = True
        self.request_render()

    def set_faded(self, cloud: PreparedCloud | None) -> None:
        """Draw these points dimmed (moving objects of merged sweeps; None: none)."""
        self.scene.set_faded(cloud)
        self.request_render()

    def set_cuboids(
        self, items: Sequence[CuboidItem], selected: int | None, also: Sequence[int] = ()
    ) -> None:
        """Draw the frame's cuboids with ``selected`` (and ``also``) emphasised."""
        self.scene.set_cuboids(items, selected, also)
        self.request_render()

    def dispose(self) -> None:
        """See `SceneView.dispose` (the detail's worker goes too)."""
        self.refiner.shutdown()
        super().dispose()

    def forget_camera(self) -> None:
        """Place the camera afresh for the next cloud (another project was opened)."""
        self._has_camera = False

    @property
    def detail(self) -> str:
        """``"full"`` (every point drawn) or ``"coarse"`` (the camera moves, or the full detail is still
        being added, or not yet started)."""
        scene, cloud = self.scene, self.scene.cloud
        if self.refiner.active or scene.detail == "coarse":
            return "coarse"
        if cloud is not None and scene.picture.enabled and scene.drawn_points < len(cloud):
            # the sample is drawn (or about to be) and the detail comes next, unless a pass is done: a cloud out
            # of core leaves out the runs outside the view
            return "full" if scene.refine_done else "coarse"
        return "full"

    @property
    def refining(self) -> bool:
        """True while the full detail is still being added chunk by chunk."""
        return self.refiner.active

    def _set_detail(self, full: bool) -> bool:
        changed = self.scene.set_detail(full)
        if not full:
            self.refiner.cancel()
        elif changed:
            self.refiner.start()
        return changed

    def _cloud_layer_drawn(self) -> None:
        """The cloud layer was drawn afresh (camera, cloud or colours changed): at rest, add the detail."""
        self.scene.clear_detail()
        if self.scene.detail == "full" and self.scene.picture.enabled:  # chunks need the kept picture
            self.refiner.start()
        else:
            self.refiner.cancel()

    # -- camera presets -----------------------------------------------------------------------------
    def reset_camera(self) -> None:
        """Back to the default view of the frame."""
        if self.scene.cloud is not None:
            self.set_camera_pose(default_pose(self.scene.cloud.bounds))

    def bird_eye(self) -> None:
        """Look straight down on the whole frame."""
        if self.scene.cloud is not None:
            self.set_camera_pose(bird_eye_pose(self.scene.cloud.bounds))

    def focus_selected(self) -> bool:
        """Centre on the selected cuboid and come close; False when nothing is selected."""
        item = self.scene.selected_item()
        if item is None:
            return False
        self.focus_on(item.cuboid)
        return True

    def focus_on(self, cuboid: Cuboid) -> None:
        """Centre on ``cuboid`` and come close, keeping the direction the camera looks in."""
        self.set_camera_pose(focus_pose(self.scene.camera_pose(), cuboid))

    def fly(self, forward: float, right: float, up: float, speed: float = 1.0) -> None:
        """Move the camera one step (times ``speed``) along its view, its right and world up."""
        pose = self.scene.camera_pose()
        self.begin_motion()
        self.set_camera_pose(fly_pose(pose, forward, right, up, fly_step(pose) * speed))

    # -- ViewHost -----------------------------------------------------------------------------------
    def begin_motion(self) -> None:
        """Draw coarse while the camera moves."""
        self.lod.motion()

    def zoom_at(self, position: QPointF, factor: float) -> None:
        """Move toward (factor > 1) or away from the point under the cursor, which stays put."""
        pose = self.scene.camera_pose()
        anchor = self.world_at(position)
        if anchor is None or float(np.dot(anchor - np.asarray(pose.position), pose.direction)) <= 0:
            _, direction = self.ray_at(position)
            anchor = np.asarray(pose.position) + direction * pose.distance
        self.set_camera_pose(zoom_pose(pose, anchor, factor))
