"""The four views in resizable splitters: the perspective view large, top/side/front below it.

`ViewGrid` keeps the views in step with the `Document`: a new cloud, changed cuboids or another
selection each cause one render per affected view.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QSplitter, QWidget

from annotator.core.cuboids.cuboid import Cuboid
from annotator.jobs import JobContext, Outcome
from annotator.jobs.priority import lower_thread_priority
from annotator.qt.box_points import BoxPointFinder
from annotator.qt.document import Document
from annotator.qt.jobs import QtJobs
from annotator.qt.views.ortho_view import OrthoView
from annotator.qt.views.render_scheduler import RenderScheduler
from annotator.qt.views.view_base import SceneView
from annotator.qt.views.viewport import PerspectiveView
from annotator.qt.views.walk import WalkWatch
from annotator.render.camera import ORTHO_AXES, ortho_margin
from annotator.render.cloud import PointSet, PreparedCloud
from annotator.render.scene import crop_key, crop_points_key, exact_crop
from annotator.render.shared import SharedGeometry
from annotator.render.style import DisplayOptions

logger = logging.getLogger(__name__)

#: Heights of the perspective view and the row of orthographic views (shares).
VIEW_HEIGHTS = (3, 2)
#: Widths of the top, side and front views (shares): the top view, which shows the whole frame without a
#: selection, gets half the row.
ORTHO_WIDTHS = (2, 1, 1)
#: Splitter handles wide enough to grab (pixels).
HANDLE_WIDTH = 6

#: What the 3D views say for a frame of images only.
NO_CLOUD_MESSAGE = "This frame has no point cloud"
#: Places of a walked box ahead of it whose orthographic crops are made in the worker before it gets there
#: (so the step on which a view fits the box afresh draws its exact crop at once).
AHEAD_CROPS = 3
#: How long after a walked box's last step the orthographic views that drew a walk's sparser crop
#: (`OrthoScene.walking`) draw their whole crops: longer than a key's auto-repeat interval (30-40 ms).
WALK_REST_MS = 300


class ViewGrid(QSplitter):
    """Perspective view on top, the three orthographic views side by side below it."""

    #: The current frame was first drawn: load time and the perspective render time, in ms.
    frame_shown = Signal(float, float)
    #: World point under the cursor in any view (numpy (3,)) or None.
    cursor_moved = Signal(object)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.setObjectName("viewGrid")
        self.document = document
        #: Renders the four views one per event-loop turn (see `RenderScheduler`).
        self.scheduler = RenderScheduler(self)
        #: Wireframes and highlighted points the views draw alike, made once (see `SharedGeometry`).
        self.shared = SharedGeometry()
        self.perspective = PerspectiveView(scheduler=self.scheduler, shared=self.shared)
        self.ortho = {
            axis: OrthoView(axis, scheduler=self.scheduler, shared=self.shared) for axis in ORTHO_AXES
        }
        self.ortho_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.ortho_splitter.setObjectName("orthoSplitter")
        for position, view in enumerate(self.ortho.values()):
            self.ortho_splitter.addWidget(view)
            self.ortho_splitter.setStretchFactor(position, ORTHO_WIDTHS[position])
        self.ortho_splitter.setSizes([100 * share for share in ORTHO_WIDTHS])
        self.addWidget(self.perspective)
        self.addWidget(self.ortho_splitter)
        self.setStretchFactor(0, VIEW_HEIGHTS[0])
        self.setStretchFactor(1, VIEW_HEIGHTS[1])
        self.setSizes([100 * share for share in VIEW_HEIGHTS])
        for splitter in (self, self.ortho_splitter):
            splitter.setHandleWidth(HANDLE_WIDTH)
            splitter.setChildrenCollapsible(False)
        self._timing: tuple[float, float] | None = None
        #: Copies out the points around the selected box in a worker, so that highlighting it as it is
        #: nudged tests those points, not the whole cloud's index (see `PreparedCloud.focus`).
        self.focus_jobs = QtJobs(self, name="focus")
        #: Finds the exact points inside edited boxes of a very large cloud in a worker (stand-ins meanwhile).
        self.box_points = BoxPointFinder(self)
        self.box_points.found.connect(self._points_found)
        #: Merged sweeps shown instead of the frame's own cloud, and their faded points (see `set_merged`).
        self.merged: PreparedCloud | None = None
        self.faded: PreparedCloud | None = None
        #: Whether the selected box is walked (its orthographic crops are then made ahead of it).
        self.walk = WalkWatch()
        #: Fires once a walked box rests: the views then draw their whole crops (`_walk_rested`).
        self.walk_rest = QTimer(self)
        self.walk_rest.setSingleShot(True)
        self.walk_rest.setInterval(WALK_REST_MS)
        self.walk_rest.timeout.connect(self._walk_rested)
        for view in self.views:
            view.scene.stand_ins = True  # the focus worker finds the points they stand in for
            view.picked.connect(document.select)
            view.toggled.connect(document.toggle_selected)
            view.cursor_moved.connect(self.cursor_moved)
        for view in self.ortho.values():  # content taken in a turn later may want points found
            view.prepared.connect(lambda: self._focus_on_items())
        self.perspective.rendered.connect(self._perspective_rendered)
        document.cloud_changed.connect(self._cloud_changed)
        document.annotations_changed.connect(self._annotations_changed)
        document.background_edit.connect(self.perspective.lod.motion)
        document.selection_changed.connect(lambda _: self._show_cuboids(fit_ortho=True))
        document.opened.connect(self._project_opened)

    @property
    def views(self) -> list[SceneView]:
        """All four views, perspective first."""
        return [self.perspective, *self.ortho.values()]

    def set_options(self, options: DisplayOptions) -> None:
        """Apply display options to every view."""
        for view in self.views:
            view.set_options(options)

    def render_all_now(self) -> None:
        """Render every view at once, the perspective view in full detail (snapshots, benchmarks)."""
        self.perspective.lod.rest()
        for view in self.views:
            view.render_now()
        self.perspective.refiner.finish()

    def capture(self, name: str) -> np.ndarray:
        """Pixels of one view: ``perspective``, ``top``, ``side`` or ``front``."""
        view = self.perspective if name == "perspective" else self.ortho[name]
        return view.capture()

    def dispose(self) -> None:
        """Release every view's render window (and stop finding box points)."""
        self.box_points.jobs.shutdown()
        for view in self.views:
            view.dispose()

    # -- document -> views -------------------------------------------------------------------------
    def _project_opened(self) -> None:
        self.perspective.forget_camera()

    @property
    def shown_cloud(self) -> PreparedCloud | None:
        """The cloud the views draw: the merged sweeps when set, else the current frame's cloud."""
        return self.merged if self.merged is not None else self.document.cloud

    def set_merged(self, merged: PreparedCloud | None, faded: PreparedCloud | None = None) -> None:
        """Draw ``merged`` (several sweeps in the current frame's coordinates) instead of the frame's
        cloud, with ``faded`` dimmed in the perspective view; None: the frame's own cloud again.
        Editing tools keep working on the frame's own points."""
        if merged is self.merged and faded is self.faded:
            return
        self.merged, self.faded = merged, faded
        self.perspective.set_faded(faded if merged is not None else None)
        self._cloud_changed()

    def _cloud_changed(self) -> None:
        cloud = self.shown_cloud
        frame = self.document.frame
        message = NO_CLOUD_MESSAGE if frame is not None and not frame.cloud else None
        for view in self.views:
            view.set_placeholder(message)
        self.perspective.set_cloud(cloud)
        self.walk_rest.stop()  # the new cloud's views are fitted on whole crops (`_show_cuboids` below)
        self.perspective.refiner.release()  # and its detail is added at once
        self._timing = (time.perf_counter(), self.document.load_ms) if cloud is not None else None
        self._show_cuboids(fit_ortho=True, defer=True)  # each orthographic view in a turn of its own

    def _annotations_changed(self, selected_touched: bool) -> None:
        if self.merged is not None:  # edits over merged sweeps draw coarse until they rest, as moving does
            self.perspective.lod.motion()
        self._show_cuboids(fit_ortho=selected_touched)

    def _show_cuboids(self, fit_ortho: bool, defer: bool = False) -> None:
        items = self.document.cuboid_items()
        selected, also = self.document.selected_id, self.document.also_selected
        self.perspective.set_cuboids(items, selected, also)
        self.walk.see(selected, next((item.cuboid for item in items if item.id == selected), None))
        # A view fitted a walked box afresh: the others hold still a little longer (one view a step). The
        # fit waits for a turn of its own after the step's renders (its new crop, 13-20 ms at 10M-20M).
        refitted, walking = False, self.walk.step is not None
        sparser = walking and not defer  # a walk's fresh fits draw sparser crops until it rests
        for view in self.ortho.values():
            view.scene.walking = sparser
        if sparser:
            self.walk_rest.start()
            self.perspective.refiner.hold()  # its chunks wait until the walk rests
        for view in self.ortho.values():  # a crop not kept is made in the worker (`_focus`)
            fits = view.scene.fits
            view.show_frame(
                self.shown_cloud,
                items,
                self.document.selected_ids,
                fit=fit_ortho,
                defer_crop=True,
                defer=defer,
                hold_longer=refitted,
                defer_fit=walking and not defer,
            )
            refitted = refitted or (walking and (view.scene.fits > fits or view.scene.fit_deferred))
        self._focus_on_items(items)

    def _walk_rested(self) -> None:
        """The walked box rests: the orthographic views that drew a walk's sparser crop draw their whole
        crops (in turns of the render scheduler, as any redraw), and the perspective view's full detail
        goes on."""
        self.perspective.refiner.release()
        for view in self.ortho.values():
            view.scene.walking = False
        thin = [view for view in self.ortho.values() if view.scene.thin]
        if not thin:
            return
        items = self.document.cuboid_items()
        for view in thin:
            view.show_frame(self.shown_cloud, items, self.document.selected_ids, fit=False, defer_crop=True)
        self._focus_on_items(items)

    def _show_found(self) -> None:
        """Draw the points a worker found in the views that drew sample points standing in for them (only
        those: the other views' pictures did not change)."""
        items = self.document.cuboid_items()
        if self.perspective.scene.provisional:
            self.perspective.set_cuboids(items, self.document.selected_id, self.document.also_selected)
        for view in self.ortho.values():
            if view.scene.provisional:
                view.show_frame(
                    self.shown_cloud, items, self.document.selected_ids, fit=False, defer_crop=True
                )
        self._focus_on_items(items)

    def _focus_on_items(self, items: list | None = None) -> None:
        """`_focus` on the selected box among ``items`` (the document's, when not given)."""
        items = self.document.cuboid_items() if items is None else items
        selected = self.document.selected_id
        boxes = [a.cuboid for a in self.document.cuboids() if a.cuboid is not None]  # hidden classes too:
        self.box_points.request(self.shown_cloud, boxes)  # counted; first: it tells a walk (`reach`)
        self._focus(next((item.cuboid for item in items if item.id == selected), None), boxes)

    def _points_found(self, cloud: PreparedCloud) -> None:
        """The exact points inside the edited boxes replace their stand-ins; the counts follow."""
        if cloud is not self.shown_cloud:
            return
        if self.provisional:
            self._show_found()
        self.document.points_found.emit()

    @property
    def provisional(self) -> bool:
        """True while a view draws sample points standing in for points a worker is still finding."""
        return any(view.scene.provisional for view in self.views)

    def _focus(self, box: Cuboid | None, boxes: list[Cuboid]) -> None:
        """Have the points within two margins of the selected ``box`` copied out in a worker, unless those
        copied out already reach one and a half margins beyond it. So while the box is nudged, its inside
        points (from those within one margin first) and, when the orthographic views fit it afresh (half a
        margin on), their crops (a margin around it) come from these points. The same worker finds the
        points inside the other ``boxes`` that the views draw with a stand-in (`provisional`), and the crops
        of orthographic views fitted afresh around the box (`OrthoScene.crop_wanted`: the views draw sample
        points meanwhile, so the step that refits them draws a few thousand points, not three crops); when
        it is done, the views draw the points found."""
        cloud = self.shown_cloud
        if cloud is None or self.focus_jobs.pending("focus"):  # one at a time: it asks again when done
            return
        margin = 0.0 if box is None else ortho_margin(box)
        near = cloud.neighbourhood
        wanted = box is not None and not (near is not None and near.covers(box.grown(1.5 * margin)))
        others = [other for other in boxes if other != box and not cloud.answers_at_once(other)]
        wants = [view.scene.crop_wanted for view in self.ortho.values()]
        crops = {want[1:] for want in wants if want is not None and want[0] is cloud}
        ahead = set() if box is None else self._crops_ahead(cloud, box, wanted)
        if not wanted and not others and not crops and not ahead:
            return

        reach = self.box_points.reach(2.0 * margin)  # a walked box: reach ahead of it (issue 25)

        def work(_context: JobContext) -> list[tuple[tuple, np.ndarray, PointSet]]:
            lower_thread_priority()  # reads the shown cloud's points (never changed)
            if wanted:
                cloud.focus(box, 2.0 * margin, inner=margin, reach=reach)
            cloud.warm(others)
            made = []
            for region, region_margin in crops:  # from the neighbourhood just copied out
                indices, points = exact_crop(cloud, region, region_margin)
                made.append((crop_key(cloud, region, region_margin), indices, points))
            for region, region_margin in ahead:  # only where the neighbourhood answers for them
                if cloud.answers_at_once(region.grown(region_margin)):
                    indices, points = exact_crop(cloud, region, region_margin)
                    made.append((crop_key(cloud, region, region_margin), indices, points))
            return made

        def done(outcome: Outcome) -> None:  # the box may have moved on (or another been selected) since
            if outcome.ok and self.shown_cloud is cloud:
                for key, indices, points in outcome.result or []:
                    self.shared.put_crop(key, indices)
                    self.shared.put_crop(crop_points_key(cloud, indices), points)
                if self.provisional:
                    self._show_found()  # the points found replace the stand-ins
                else:  # boxes added or edited meanwhile (not those just found: no loop if they were forgotten)
                    selected, found = self.document.selected, set(others)
                    boxes = [a.cuboid for a in self.document.cuboids() if a.cuboid and a.cuboid not in found]
                    self._focus(None if selected is None else selected.cuboid, boxes)
                if others:
                    self.document.points_found.emit()  # their counts (`Document.points_inside`)

        self.focus_jobs.submit(work, name="focus", on_done=done)

    def _crops_ahead(self, cloud: PreparedCloud, box: Cuboid, focusing: bool) -> set[tuple[Cuboid, float]]:
        """The crops (region, margin) that the orthographic views will draw on fitting afresh around the
        selected ``box`` walked on by up to `AHEAD_CROPS` steps (one view a step, as `_show_cuboids` fits
        them), not kept yet and answered for by the points copied out around it (or about to be:
        ``focusing``)."""
        if not cloud.is_decimated:  # a small cloud's crops are made at once
            return set()
        selected, regions, fitted = self.document.selected_id, set(), set()
        for moved in self.walk.ahead(box, AHEAD_CROPS):
            refitted = False
            for axis, view in self.ortho.items():
                region = None if axis in fitted else view.scene.refits_at(cloud, selected, moved, refitted)
                if region is None:
                    continue
                fitted.add(axis)  # then it holds still beyond the steps looked ahead
                refitted = True
                kept = self.shared.has_crop(crop_key(cloud, *region))
                if not kept and (focusing or cloud.answers_at_once(region[0].grown(region[1]))):
                    regions.add(region)
        return regions

    def _perspective_rendered(self, milliseconds: float) -> None:
        if self._timing is not None and self.perspective.scene.detail == "full":
            _, load_ms = self._timing
            self._timing = None
            self.frame_shown.emit(load_ms, milliseconds)
