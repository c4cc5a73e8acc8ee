"""The track strip (Tracks > Track strip, a dock under the views): the batch view of one track, a row
of crops of its boxes over the frames (the top view above the side view, the box's front to the right
in both, only the points around each box, all at one scale so sizes compare at a glance), the current
frame's crop outlined; each caption gives the frame's position and whether its box is a keyframe,
propagated or interpolated.

A click on a crop goes to its frame and selects the track's box there, so the Cuboid menu's keys (move,
turn) edit it; a drag in a crop moves or turns that box (one undo step). A change of size (a drag on an
edge in a crop, a Cuboid > Resize key on the focused crop, or the size fields above the strip) gives the
whole track that size in one undo step (a held key: one step), so its boxes stay consistent. Like the
timeline, the strip keeps the last selected track. It works only while it is shown: crops are cut from
each frame's cloud in a worker (`annotator.qt.crop_loader`) and only the cropped points are kept and drawn.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.cuboid_ops import edit_cuboids, resize
from annotator.core.cuboids.rotation import wrap_angle
from annotator.core.model.project import Change
from annotator.core.model.records import Annotation, Source
from annotator.core.track_crops import crop_extent, crop_margin, size_track
from annotator.qt.crop_loader import CropLoader
from annotator.qt.document import Document
from annotator.qt.panels.crop_tile import TILE_WIDTH, CropTile

logger = logging.getLogger(__name__)

MESSAGE_MS = 5000
EDIT_LABELS = {"move": "Move cuboid", "turn": "Rotate cuboid"}
#: The handler of the Cuboid > Resize actions, whose keys a focused crop takes.
RESIZE_HANDLER = "editing.grow"


class TrackStrip(QWidget):
    """A row of `CropTile` for the selected track, with the track's size above it."""

    #: A status-bar message and how long to show it (ms).
    message = Signal(str, int)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trackStrip")
        self.document = document
        self.track_id: int | None = None
        self.tiles: dict[int, CropTile] = {}  # frame id -> tile
        self._cut_around: dict[int, Cuboid] = {}  # frame id -> the box its crop was (or is being) cut around
        self._resize_actions: list[tuple[QAction, tuple]] = []
        self._dirty = True
        self.crops = CropLoader(self)
        self.crops.cropped.connect(self._cropped)
        self.caption = QLabel("Select a box of a track")
        self.size_fields = [self._size_field(name) for name in ("length", "width", "height")]
        self.median_button = QPushButton("Median size to all")
        self.median_button.setToolTip(
            "give every box of the track the median size of its keyframes (one step)"
        )
        self.median_button.clicked.connect(self.apply_median_size)
        header = QHBoxLayout()
        header.addWidget(self.caption, 1)
        header.addWidget(QLabel("size (m)"))
        for field in self.size_fields:
            header.addWidget(field)
        header.addWidget(self.median_button)
        self.row = QWidget()
        self.row_layout = QHBoxLayout(self.row)
        self.row_layout.setContentsMargins(2, 2, 2, 2)
        self.row_layout.setSpacing(4)
        self.row_layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.row)
        self.row.installEventFilter(self)  # the row grows after tiles are added: scroll then
        self.scroll.setWidgetResizable(True)
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addLayout(header)
        layout.addWidget(self.scroll, 1)
        document.selection_changed.connect(self._selection_changed)
        document.frame_changed.connect(self._frame_changed)
        document.opened.connect(self._opened)
        document.session.events.project.connect(self._on_batch)
        document.cuboid_previewed.connect(self._previewed)

    def _size_field(self, name: str) -> QDoubleSpinBox:
        field = QDoubleSpinBox()
        field.setObjectName(f"stripSize-{name}")
        field.setRange(0.05, 100.0)
        field.setDecimals(2)
        field.setSingleStep(0.05)
        field.setKeyboardTracking(False)
        field.setToolTip(f"the track's {name}: a change applies to every box of the track (one step)")
        field.valueChanged.connect(lambda _value: self._size_typed())
        return field

    # -- showing ------------------------------------------------------------------------------------
    def reveal(self) -> None:
        """Tracks > Track strip: show (and raise) the strip's dock for the selected track."""
        widget = self.parentWidget()
        while widget is not None and not isinstance(widget, QDockWidget):
            widget = widget.parentWidget()
        if widget is not None:
            widget.show()
            widget.raise_()
        self.show()
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        """Catch up with changes made while hidden."""
        super().showEvent(event)
        if self._dirty:
            self.refresh()

    def _opened(self) -> None:
        self.show_track(None)

    def show_track(self, track_id: int | None) -> None:
        """Show the crops of ``track_id`` (None: none)."""
        self.track_id = track_id
        self.crops.reset()
        self._cut_around = {}
        for tile in self.tiles.values():
            self.row_layout.removeWidget(tile)
            tile.deleteLater()
        self.tiles = {}
        self.refresh()

    def _selection_changed(self, _annotation_id: object) -> None:
        selected = self.document.selected
        if (
            selected is not None
            and selected.cuboid is not None
            and selected.track_id not in (None, self.track_id)
        ):
            self.track_id = selected.track_id
            self.refresh()
        elif selected is not None and selected.track_id == self.track_id:
            self._show_size(self.boxes())  # the size fields show the selected box's size

    def _frame_changed(self, _frame_id: object) -> None:
        for frame_id, tile in self.tiles.items():
            current = frame_id == self.document.frame_id
            if tile.current != current:
                tile.current = current
                tile.update()
        QTimer.singleShot(0, self._scroll_to_current)  # once the row is laid out

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Once the row has its new width (tiles added), bring the current frame's crop into view."""
        if watched is self.row and event.type() == QEvent.Type.Resize:
            QTimer.singleShot(0, self._scroll_to_current)
        return False

    def _scroll_to_current(self) -> None:
        tile = self.tiles.get(self.document.frame_id)
        if tile is not None and self.isVisible():
            self.scroll.ensureWidgetVisible(tile, TILE_WIDTH, 0)

    def _previewed(self, annotation_id: int, cuboid: object) -> None:
        """A box of the track is being dragged in a view: its crop follows live (None: the drag ended)."""
        tile = next((t for t in self.tiles.values() if t.annotation_id == annotation_id), None)
        if tile is not None and self.isVisible() and (cuboid is None or isinstance(cuboid, Cuboid)):
            tile.preview = cuboid
            tile.update()

    def _on_batch(self, changes: Sequence[Change]) -> None:
        track = self.track_id
        if track is not None and any(
            c.kind == "annotation" and any(r is not None and r.track_id == track for r in (c.before, c.after))
            for c in changes
        ):
            self.refresh()

    # -- the tiles ----------------------------------------------------------------------------------
    def boxes(self) -> list[Annotation]:
        """The track's cuboids in sequence order."""
        project = self.document.project
        if project is None or self.track_id is None or self.track_id not in project.tracks:
            return []
        return [a for a in project.annotations_of_track(self.track_id) if a.cuboid is not None]

    def refresh(self) -> None:
        """Match the tiles to the track's boxes (only while shown; else later, when shown)."""
        if not self.isVisible():
            self._dirty = True
            return
        self._dirty = False
        boxes = self.boxes()
        if [a.frame_id for a in boxes] != list(self.tiles) or any(
            self.tiles[a.frame_id].annotation_id != a.id for a in boxes
        ):
            self._rebuild(boxes)
            QTimer.singleShot(0, self._scroll_to_current)
        project = self.document.project
        track = project.tracks[self.track_id] if boxes and project is not None else None
        positions = {f.id: i for i, f in enumerate(self.document.frames())}
        color = (
            QColor(*self.document.class_color(track.class_name))
            if track is not None
            else QColor(200, 200, 200)
        )
        for annotation in boxes:
            tile = self.tiles[annotation.frame_id]
            tile.color = color
            tile.caption = _caption(annotation, positions[annotation.frame_id])
            tile.current = annotation.frame_id == self.document.frame_id
            tile.set_box(annotation.cuboid)
            self._request_crop(annotation)
        self._show_size(boxes)
        self._fit_scale()
        if track is not None:
            self.caption.setText(f"{track.class_name} track {self.track_id}: {len(boxes)} boxes")
        else:
            self.caption.setText("Select a box of a track")

    def _rebuild(self, boxes: list[Annotation]) -> None:
        """One tile per box, in sequence order; tiles of boxes still there are kept with their crops."""
        kept = {(t.frame_id, t.annotation_id): t for t in self.tiles.values()}
        wanted = {(a.frame_id, a.id) for a in boxes}
        for key, tile in kept.items():
            if key not in wanted:
                self.row_layout.removeWidget(tile)
                tile.deleteLater()
                self._cut_around.pop(key[0], None)
        self.tiles = {}
        for position, annotation in enumerate(boxes):
            tile = kept.get((annotation.frame_id, annotation.id))
            if tile is None:
                tile = CropTile(annotation.frame_id, annotation.id)
                tile.activated.connect(self._activated)
                tile.edited.connect(self._edited)
                tile.resized.connect(self._resized)
                tile.resize_step = self.resize_step
            self.row_layout.removeWidget(tile)  # kept tiles move to their place
            self.row_layout.insertWidget(position, tile)
            self.tiles[annotation.frame_id] = tile

    def _request_crop(self, annotation: Annotation) -> None:
        """Cut the frame's points around the box, unless the crop there already holds it."""
        project, box = self.document.project, annotation.cuboid
        frame = project.frames.get(annotation.frame_id) if project is not None else None
        if frame is None or box is None:
            return
        if not frame.cloud:
            self.tiles[frame.id].set_points(np.zeros((0, 3), np.float32))
            return
        cut = self._cut_around.get(frame.id)
        if cut is not None and _holds(cut, box):
            return
        self._cut_around[frame.id] = box
        path = project.resolve_path(frame.cloud)
        cached = self.document.loader.cached(frame.id, path)
        self.crops.request(frame.id, path, box, None if cached is None else cached.cloud.xyz)

    def _cropped(self, frame_id: int, box: Cuboid, points: object) -> None:
        tile = self.tiles.get(frame_id)
        if tile is not None and self._cut_around.get(frame_id) == box:
            tile.set_points(points if isinstance(points, np.ndarray) else np.zeros((0, 3), np.float32))

    def _fit_scale(self) -> None:
        """One scale for every tile: the largest box and its margin fill a top view."""
        extent = crop_extent([t.box for t in self.tiles.values() if t.box is not None])
        for tile in self.tiles.values():
            tile.set_extent(extent)

    # -- editing ------------------------------------------------------------------------------------
    def _activated(self, tile: CropTile) -> None:
        """A crop was pressed: show its frame with the track's box selected."""
        track = self.track_id
        if self.document.frame_id != tile.frame_id:
            self.document.set_frame(tile.frame_id)
        self.track_id = track
        self.document.select(tile.annotation_id)

    def _edited(self, tile: CropTile, kind: str, box: Cuboid) -> None:
        """A drag in a crop ended: move or turn that box, or give the whole track the new size."""
        project = self.document.project
        if project is None or self.track_id is None:
            return
        if kind == "size":
            command = size_track(project, self.track_id, box.size, {tile.annotation_id: box})
        else:
            command = edit_cuboids(project, [tile.annotation_id], lambda _c: box, EDIT_LABELS[kind])
        if command is not None:
            self.document.push(command)
            self.message.emit(command.label, MESSAGE_MS)

    def bind_resize_keys(self, specs: Sequence[object], actions: dict[str, QAction]) -> None:
        """Let the focused crop take the Cuboid > Resize actions' keys (as rebound) for the whole track."""
        self._resize_actions = [
            (actions[spec.id], spec.args)
            for spec in specs
            if getattr(spec, "handler", None) == RESIZE_HANDLER and spec.id in actions
        ]

    def resize_step(self, keys: QKeySequence) -> tuple[str, float] | None:
        """The (dimension, step) of the resize action bound to ``keys``, or None."""
        for action, (dimension, step) in self._resize_actions:
            if keys in action.shortcuts():
                return dimension, step
        return None

    def _resized(self, tile: CropTile, dimension: str, step: float) -> None:
        """A resize key on a crop: the whole track grows (or shrinks) by the step, one undo step per held key."""
        project = self.document.project
        box = project.annotations.get(tile.annotation_id) if project is not None else None
        if project is None or box is None or box.cuboid is None or self.track_id is None:
            return
        size = resize(box.cuboid, dimension, step).size
        merge = ("strip-size", self.track_id, dimension, step, tile.key_run)
        command = size_track(project, self.track_id, size, merge_key=merge)
        if command is not None:
            self.document.push(command)
            self.message.emit(command.label, MESSAGE_MS)

    def _show_size(self, boxes: list[Annotation]) -> None:
        size = self._agreed_size(boxes)
        for field, value in zip(self.size_fields, size if size is not None else (0.0, 0.0, 0.0), strict=True):
            field.blockSignals(True)
            field.setValue(value)
            field.setEnabled(size is not None)
            field.blockSignals(False)
        self.median_button.setEnabled(bool(boxes))

    def _agreed_size(self, boxes: list[Annotation]) -> tuple[float, float, float] | None:
        """The size shown in the fields: the selected box's when it is of the track, else the latest keyframe's."""
        if not boxes:
            return None
        chosen = next((a for a in boxes if a.id == self.document.selected_id), None)
        keys = [a for a in boxes if a.keyframe] or boxes
        return tuple(float(v) for v in (chosen or keys[-1]).cuboid.size)

    def _size_typed(self) -> None:
        """A size field changed: the whole track gets the fields' size (one step)."""
        self.apply_size(tuple(field.value() for field in self.size_fields))

    def apply_size(self, size: tuple[float, float, float]) -> None:
        """Give every box of the shown track ``size`` (one undoable step)."""
        project = self.document.project
        if project is None or self.track_id is None:
            return
        command = size_track(project, self.track_id, size)
        if command is not None:
            self.document.push(command)
            self.message.emit(command.label, MESSAGE_MS)

    def apply_median_size(self) -> None:
        """The median size of the track's keyframes to every box of the track (one step)."""
        boxes = self.boxes()
        keys = [a for a in boxes if a.keyframe] or boxes
        if keys:
            median = np.median(np.array([a.cuboid.size for a in keys]), axis=0)
            self.apply_size(tuple(float(v) for v in median))


def _holds(cut: Cuboid, box: Cuboid) -> bool:
    """True when a crop cut around ``cut`` still shows all of ``box``'s surroundings well enough."""
    moved = float(np.linalg.norm(np.subtract(cut.center, box.center)))
    grown = max(0.0, *(float(b - c) for b, c in zip(box.size, cut.size, strict=True)))
    return moved + grown <= 0.5 * crop_margin(cut) and abs(wrap_angle(cut.yaw - box.yaw)) < 0.3


def _caption(annotation: Annotation, position: int) -> str:
    """A crop's caption: the frame's position in the sequence and how its box came to be."""
    source = annotation.provenance.source
    if not annotation.keyframe:
        mark = "interpolated"
    elif source in (Source.PROPAGATED, Source.INTERPOLATED):
        mark = source.value
    else:
        mark = "keyframe"
    return f"{position}  {mark}"
