"""A view's scene: one VTK renderer with point, cuboid and helper layers, and its camera.

`PerspectiveScene` draws the whole cloud at two levels of detail; `OrthoScene` draws a top, side or
front view that, with a selected cuboid, shows only the points around it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.render._vtk import vtkRenderer, vtkRenderWindow
from annotator.render.camera import (
    CameraPose,
    ortho_margin,
    ortho_pose_for_bounds,
    ortho_pose_for_cuboid,
)
from annotator.render.cloud import COLOR_MODE_TITLES, PointSet, PreparedCloud
from annotator.render.colors import COLORMAP_OF_MODE, lookup_table, unit_rgb
from annotator.render.cuboids import CuboidItem, CuboidLayer, LabelRoom, inside_points
from annotator.render.layers import LayeredPicture
from annotator.render.overlays import ColorBar, GroundOverlay
from annotator.render.points import LodPoints, PointLayer
from annotator.render.shared import SharedGeometry
from annotator.render.style import DisplayOptions

logger = logging.getLogger(__name__)

#: Most points an orthographic view draws around the selected box (an even sample of a denser crop):
#: plenty to fill a view of a few hundred pixels, and a redraw of the crop within the 50 ms budget (software
#: OpenGL spends about a microsecond per point, whatever its size on screen).
CROP_POINTS = 25_000
#: Most highlighted points drawn for the boxes (an even sample beyond). They are drawn over the kept cloud
#: picture on every render of a view (a nudge included), one point size larger than the cloud's, so a
#: sample this size already covers a dense box on screen.
HIGHLIGHT_POINTS = 10_000
#: How far (a share of the margin) the selected box may move, unturned and unresized, before an
#: orthographic view fits it afresh: within it the view, its crop and its kept cloud picture stay put
#: and only the box is drawn again.
HOLD_SHARE = 0.5
#: How far the box may move before a view fits it afresh when another view was fitted afresh by the same
#: edit (``hold_longer``): the views then fit a walked box on different steps, one per step, so no step
#: draws more than one new crop (the box, at most this share of the margin off the fitted place, and the
#: points around it are still in view).
HOLD_LONGER_SHARE = 0.8
#: How far the box may move while a walked box's fresh fit waits for a turn of its own after the edit's
#: renders (``defer_fit``): the other views are redrawn over their kept pictures first, the box still in
#: view (at most this share of the margin off the fitted place) and within the crop drawn.
DEFER_SHARE = 0.9
#: While the selected box is walked (`OrthoScene.walking`), a view fitted afresh around it draws every
#: this-many-th point of its crop, as the perspective view draws a sample while its camera moves: the
#: step that fits a view afresh draws half the points (at 10M-20M points, the longest walking step fell from
#: 67-77 ms to 59-66 in runs paired with the code before). The whole crop is drawn once the walk rests.
WALK_THIN = 2


class Scene:
    """A renderer with a cloud, cuboids, highlighted inside points, a ground grid and a colour bar."""

    #: Whether this scene's camera uses parallel projection.
    parallel = False

    def __init__(self, shared: SharedGeometry | None = None) -> None:
        self._renderer = vtkRenderer()
        self._shared = shared if shared is not None else SharedGeometry()
        self.points = LodPoints()
        self.highlight = PointLayer()
        self.cuboids = CuboidLayer(shared=self._shared)
        self.ground = GroundOverlay()
        self.color_bar = ColorBar()
        #: The cloud layers drawn only when they or the camera change; boxes drawn over them (see
        #: `LayeredPicture`).
        self.picture = LayeredPicture(self._renderer)
        for prop in [*self.points.actors, *self.ground.props]:
            self._renderer.AddViewProp(prop)
        for prop in [self.highlight.actor, *self.cuboids.props, self.color_bar.actor]:
            self.picture.overlay.AddViewProp(prop)
        self._renderer.GetActiveCamera().SetParallelProjection(self.parallel)
        self.cloud: PreparedCloud | None = None
        self.items: list[CuboidItem] = []
        self.selected: int | None = None
        self.options = DisplayOptions()
        self._coloring: tuple[PreparedCloud, str, bool] | None = None  # what the lookup table was made for
        self.coloring: tuple[str, object] = ("height", None)  # the colour mode and lookup table in use
        #: What the highlight shows: the cloud, the points it is limited to, the boxes, whether exact, and
        #: whether it draws what the exact points would (a dense enough stand-in does: `inside_points`).
        self._highlighted: tuple[PreparedCloud, np.ndarray | None, list, bool, bool] | None = None
        #: Whether points not found at once (a large cloud's index queried on this thread) may be drawn as
        #: a stand-in of sample points, for an owner that has them found in a worker and shows them again
        #: (see `provisional`); False: always the exact points.
        self.stand_ins = False

    # -- wiring -------------------------------------------------------------------------------------
    def attach(self, window: vtkRenderWindow) -> None:
        """Draw this scene in ``window`` (one scene per window)."""
        self.picture.attach(window)

    @property
    def renderer(self) -> vtkRenderer:
        """The VTK renderer (for the Qt widget that hosts it)."""
        return self._renderer

    # -- camera -------------------------------------------------------------------------------------
    def camera_pose(self) -> CameraPose:
        """The camera as a plain value."""
        camera = self._renderer.GetActiveCamera()
        return CameraPose(
            position=tuple(camera.GetPosition()),
            focal_point=tuple(camera.GetFocalPoint()),
            view_up=tuple(camera.GetViewUp()),
            parallel=bool(camera.GetParallelProjection()),
            parallel_scale=float(camera.GetParallelScale()),
            view_angle=float(camera.GetViewAngle()),
        )

    def set_camera_pose(self, pose: CameraPose) -> None:
        """Move the camera to ``pose`` (and fit the clipping range to what is drawn)."""
        camera = self._renderer.GetActiveCamera()
        camera.SetPosition(*pose.position)
        camera.SetFocalPoint(*pose.focal_point)
        camera.SetViewUp(*pose.view_up)
        camera.SetParallelProjection(pose.parallel)
        camera.SetParallelScale(pose.parallel_scale)
        camera.SetViewAngle(pose.view_angle)
        camera.OrthogonalizeViewUp()
        self.reset_clipping()

    def reset_clipping(self) -> None:
        """Fit the near and far planes to the visible props of the cloud and overlay layers (boxes may
        reach past the cloud; a change of the planes redraws the cloud layer)."""
        cloud = self._renderer.ComputeVisiblePropBounds()
        overlay = self.picture.overlay.ComputeVisiblePropBounds()
        valid = [b for b in (cloud, overlay, self._steady_bounds()) if b is not None and b[0] <= b[1]]
        if not valid:
            self._renderer.ResetCameraClippingRange()
            return
        bounds = [
            min(b[axis] for b in valid) if axis % 2 == 0 else max(b[axis] for b in valid) for axis in range(6)
        ]
        self._renderer.ResetCameraClippingRange(*bounds)

    def _steady_bounds(self) -> Sequence[float] | None:
        """More bounds for the near and far planes to hold, so that they stay put while a box moves a
        little (moving them would draw the cloud layer again); None: none."""
        return None

    def viewport_size(self) -> tuple[int, int]:
        """Width and height in pixels of the area the scene draws in."""
        width, height = self._renderer.GetSize()
        return max(int(width), 1), max(int(height), 1)

    @property
    def aspect(self) -> float:
        """Width / height of the viewport."""
        width, height = self.viewport_size()
        return width / height

    def frustum_planes(self) -> np.ndarray:
        """The planes (a, b, c, d) bounding what the camera sees, (6, 4): a x + b y + c z + d >= 0 inside."""
        planes = [0.0] * 24
        self._renderer.GetActiveCamera().GetFrustumPlanes(self.aspect, planes)
        return np.asarray(planes, dtype=np.float64).reshape(6, 4)

    def display_ray(self, x: float, y: float) -> tuple[np.ndarray, np.ndarray]:
        """The ray (origin, unit direction) under display pixel (x, y) (origin at the bottom left)."""
        near = self._display_to_world(x, y, 0.0)
        far = self._display_to_world(x, y, 1.0)
        direction = far - near
        return near, direction / (np.linalg.norm(direction) or 1.0)

    def world_to_display(self, point: Sequence[float]) -> tuple[float, float]:
        """Display pixel (x, y) of a world point."""
        self._renderer.SetWorldPoint(float(point[0]), float(point[1]), float(point[2]), 1.0)
        self._renderer.WorldToDisplay()
        x, y, _ = self._renderer.GetDisplayPoint()
        return float(x), float(y)

    def surface_point(self, x: float, y: float) -> np.ndarray | None:
        """The world point drawn at display pixel (x, y) from the depth buffer, or None (background)."""
        width, height = self.viewport_size()
        if not (0 <= x < width and 0 <= y < height):
            return None
        depth = float(self._renderer.GetZ(int(x), int(y)))
        if not 0.0 < depth < 1.0:
            return None
        return self._display_to_world(x, y, depth)

    def _display_to_world(self, x: float, y: float, z: float) -> np.ndarray:
        self._renderer.SetDisplayPoint(float(x), float(y), float(z))
        self._renderer.DisplayToWorld()
        wx, wy, wz, w = self._renderer.GetWorldPoint()
        w = w or 1.0
        return np.array([wx / w, wy / w, wz / w])

    # -- content ------------------------------------------------------------------------------------
    def set_options(self, options: DisplayOptions) -> None:
        """Apply colouring, point size, background and helper visibility."""
        self.options = options
        self._renderer.SetBackground(*unit_rgb(options.background_rgb))
        self.points.set_point_size(options.point_size)
        self.highlight.set_point_size(options.point_size + 1.0)
        self.ground.set_visible(options.show_grid, options.show_rings)
        self.cuboids.set_labels_visible(options.show_labels)
        self._apply_coloring()
        self._update_highlight()

    def _apply_coloring(self) -> None:
        cloud, mode = self.cloud, self.options.color_mode
        if cloud is None:
            self._coloring = None
            self.color_bar.set_table(None)
            return
        if mode not in cloud.scalars:
            mode = "height"
        # A new lookup table makes VTK map every point's colour again on the next render: keep the
        # table while the cloud, the mode and the bar are the same.
        previous, wanted = self._coloring, (mode, self.options.show_color_bar)
        if previous is not None and previous[0] is cloud and previous[1:] == wanted:
            return
        self._coloring = (cloud, *wanted)
        lut = None
        if mode in cloud.ranges:
            lut = lookup_table(COLORMAP_OF_MODE[mode], cloud.ranges[mode])
        self.coloring = (mode, lut)
        self.points.set_coloring(mode, lut)
        self.color_bar.set_table(lut, COLOR_MODE_TITLES[mode])
        self.color_bar.set_enabled(self.options.show_color_bar and not self.parallel)

    def set_cuboids(
        self, items: Sequence[CuboidItem], selected: int | None, also: Sequence[int] = ()
    ) -> None:
        """The frame's cuboids and the selected one (None: no selection; ``also``: more selected ones)."""
        self.items = list(items)
        self.selected = selected
        self.cuboids.set_items(self.items, selected, also)
        self._update_highlight()

    def selected_item(self) -> CuboidItem | None:
        """The selected cuboid, when it is drawn."""
        return next((item for item in self.items if item.id == self.selected), None)

    def _update_highlight(self) -> None:
        self._highlight_within(None)

    def _highlight_within(self, within: np.ndarray | None) -> None:
        """Colour the points inside the cuboids (only those at ``within`` when given), unless the
        highlight already shows these boxes over the same points."""
        cloud = self.cloud
        if cloud is None or not self.options.highlight_inside or not self.items:
            self._highlighted = None
            self.highlight.set_points(None)
            return
        boxes = [(item.cuboid, item.color) for item in self.items]
        exact = not self.stand_ins or all(cloud.inside_at_once(item.cuboid) for item in self.items)
        shown = self._highlighted
        if (
            shown is not None
            and shown[0] is cloud
            and shown[2] == boxes
            and shown[3] == exact
            and _same_indices(shown[1], within)
        ):
            return
        items = self.items
        found = self._shared.inside(
            cloud,
            boxes,
            within,
            lambda: inside_points(cloud, items, within=within, limit=HIGHLIGHT_POINTS, quick=not exact),
            exact,
        )
        self._highlighted = (cloud, within, boxes, exact, not found.stand_in)
        self.highlight.set_points(found)
        self.highlight.set_coloring("class", None)

    @property
    def drawn_points(self) -> int:
        """How many cloud points the scene draws now."""
        return self.points.drawn_count

    @property
    def provisional(self) -> bool:
        """True while the scene draws a stand-in of sample points for points not found yet (a box moved
        out of the points copied out around it, a box just selected in a large cloud) that the points found
        will change (a stand-in as dense as the exact highlight is not redrawn: `inside_points`)."""
        shown = self._highlighted
        return shown is not None and not shown[4]


