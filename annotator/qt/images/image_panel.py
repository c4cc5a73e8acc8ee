"""The image panel: the current frame's camera images with projected cuboids, LiDAR points and 2D boxes.

Images are read in a worker thread (a small cache keeps the last few). Every edit is a command of
annotator/core on the workspace's undo stack; the panel redraws from the project's change events.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from annotator.core.box2d import Box2D
from annotator.core.camera import CameraCalibration, clip_segments_to_image
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.derive import DeriveBoxes2D, LinkBox, best_cuboid_for_box
from annotator.core.derived_links import is_derived
from annotator.core.edits import AddAnnotations, RemoveAnnotations, update_annotation
from annotator.core.errors import AnnotatorError
from annotator.core.model.records import Annotation, Source
from annotator.io.image_sizes import missing_image_sizes
from annotator.ml.uncertainty.flags import flag_text
from annotator.qt.derive_job import DeriveAllController
from annotator.qt.document import Document
from annotator.qt.editing.toolbar import ClassChooser
from annotator.qt.images.image_items import BoxItem, WireframeItem, moved
from annotator.qt.images.image_view import ImageView
from annotator.qt.images.overlay_worker import PointsOverlayWorker
from annotator.qt.jobs import QtJobs
from annotator.qt.models.flagging import mark_flagged
from annotator.render.cloud import DEFAULT_LOD_BUDGET

logger = logging.getLogger(__name__)

#: Default class for boxes drawn in a project without classes.
FALLBACK_CLASS = "Object"


def read_image(path: str) -> QImage:
    """The image at ``path`` as RGB888 (runs as a job: reads the file only, never the project); raises
    `AnnotatorError` naming the file and what is wrong."""
    image = QImage(path)
    if image.isNull():
        reason = "no such file" if not Path(path).is_file() else "not a readable image"
        raise AnnotatorError(f"{path}: {reason}")
    return image.convertToFormat(QImage.Format.Format_RGB888)


class ImageLoader(QObject):
    """Reads images in a worker thread; keeps the last ``cache_size``. Answers through `loaded`."""

    loaded = Signal(str, object, str)  # path, QImage or None, error message

    def __init__(self, cache_size: int = 8, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache_size = cache_size
        self._cache: OrderedDict[str, QImage] = OrderedDict()
        self._pending: set[str] = set()
        self.jobs = QtJobs(self, name="image")

    def request(self, path: str) -> QImage | None:
        """The image at once when cached; else start reading it and return None."""
        if path in self._cache:
            self._cache.move_to_end(path)
            return self._cache[path]
        if path not in self._pending:
            self._pending.add(path)
            self.jobs.submit(
                lambda _context: read_image(path),
                name=f"image-{path}",
                on_done=lambda outcome: self._finished(path, outcome.result, outcome.error),
            )
        return None

    def wait(self, msecs: int = 10_000) -> bool:
        """Wait for the worker (tests, snapshots)."""
        return self.jobs.wait(msecs)

    def _finished(self, path: str, image: QImage | None, error: str) -> None:
        self._pending.discard(path)
        if image is not None:
            self._cache[path] = image
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        self.loaded.emit(path, image, error)


class ImagePanel(QWidget):
    """Camera switcher, drawing class, points toggle, fit, derive; the image view below."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imagePanel")
        self.document = document
        self.loader = ImageLoader(parent=self)
        self.view = ImageView(self)
        self.camera_box = QComboBox()
        self.camera_box.setToolTip("Camera (C / Shift+C)")
        self.class_box = ClassChooser(document)  # the window's one active class
        self.class_box.setToolTip("Class of the boxes you draw (the window's active class)")
        self.overlay_worker = PointsOverlayWorker(self)
        self.deriver = DeriveAllController(document, self)
        self.points_check = QCheckBox("Points")
        self.points_check.setToolTip("LiDAR points projected into the image, coloured by depth (I)")
        fit_button = QPushButton("Fit")
        fit_button.clicked.connect(self.fit)
        derive_button = QPushButton("Derive")
        derive_button.setToolTip("Derive 2D boxes from the frame's cuboids (Ctrl+Alt+D)")
        derive_button.clicked.connect(self.derive_frame)
        self.message = QLabel()
        bar = QHBoxLayout()
        for widget in (self.camera_box, self.class_box, self.points_check, fit_button, derive_button):
            bar.addWidget(widget)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.view, 1)
        self.camera: str | None = None
        self.image_path: str | None = None
        self._overlay_key: tuple | None = None
        self._previews: dict[int, Cuboid] = {}

        self.camera_box.currentTextChanged.connect(self._camera_chosen)
        self.points_check.toggled.connect(lambda _: self._refresh_points())
        self.loader.loaded.connect(self._image_loaded)
        self.view.box_drawn.connect(self._box_drawn)
        self.view.box_edited.connect(self._box_edited)
        self.view.picked.connect(self.document.select)
        self.view.delete_requested.connect(self.delete_selected)
        self.view.nudge_requested.connect(self.nudge_selected)
        self.overlay_worker.ready.connect(self._points_ready)
        self.deriver.message.connect(lambda text, _ms: self._say(text))
        document.cuboid_previewed.connect(self._cuboid_previewed)
        document.frame_changed.connect(self._frame_changed)
        document.frames_changed.connect(self._frame_changed)
        document.schema_changed.connect(self.refresh_overlays)
        document.annotations_changed.connect(lambda _: self.refresh_overlays())
        document.selection_changed.connect(lambda _: self.refresh_overlays())
        document.cloud_changed.connect(self._refresh_points)
        self._frame_changed()

    # -- cameras and images -------------------------------------------------------------------------
    def cameras(self) -> list[str]:
        """Camera names of the current frame that have an image."""
        frame = self.document.frame
        return sorted(frame.images) if frame is not None else []

    def calibration(self) -> CameraCalibration | None:
        """The current camera's calibration (None when the frame has none for it)."""
        frame = self.document.frame
        return None if frame is None or self.camera is None else frame.cameras.get(self.camera)

    def set_camera(self, name: str) -> None:
        """Show camera ``name`` of the current frame."""
        if name in self.cameras():
            self.camera_box.setCurrentText(name)

    def step_camera(self, step: int) -> None:
        """Image > Next / previous camera (wraps around)."""
        names = self.cameras()
        if names:
            position = names.index(self.camera) if self.camera in names else 0
            self.set_camera(names[(position + step) % len(names)])

    def fit(self) -> None:
        """Image > Fit image: the whole image in the panel."""
        self.view.fit()

    def set_points_visible(self, visible: bool) -> None:
        """Image > LiDAR points in images."""
        self.points_check.setChecked(visible)

    def _frame_changed(self, *_: object) -> None:
        names = self.cameras()
        keep = self.camera if self.camera in names else (names[0] if names else None)
        self.camera_box.blockSignals(True)
        self.camera_box.clear()
        self.camera_box.addItems(names)
        if keep is not None:
            self.camera_box.setCurrentText(keep)
        self.camera_box.blockSignals(False)
        self._camera_chosen(keep or "")

    def _camera_chosen(self, name: str) -> None:
        frame = self.document.frame
        self.camera = name or None
        path = None
        if frame is not None and self.camera is not None and self.document.project is not None:
            path = str(self.document.project.resolve_path(frame.images[self.camera]))
        self.image_path = path
        if path is None:
            self.view.set_image(None)
            self._say("No camera images in this frame" if frame is not None else "No frame")
        else:
            image = self.loader.request(path)
            if image is not None:
                self._show_image(image)
            else:
                self._say("loading…")
        self.refresh_overlays()
        self._refresh_points()

    def _image_loaded(self, path: str, image: QImage | None, error: str) -> None:
        if path != self.image_path:
            return
        if image is None:
            self.view.set_image(None)
            self._say(error)
        else:
            self._show_image(image)
        self.refresh_overlays()
        self._refresh_points()

    def _show_image(self, image: QImage) -> None:
        self.view.set_image(image)
        calibration = self.calibration()
        self._say(
            "" if calibration is not None else "No calibration for this camera: cuboids are not projected"
        )

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def wait_for_image(self, msecs: int = 10_000) -> None:
        """Wait until the current image is read and shown (tests, snapshots)."""
        self.loader.wait(msecs)
        from PySide6.QtWidgets import QApplication

        QApplication.processEvents()

    # -- overlays -----------------------------------------------------------------------------------
    def refresh_overlays(self) -> None:
        """Redraw the projected cuboids and the 2D boxes of the current camera."""
        document = self.document
        frame = document.frame
        if frame is None or self.camera is None or document.project is None:
            self.view.set_overlays([], [], None)
            return
        selected = document.selected_id
        wireframes = [
            item
            for annotation in document.cuboids()
            if annotation.class_name not in document.hidden_classes and annotation.cuboid is not None
            for item in [self._wireframe(annotation, self._previews.get(annotation.id, annotation.cuboid))]
            if item is not None
        ]
        boxes = [
            BoxItem(a.id, a.box2d, document.class_color(a.class_name), is_derived(a), a.id == selected)
            for a in self.boxes()
            if a.box2d is not None and a.class_name not in document.hidden_classes
        ]
        self.view.set_overlays(boxes, wireframes, selected)

    def _wireframe(self, annotation: Annotation, cuboid: Cuboid) -> WireframeItem | None:
        """The cuboid's projection in the current camera, clipped to the image (None: not seen)."""
        calibration = self.calibration()
        if calibration is None:
            return None
        segments = calibration.cuboid_edges_2d(cuboid)
        width, height = self.view.image_size or (calibration.width, calibration.height)
        if width and height:
            segments = clip_segments_to_image(segments, width, height)
        if not segments:
            return None
        color = self.document.class_color(annotation.class_name)
        item = WireframeItem(annotation.id, segments, color, annotation.id == self.document.selected_id)
        flags = self.document.flags
        if flags.flagged(annotation):
            mark_flagged(item, flag_text(annotation, flags.threshold, flags.stale(annotation)))
        return item

    def _cuboid_previewed(self, annotation_id: int, cuboid: Cuboid | None) -> None:
        """A cuboid is dragged in the 3D views: redraw its projection only."""
        if cuboid is None:
            self._previews.pop(annotation_id, None)
            return  # the drag's command (or its absence) redraws everything
        self._previews[annotation_id] = cuboid
        annotation = self.document.project.annotations.get(annotation_id) if self.document.project else None
        if annotation is None or annotation.frame_id != self.document.frame_id:
            return
        self.view.replace_wireframe(annotation_id, self._wireframe(annotation, cuboid))

    def boxes(self) -> list[Annotation]:
        """The current frame's 2D boxes in the current camera."""
        project, frame_id = self.document.project, self.document.frame_id
        if project is None or frame_id is None:
            return []
        return [a for a in project.annotations_of(frame_id, "box2d") if a.camera == self.camera]

    def _refresh_points(self) -> None:
        """Ask the worker for the points overlay of what is shown now (the old one goes at once)."""
        cloud, calibration = self.document.cloud, self.calibration()
        width, height = self.view.image_size
        if not self.points_check.isChecked() or cloud is None or calibration is None or not width:
            self._overlay_key = None
            self.overlay_worker.forget()
            self.view.set_points(None)
            return
        key = (id(cloud), self.camera, self.document.frame_id, width, height)
        if key == self._overlay_key:
            return
        self._overlay_key = key
        self.view.set_points(None)
        subset = None if len(cloud) <= DEFAULT_LOD_BUDGET else cloud.coarse
        self.overlay_worker.request(key, calibration, cloud.xyz, (width, height), subset)

    def _points_ready(self, key: tuple, overlay: QImage | None, error: str) -> None:
        if key != self._overlay_key:  # the frame, camera or cloud changed meanwhile
            return
        self.view.set_points(overlay)
        if error:
            self._say(error)

    def wait_for_points(self, msecs: int = 10_000) -> None:
        """Wait until the requested points overlay is shown (tests, snapshots)."""
        self.overlay_worker.wait(msecs)
        from PySide6.QtWidgets import QApplication

        QApplication.processEvents()

    # -- editing ------------------------------------------------------------------------------------
    def active_class(self) -> str:
        """The class new boxes get: the window's active class (a fallback in a project without classes)."""
        return self.document.active_class or FALLBACK_CLASS

    def _box_drawn(self, box: Box2D) -> None:
        frame_id = self.document.frame_id
        if frame_id is None or self.camera is None or self.document.project is None:
            return
        annotation = Annotation(0, frame_id, self.active_class(), box2d=box, camera=self.camera)
        command = self.document.push(AddAnnotations([annotation], label="Draw 2D box"))
        if command is not None:
            self.document.select(command.ids[0])

    def _box_edited(self, annotation_id: int, box: Box2D) -> None:
        self._set_box(annotation_id, box, "Edit 2D box")

    def _set_box(self, annotation_id: int, box: Box2D, label: str, merge_key: object = None) -> None:
        """Push the command giving a box its new rectangle (a derived box a person adjusts turns manual)."""
        project = self.document.project
        if project is None or annotation_id not in project.annotations:
            return
        current = project.annotations[annotation_id]
        changes: dict = {"box2d": box}
        if is_derived(current):
            changes["provenance"] = dataclasses.replace(current.provenance, source=Source.MANUAL)
        self.document.push(update_annotation(project, annotation_id, label, merge_key, **changes))

    def selected_box(self) -> Annotation | None:
        """The selected annotation when it is a 2D box."""
        selected = self.document.selected
        return selected if selected is not None and selected.kind == "box2d" else None

    def nudge_selected(self, dx: int, dy: int, run: int) -> None:
        """Arrow keys in the image: move the selected box by (dx, dy) pixels, kept in the image; the
        steps of one key-run (``run``) are one undo step."""
        box, project = self.selected_box(), self.document.project
        if box is None or project is None or box.box2d is None:
            return
        shifted = moved(box.box2d, dx, dy, *self.view.image_size)
        if shifted != box.box2d:
            self._set_box(box.id, shifted, "Move 2D box", ("nudge-2d", box.id, run))

    def delete_selected(self) -> None:
        """Image > Delete 2D box (Delete in the image)."""
        box = self.selected_box()
        if box is not None:
            self.document.push(RemoveAnnotations([box.id], label="Delete 2D box"))

    def link_selected(self) -> None:
        """Image > Link 2D box to cuboid: the cuboid whose projection overlaps the selected box most."""
        box, frame = self.selected_box(), self.document.frame
        if box is None or frame is None:
            self._say("Select a 2D box to link it to a cuboid")
            return
        cuboid = best_cuboid_for_box(frame, box, self.document.cuboids())
        if cuboid is None or cuboid.track_id is None:
            self._say("No cuboid projects onto this box")
            return
        self.document.push(LinkBox(box.id, cuboid.track_id))
        self._say("")

    def derive_frame(self) -> None:
        """Image > Derive 2D boxes from cuboids (this frame)."""
        frame = self.document.frame
        if frame is not None:
            self._derive([frame.id])

    def derive_all(self) -> None:
        """Image > Derive 2D boxes in all frames: computed in a worker thread (progress and Cancel in the
        status bar), applied as one undoable step."""
        if self.deriver.start(self.document.frames()):
            self._say("Deriving 2D boxes in all frames…")

    def _derive(self, frame_ids: list[int]) -> None:
        project = self.document.project
        if project is None:
            return
        frames = [project.frames[i] for i in frame_ids]
        sizes, problems = missing_image_sizes(project, frames)
        command = self.document.push(DeriveBoxes2D(frame_ids, sizes=sizes))
        if command is None:
            return
        text = f"Derived {command.added} 2D boxes ({command.removed} earlier derived replaced)"
        if problems:
            text += f"; {len(problems)} images unreadable: {problems[0]}"
        self._say(text)
