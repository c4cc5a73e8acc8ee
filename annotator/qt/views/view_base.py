"""What every 3D view shares: a VTK canvas, a scene, on-demand rendering, picking and the cursor."""

from __future__ import annotations

import logging
import time

import numpy as np
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from annotator.qt.views.interaction import InteractionMode
from annotator.qt.views.render_scheduler import RenderScheduler
from annotator.qt.views.vtk_widget import VtkCanvas
from annotator.render.camera import CameraPose, ray_plane_z
from annotator.render.picking import pick_cuboid
from annotator.render.rehearsal import rehearse
from annotator.render.scene import Scene
from annotator.render.style import DisplayOptions

logger = logging.getLogger(__name__)


class SceneView(QWidget):
    """A titled 3D view. Subclasses choose the scene, the camera rules and the interaction mode.

    Rendering is on demand: `request_render` hands the view to a `RenderScheduler` (shared by the
    views of one window), which coalesces requests and renders one view per event-loop turn; nothing
    renders on a timer.
    """

    #: The user clicked: the annotation id under the cursor, or None for empty space.
    picked = Signal(object)
    #: A Ctrl+click: the cuboid under the cursor joins or leaves the selection.
    toggled = Signal(object)
    #: The world point under the cursor (numpy (3,)) or None when the cursor left.
    cursor_moved = Signal(object)
    #: A render finished: its duration in milliseconds.
    rendered = Signal(float)

    def __init__(
        self,
        scene: Scene,
        title: str,
        parent: QWidget | None = None,
        scheduler: RenderScheduler | None = None,
    ) -> None:
        super().__init__(parent)
        self.scheduler = scheduler if scheduler is not None else RenderScheduler(self)
        self.setObjectName(f"view-{title.lower()}")
        self.scene = scene
        self.title = QLabel(title)
        self.title.setObjectName("viewTitle")
        self.canvas = VtkCanvas(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.title)
        layout.addWidget(self.canvas, 1)
        self.placeholder = QLabel()
        self.placeholder.setObjectName("viewPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.hide()
        layout.addWidget(self.placeholder, 1)
        scene.attach(self.canvas.render_window)
        self.canvas.render_requested.connect(self.request_render)
        self.render_count = 0
        self.last_render_ms = 0.0
        #: Whether a tiny frame was drawn unseen before the first render (see `annotator.render.rehearsal`).
        self.rehearsed = False

    # -- interaction mode ---------------------------------------------------------------------------
    def set_mode(self, mode: InteractionMode) -> None:
        """Let ``mode`` handle this view's mouse input."""
        self.canvas.mode = mode

    def set_placeholder(self, text: str | None) -> None:
        """Show ``text`` instead of the picture (e.g. "This frame has no point cloud"); None: the picture."""
        self.placeholder.setText(text or "")
        self.placeholder.setVisible(bool(text))
        self.canvas.setVisible(not text)
        if not text:
            self.request_render()

    # -- rendering ----------------------------------------------------------------------------------
    def request_render(self) -> None:
        """Render once in a coming event-loop turn (many requests, one render; other views' renders
        take turns with this one)."""
        self.scheduler.request(self)

    @property
    def _render_pending(self) -> bool:
        return self.scheduler.pending(self)

    def take_turn(self) -> float:
        """The render scheduler's turn: `render_now`, except that the first picture of new content (another
        cloud) takes two turns: its cloud layers are drawn unseen now and shown, under the boxes, in the
        next turn (see `LayeredPicture.draw_unseen`); returns milliseconds."""
        picture = self.scene.picture
        if not picture.split_pending or not self._ready_to_render():
            return self.render_now()
        self.scheduler.withdraw(self)
        start = time.perf_counter()
        self.scene.reset_clipping()
        if not picture.draw_unseen():
            return self.render_now()
        self.scheduler.request(self, first=True)
        return (time.perf_counter() - start) * 1000.0

    def _ready_to_render(self) -> bool:
        """False when the view draws nothing (a placeholder, a released window); compiles the programs on
        the first call (see `annotator.render.rehearsal`)."""
        if self.canvas.isHidden() or self.canvas.disposed:  # a placeholder stands in for the picture
            return False
        if not self.rehearsed:  # the window starts: compile the programs now
            self.rehearsed = rehearse(self.scene.picture, self.scene.options, self.scene.parallel)
        return True

    def render_now(self) -> float:
        """Render at once; returns the time it took in milliseconds."""
        self.scheduler.withdraw(self)
        if self.canvas.isHidden():  # a placeholder stands in for the picture
            return 0.0
        self._ready_to_render()
        start = time.perf_counter()
        self.scene.reset_clipping()
        self.canvas.render_now()
        elapsed = (time.perf_counter() - start) * 1000.0
        self.render_count += 1
        self.last_render_ms = elapsed
        self.rendered.emit(elapsed)
        return elapsed

    def capture(self) -> np.ndarray:
        """The view's pixels now (renders first), (H, W, 3) uint8."""
        self.scheduler.withdraw(self)
        return self.canvas.capture()

    def set_options(self, options: DisplayOptions) -> None:
        """Apply display options and redraw."""
        self.scene.set_options(options)
        self.request_render()

    def set_camera_pose(self, pose: CameraPose) -> None:
        """Move the camera and redraw."""
        self.scene.set_camera_pose(pose)
        self.request_render()

    def dispose(self) -> None:
        """Release VTK resources (the view draws nothing afterwards)."""
        self.scheduler.withdraw(self)
        if not self.canvas.disposed:
            self.scene.picture.release()
        self.canvas.dispose()

    # -- ViewHost ----------------------------------------------------------------------------------
    def display_point(self, position: QPointF) -> tuple[float, float]:
        """A Qt position in the canvas as VTK display coordinates."""
        return self.canvas.to_display(position.x(), position.y())

    def ray_at(self, position: QPointF) -> tuple[np.ndarray, np.ndarray]:
        """The world ray under a canvas position."""
        return self.scene.display_ray(*self.display_point(position))

    def pick_at(self, position: QPointF, toggle: bool = False) -> None:
        """Emit `picked` with the cuboid under ``position`` (None: empty space), or `toggled` with it
        for a Ctrl+click (``toggle``; empty space then changes nothing)."""
        origin, direction = self.ray_at(position)
        hit = pick_cuboid(origin, direction, [(item.id, item.cuboid) for item in self.scene.items])
        if not toggle:
            self.picked.emit(hit)
        elif hit is not None:
            self.toggled.emit(hit)

    def hover(self, position: QPointF | None) -> None:
        """Emit `cursor_moved` with the world point under the cursor."""
        self.cursor_moved.emit(None if position is None else self.world_at(position))

    def world_at(self, position: QPointF) -> np.ndarray | None:
        """The world point under a canvas position (subclasses refine this)."""
        surface = self.scene.surface_point(*self.display_point(position))
        if surface is not None:
            return surface
        origin, direction = self.ray_at(position)
        ground = 0.0 if self.scene.cloud is None else self.scene.cloud.ground_z
        return ray_plane_z(origin, direction, ground)

    def zoom_at(self, position: QPointF, factor: float) -> None:
        """Zoom toward the point under ``position``; see subclasses."""
        raise NotImplementedError

    def pan_by(self, dx: float, dy: float) -> None:
        """Pan by a pixel offset; see subclasses."""

    def begin_motion(self) -> None:
        """The camera is about to move; see subclasses."""