class PerspectiveScene(Scene):
    """The free 3D view: the whole cloud, grid and rings; with merged sweeps also the faded points of moving
    objects from the other sweeps, dimmed.

    A cloud within the level-of-detail budget is drawn whole. A larger one is drawn as its coarse sample,
    and at full detail the rest is added to the kept picture chunk by chunk (`add_chunk`), each chunk a
    uniform sample of the cloud, so the picture sharpens evenly and no render draws millions of points.
    """

    def __init__(self, shared: SharedGeometry | None = None) -> None:
        super().__init__(shared)
        self.faded = PointLayer()  # drawn at rest only: while the camera moves it is left out
        self._renderer.AddViewProp(self.faded.actor)
        self.chunk = PointLayer()  # the chunk of full detail added by the next render
        self.picture.detail.AddViewProp(self.chunk.actor)
        self.refined = 0  # points of the full cloud added to the kept picture since it was last drawn
        #: True once a pass of full detail added every part (a cloud out of core: every part in view; the
        #: runs outside the view frustum are left out, so `drawn_points` may stay below the cloud's count).
        self.refine_done = False

    def clear_detail(self) -> None:
        """Forget the full detail added: the cloud layer is drawn afresh (or about to be), its sample only."""
        self.refined = 0
        self.refine_done = False

    def set_faded(self, cloud: PreparedCloud | None) -> None:
        """Points drawn dimmed in one solid colour (moving objects of merged sweeps); None: none."""
        self.faded.set_points(None if cloud is None else cloud.full())
        self.faded.set_coloring("", None)  # no scalar: the solid colour
        self.faded.set_visible(self.points.detail == "full")

    def set_options(self, options: DisplayOptions) -> None:
        """See `Scene.set_options`; the faded points take a grey close to the background."""
        super().set_options(options)
        self.faded.set_point_size(options.point_size)
        background = np.asarray(unit_rgb(options.background_rgb))
        self.faded.set_solid_color(tuple(float(v) for v in 0.65 * background + 0.35 * np.full(3, 0.75)))

    def set_cloud(self, cloud: PreparedCloud | None) -> None:
        """Show a frame's cloud (None: nothing); its first picture may take two turns (see `LayeredPicture`)."""
        if cloud is not None and cloud is not self.cloud:
            self.picture.draw_in_turns()
        self.cloud = cloud
        self.points.set_cloud(cloud)
        self.ground.set_extent(
            None if cloud is None else cloud.bounds, 0.0 if cloud is None else cloud.ground_z
        )
        self._apply_coloring()
        self._update_highlight()

    def set_detail(self, full: bool) -> bool:
        """Draw the full cloud or the coarse sample; True when what is drawn changed."""
        changed = self.points.set_detail(full)
        self.picture.transient = not full  # camera-move frames keep no picture (see `LayeredPicture`)
        self.faded.set_visible(full)
        if changed:
            self._update_highlight()
        return changed

    def add_chunk(self, points: PointSet) -> None:
        """Draw ``points`` over the kept picture on the next render (when the camera has not moved)."""
        self.chunk.set_points(points)
        self.chunk.set_coloring(*self.coloring)
        self.chunk.actor.GetProperty().SetPointSize(self.options.point_size)
        self.picture.add_next()

    @property
    def drawn_points(self) -> int:
        """How many cloud points the picture shows: the sample and the chunks added so far."""
        cloud = self.cloud
        if cloud is None or not cloud.progressive or self.points.detail == "coarse":
            return self.points.drawn_count
        return min(len(cloud), self.points.drawn_count + self.refined)

    def _update_highlight(self) -> None:
        """While the coarse sample is drawn, only its points inside the cuboids are highlighted."""
        cloud = self.cloud
        self._highlight_within(cloud.coarse if cloud is not None and self.points.detail == "coarse" else None)

    @property
    def detail(self) -> str:
        """``"full"`` or ``"coarse"``."""
        return self.points.detail


