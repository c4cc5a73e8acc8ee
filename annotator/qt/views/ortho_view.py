"""An orthographic view (top, side or front) that follows the selected cuboid."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF, Signal
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


class _Preparation:
    """A turn of the window's render scheduler of its own for an orthographic view's new content (see
    `OrthoView.show_frame` with ``defer``)."""

    def __init__(self, view: OrthoView) -> None:
        self._view = view

    def render_now(self) -> float:
        """Prepare the view's content now (its render follows in a later turn)."""
        self._view.prepare()
        return 0.0


class _Refit:
    """A turn of the window's render scheduler of its own, after the views' renders of an edit (background
    work: see `RenderScheduler`), for an orthographic view's fresh fit around a walked box (see
    `OrthoView.show_frame` with ``defer_fit``)."""

    background = True

    def __init__(self, view: OrthoView) -> None:
        self._view = view

    def render_now(self) -> float:
        """Fit the view afresh around the selected box and render it now."""
        return self._view.refit_now()


class OrthoView(SceneView):
    """Parallel projection from the top, the side or the front.

    With a selection it is centred on the selected cuboid, aligned with its heading and fitted to it
    with a margin, drawing only the points within that margin. A left or middle drag pans, the wheel
    zooms to the cursor; the view fits itself again when the selection or the box changes.
    """

    scene: OrthoScene

    #: Content shown with ``defer`` was taken in (see `show_frame`).
    prepared = Signal()

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
        self._pending: tuple[bool, bool] | None = None  # (fit, defer_crop) of content not prepared yet
        self._preparation = _Preparation(self)
        self._refit = _Refit(self)
        self.deferred_fits = 0  # fits done in a turn of their own after an edit's renders (`refit_now`)
        self.canvas.resized.connect(self._refit_if_fitted)

    def show_frame(
        self,
        cloud: PreparedCloud | None,
        items: Sequence[CuboidItem],
        selection: Sequence[int],
        fit: bool = True,
        defer_crop: bool = False,
        defer: bool = False,
        hold_longer: bool = False,
        defer_fit: bool = False,
    ) -> None:
        """Show the frame's cloud and cuboids around the first of the ``selection`` (ids, any more drawn
        as selected too); ``fit`` re-centres the camera; ``defer_crop``, ``hold_longer``: see
        `OrthoScene.show` (``hold_longer`` only for content taken in at once). With ``defer_fit`` (a
        walked box) a view that would fit the box afresh is drawn only in a turn of its own after the other
        views' renders, where it fits the box (`OrthoScene.fit_deferred`, `refit_now`). With
        ``defer`` the scene takes the content in a turn of the render scheduler of its own (a new cloud:
        the other views' first pictures take turns with it), or when the view is used before."""
        self._content = (cloud, list(items), list(selection))
        if defer:
            fit = fit or (self._pending is not None and self._pending[0])
            self._pending = (fit, defer_crop)
            self.scheduler.withdraw(self)  # the view's render comes after the preparation's turn
            self.scheduler.withdraw(self._refit)
            self.scheduler.request(self._preparation)
        else:
            self._pending = None
            self.scheduler.withdraw(self._preparation)
            self._show(fit, defer_crop, hold_longer, defer_fit)
            if self.scene.fit_deferred:
                self.scheduler.request(self._refit)
            elif fit:  # fitted now or held still: no fit waits (content shown unfitted leaves one waiting)
                self.scheduler.withdraw(self._refit)
        if fit:
            self._fitted = True
        self.request_render()

    def prepare(self) -> None:
        """Take in content shown with ``defer`` now, if any is waiting; emits `prepared`."""
        pending, self._pending = self._pending, None
        self.scheduler.withdraw(self._preparation)
        if pending is not None:
            self._show(*pending)
            self.prepared.emit()

    def refit_now(self) -> float:
        """Fit the selected box afresh (a fit deferred by `show_frame`) and draw the view now, its new crop
        and the moved box in one render (a walk's sparser crop: `OrthoScene.walking`; 13-20 ms at 10M-20M
        points, where drawing the moved box over the old picture first, then the new crop unseen and then
        the overlay in three turns cost 25-30). Milliseconds. Emits `prepared` (the crop it draws may be
        wanted from a worker)."""
        self.scheduler.withdraw(self._refit)
        if self.canvas.disposed or self._content[0] is None:
            return 0.0
        self.prepare()
        self._show(True, True)
        self.deferred_fits += 1
        self.prepared.emit()
        return self.render_now()

    def request_render(self) -> None:
        """See `SceneView.request_render`; while a fresh fit waits for its turn (`refit_now`), that turn
        draws the view: no render of its kept picture goes before it."""
        if self.scheduler.pending(self._refit):
            self.scheduler.withdraw(self)
            return
        super().request_render()

    def render_now(self) -> float:
        """See `SceneView.render_now` (content still waiting is taken in first)."""
        self.prepare()
        return super().render_now()

    def take_turn(self) -> float:
        """See `SceneView.take_turn` (content still waiting is taken in first)."""
        self.prepare()
        return super().take_turn()

    def capture(self) -> np.ndarray:
        """See `SceneView.capture` (content still waiting is taken in first)."""
        self.prepare()
        return super().capture()

    def pick_at(self, position: QPointF, toggle: bool = False) -> None:
        """See `SceneView.pick_at` (content still waiting is taken in first)."""
        self.prepare()
        super().pick_at(position, toggle)

    def _show(
        self, fit: bool, defer_crop: bool = False, hold_longer: bool = False, defer_fit: bool = False
    ) -> None:
        cloud, items, selection = self._content
        primary = selection[0] if selection else None
        self.scene.show(
            cloud,
            items,
            primary,
            fit=fit,
            also=selection[1:],
            defer_crop=defer_crop,
            hold_longer=hold_longer,
            defer_fit=defer_fit,
        )

    def _refit_if_fitted(self) -> None:
        if self._fitted and self._content[0] is not None:
            self.scene.release_fit()
            self._show(True)
            self.request_render()

    # -- ViewHost -----------------------------------------------------------------------------------
    def world_at(self, position: QPointF) -> np.ndarray | None:
        """The point under the cursor on the plane through the view's centre."""
        self.prepare()
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