class OrthoScene(Scene):
    """A parallel-projection view from the top, the side or the front.

    With a selected cuboid it centres on it, aligns with its heading, fits it with a margin and draws
    only the points (and the other cuboids) within that margin; without, it shows the whole frame
    (its level-of-detail sample).
    """

    parallel = True

    def __init__(self, axis: str, shared: SharedGeometry | None = None) -> None:
        super().__init__(shared)
        self.axis = axis
        self.crop: np.ndarray | None = None  # point indices drawn around the selection
        self._crop_exact = True  # False: the crop is a stand-in of sample points (see `provisional`)
        self._drawn: tuple[PreparedCloud, np.ndarray | None] | None = None  # what the points show
        #: The last fit around a box: (cloud, box id, the box then, margin, the camera it set); None: none.
        self._fit: tuple[PreparedCloud, int, Cuboid, float, CameraPose] | None = None
        self.holds = 0  # fits skipped because the box stayed within the view (for tests and benchmarks)
        self.fits = 0  # fits around a selected box (the camera moved to it afresh)
        #: The exact crop a stand-in is drawn for: (cloud, region, margin); None: none wanted.
        self.crop_wanted: tuple[PreparedCloud, Cuboid, float] | None = None
        #: The last `show` held still where it would have fitted the box afresh (``defer_fit``).
        self.fit_deferred = False
        #: `_steady_bounds` and the fitted box and margin it was made for (not the fit: no cloud is held).
        self._steady: tuple[Cuboid, float, list[float]] | None = None
        #: Set by the owner while the selected box is walked: a fresh fit then draws a sparser crop
        #: (`WALK_THIN`), kept while the view holds still during the walk (see `thin`).
        self.walking = False
        #: True while the view draws the sparser crop of a walk; shown again once ``walking`` is off, it
        #: draws the whole crop.
        self.thin = False
        self._walk_fit = False  # the view was fitted afresh during the walk going on (`walking`)

    def show(
        self,
        cloud: PreparedCloud | None,
        items: Sequence[CuboidItem],
        selected: int | None,
        fit: bool = True,
        also: Sequence[int] = (),
        defer_crop: bool = False,
        hold_longer: bool = False,
        defer_fit: bool = False,
    ) -> None:
        """Show the frame around the selected cuboid (or all of it); ``fit`` also moves the camera;
        ``also``: more selected cuboids (drawn as selected). With ``defer_crop`` (and `stand_ins`), a view
        fitted afresh around the box whose exact crop is not kept draws a stand-in of sample points and
        names the crop it wants (`crop_wanted`), for its owner to have it made in a worker (`exact_crop`).
        With ``hold_longer`` (another view was fitted afresh for the same edit) the view holds still while
        the moved box stays within `HOLD_LONGER_SHARE` of the margin. With ``defer_fit``, a view that would
        fit the moved box afresh holds still while it stays within `DEFER_SHARE` of the margin and says so
        (`fit_deferred`): its owner fits it in a turn of its own. The first picture of another cloud may
        take two turns (see `LayeredPicture`)."""
        if cloud is not self.cloud:
            self._fit = None  # a fit to another cloud never holds: nor may it keep that cloud in memory
            if cloud is not None:
                self.picture.draw_in_turns()
        self.cloud = cloud
        self.selected = selected
        target = next((item for item in items if item.id == selected), None)
        drew_exact, held = self._crop_exact, None
        self._crop_exact = True
        self.fit_deferred = False
        self.crop_wanted = None
        self.thin = False
        if cloud is None:
            self.crop = None
            self._drawn = None
            self.points.full.set_points(None)
            self.set_cuboids(list(items), selected, also)
            return
        if target is None:
            self.crop = None
            self._show_points(cloud, None)
            self.set_cuboids(list(items), selected, also)
            if fit:
                self.set_camera_pose(
                    ortho_pose_for_bounds(cloud.view_bounds or cloud.bounds, self.axis, self.aspect)
                )
        else:
            held = self._held(cloud, target, HOLD_LONGER_SHARE if hold_longer else HOLD_SHARE)
            if held is None and fit and defer_fit:
                held = self._held(cloud, target, DEFER_SHARE)
                self.fit_deferred = held is not None
            region = held if held is not None else target
            margin = ortho_margin(region.cuboid)
            grown = region.cuboid.grown(margin)
            key = crop_key(cloud, region.cuboid, margin)
            if held is not None and drew_exact and self._shared.has_crop(key):
                exact = True  # holding still over the exact crop drawn: nothing to ask the cloud
            else:
                exact = not self.stand_ins or cloud.answers_at_once(grown)  # else sample points stand in
            if exact and self.stand_ins and defer_crop and held is None and cloud.is_decimated:
                exact = self._shared.has_crop(key)  # fitted afresh: a worker makes the crop, if not kept
            if not exact:
                self.crop_wanted = (cloud, region.cuboid, margin)
            self.crop = self._shared.crop(
                key if exact else (*key, "stand-in"),
                (lambda: cloud.indices_near(region.cuboid, margin, CROP_POINTS))
                if exact
                else (lambda: _stand_in(cloud, grown)),
            )
            self._crop_exact = exact
            if held is None or not self.walking:  # fitted afresh during a walk: sparser until it rests
                self._walk_fit = self.walking
            self.thin = exact and self._walk_fit
            if self.thin:
                self.crop = self._thinned(cloud, key, self.crop)
            self._show_points(cloud, self.crop)
            self.set_cuboids(_near(items, region, margin), selected, also)
            if held is not None:
                self.holds += 1
            elif fit:
                self.set_camera_pose(ortho_pose_for_cuboid(target.cuboid, self.axis, self.aspect, margin))
                self._fit = (cloud, target.id, target.cuboid, margin, self.camera_pose())
                self.fits += 1
        self.cuboids.set_label_room(self._label_room() if target is None else None)
        self.points.full.set_visible(True)
        self._apply_coloring()
        if target is None or held is None:  # holding still: the render fits the planes as before
            self.reset_clipping()

    @property
    def provisional(self) -> bool:
        """See `Scene.provisional`; the crop around the selected box may be a stand-in too."""
        return super().provisional or not self._crop_exact

    def refits_at(
        self, cloud: PreparedCloud, box_id: int, box: Cuboid, hold_longer: bool = False
    ) -> tuple[Cuboid, float] | None:
        """The region and margin of the crop this view would fit afresh around ``box`` (the selected box
        ``box_id`` moved there) if it were shown now (``hold_longer``: see `show`), when it is the box the
        view holds still around now moved beyond the share of the margin it holds still for; None otherwise
        (it would hold still, or it is no such move). For crops made ahead of a walked box (`exact_crop`)."""
        moved = self._moved(cloud, box_id, box)
        share = HOLD_LONGER_SHARE if hold_longer else HOLD_SHARE
        if moved is None or math.dist(box.center, moved[0].center) <= share * moved[1]:
            return None
        return box, ortho_margin(box)

    def _moved(self, cloud: PreparedCloud, box_id: int, box: Cuboid) -> tuple[Cuboid, float] | None:
        """The box as the view was last fitted to it and the margin then, when ``box`` is that box moved
        (neither turned nor resized) and the camera is still where the fit put it; None otherwise."""
        fit = self._fit
        if fit is None or fit[0] is not cloud or fit[1] != box_id or fit[4] != self.camera_pose():
            return None
        fitted = fit[2]
        if (box.size, box.yaw, box.pitch, box.roll) != (fitted.size, fitted.yaw, fitted.pitch, fitted.roll):
            return None
        return fitted, fit[3]

    def _held(self, cloud: PreparedCloud, target: CuboidItem, share: float = HOLD_SHARE) -> CuboidItem | None:
        """The box as the view was last fitted to it, when ``target`` is that box moved by less than
        ``share`` of the margin, neither turned nor resized, and the camera is still where the fit put
        it: the view then holds still (and keeps its cloud picture) while the box moves in it."""
        moved = self._moved(cloud, target.id, target.cuboid)
        if moved is None or math.dist(target.cuboid.center, moved[0].center) > share * moved[1]:
            return None
        return CuboidItem(target.id, moved[0], target.color)

    def _steady_bounds(self) -> Sequence[float] | None:
        """While fitted around a box: the region it may move in without a new fit, grown by the margin
        (and the boxes, handles and knob reaching into it), so a nudge keeps the near and far planes. Made
        once per fit (every render of the view asks)."""
        fit = self._fit
        if fit is None or self.crop is None:
            return None
        _, _, fitted, margin, _ = fit
        steady = self._steady
        if steady is not None and steady[1] == margin and steady[0] == fitted:
            return steady[2]
        corners = fitted.grown(2.0 * margin).corners()
        low, high = corners.min(axis=0), corners.max(axis=0)
        bounds = [float(v) for pair in zip(low, high) for v in pair]
        self._steady = (fitted, margin, bounds)
        return bounds

    def release_fit(self) -> None:
        """Fit the selected box afresh on the next `show` (the view changed size)."""
        self._fit = None

    def _label_room(self) -> LabelRoom | None:
        """Room for labels when the view shows the whole frame (many boxes, small on screen)."""
        _, height = self.viewport_size()
        pose = self.camera_pose()
        if height <= 0 or not pose.parallel:
            return None
        right, up, _ = pose.basis()
        scale = 2.0 * pose.parallel_scale / height
        return LabelRoom(tuple(right), tuple(up), scale)

    def _thinned(self, cloud: PreparedCloud, key: tuple, crop: np.ndarray) -> np.ndarray:
        """Every `WALK_THIN`-th point of the exact ``crop`` kept under ``key``; its points are taken from the
        crop's own points when those are kept (no read of the cloud: at 100M points it is out of core)."""
        thin = self._shared.crop((*key, "walking"), lambda: crop[::WALK_THIN].copy())
        whole = self._shared.kept_crop(crop_points_key(cloud, crop))
        if isinstance(whole, PointSet) and not self._shared.has_crop(crop_points_key(cloud, thin)):
            self._shared.put_crop(crop_points_key(cloud, thin), whole.every(WALK_THIN))
        return thin

    def _show_points(self, cloud: PreparedCloud, crop: np.ndarray | None) -> None:
        """Draw the points at ``crop`` (None: the level-of-detail sample), unless they are drawn already:
        handing VTK new points costs a re-upload and a colour mapping on the next render."""
        drawn = self._drawn
        if drawn is not None and drawn[0] is cloud and _same_indices(drawn[1], crop):
            return
        self._drawn = (cloud, crop)
        if crop is None:
            self.points.full.set_points(cloud.rest_points())
        else:  # the three views draw the same crop: copy its points once
            key = crop_points_key(cloud, crop)
            self.points.full.set_points(self._shared.crop(key, lambda: cloud.subset(crop)))

    def _update_highlight(self) -> None:
        cloud = self.cloud
        self._highlight_within(None if cloud is None else self.crop if self.crop is not None else cloud.rest)


def crop_key(cloud: PreparedCloud, region: Cuboid, margin: float) -> tuple:
    """What the exact crop around ``region`` grown by ``margin`` is kept under (see `SharedGeometry.crop`)."""
    return ("crop", id(cloud), len(cloud), region, margin)


def crop_points_key(cloud: PreparedCloud, crop: np.ndarray) -> tuple:
    """What the points of the crop at ``crop`` (point indices) are kept under."""
    return ("crop points", id(cloud), len(cloud), len(crop), hash(crop.tobytes()))


def exact_crop(cloud: PreparedCloud, region: Cuboid, margin: float) -> tuple[np.ndarray, PointSet]:
    """The crop the orthographic views draw around ``region`` grown by ``margin``: an even sample of at
    most about `CROP_POINTS` of the points there (indices) and their points (copies). Safe in a worker
    when ``cloud``'s neighbourhood covers the region (see `PreparedCloud.focus`)."""
    indices = cloud.indices_near(region, margin, CROP_POINTS)
    return indices, cloud.subset(indices)


def _stand_in(cloud: PreparedCloud, region: Cuboid) -> np.ndarray:
    """The level-of-detail sample's points in ``region``, at most a quarter of `CROP_POINTS` (an even
    sample of them): drawn for a moment, a few milliseconds at any cloud size, while the crop is made."""
    found = cloud.sample_inside(region)
    limit = CROP_POINTS // 4
    return found if len(found) <= limit else found[:: -(-len(found) // limit)]


def _same_indices(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """True when two crops (or two absent crops) hold the same point indices."""
    if a is None or b is None:
        return a is None and b is None
    return a is b or (a.shape == b.shape and bool(np.array_equal(a, b)))


def _reach(cuboid: Cuboid) -> float:
    """The radius of a cuboid's bounding sphere."""
    return 0.5 * math.sqrt(sum(s * s for s in cuboid.size))


def _near(items: Sequence[CuboidItem], target: CuboidItem, margin: float) -> list[CuboidItem]:
    """The cuboids that reach into the region the view shows: ``target`` grown by ``margin``."""
    region = target.cuboid.grown(margin)
    region_corners = region.corners()
    region_reach = _reach(region)
    chosen = []
    for item in items:
        if item.id == target.id:
            chosen.append(item)
            continue
        gap = np.subtract(item.cuboid.center, region.center)
        if float(np.dot(gap, gap)) > (region_reach + _reach(item.cuboid)) ** 2:
            continue  # their bounding spheres do not meet (most boxes of a frame): no corner tests
        probe = np.vstack([item.cuboid.corners(), np.asarray(item.cuboid.center)[None]])
        if region.points_inside(probe).any() or item.cuboid.points_inside(region_corners).any():
            chosen.append(item)
    return chosen
