"""The track timeline: a strip under the views showing the selected object's track along the sequence,
one cell per frame: keyframes filled in the class colour, interpolated boxes pale, frames without the
object empty; the current frame outlined. A click jumps to that frame (and selects the track's box
there); Tracks > Set / Clear keyframe (Alt+K / Alt+Shift+K) edit the current frame's cell.

The timeline keeps showing the last selected track while the frames it visits have no box of it (so a
gap can be filled with Set keyframe); selecting another object switches it.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from annotator.core.timeline import Cell, TimelineCell, clear_keyframe, set_keyframe, track_cells
from annotator.qt.document import Document

logger = logging.getLogger(__name__)

#: Height of the strip (pixels) and width of the caption on its left.
STRIP_HEIGHT = 30
CAPTION_WIDTH = 220
EMPTY = QColor(120, 120, 120)
CURRENT = QColor(255, 255, 255)


class TrackTimeline(QWidget):
    """The selected track's frames as a strip of cells; click to jump, keys to set / clear a keyframe."""

    #: A status-bar message and how long to show it (ms).
    message = Signal(str, int)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trackTimeline")
        self.document = document
        self.track_id: int | None = None
        self.cells: list[TimelineCell] = []
        self.setMinimumHeight(STRIP_HEIGHT)
        self.setMaximumHeight(STRIP_HEIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        document.selection_changed.connect(self._selection_changed)
        document.annotations_changed.connect(self.refresh)
        document.frame_changed.connect(self.refresh)
        document.opened.connect(self._opened)

    def sizeHint(self) -> QSize:
        """A strip: wide, `STRIP_HEIGHT` high."""
        return QSize(600, STRIP_HEIGHT)

    # -- state --------------------------------------------------------------------------------------
    def _opened(self) -> None:
        self.track_id = None
        self.refresh()

    def _selection_changed(self, _annotation_id: object) -> None:
        selected = self.document.selected
        if selected is not None and selected.track_id is not None and selected.cuboid is not None:
            self.track_id = selected.track_id
        self.refresh()

    def refresh(self, *_: object) -> None:
        """Read the track's cells from the project and repaint."""
        project = self.document.project
        if project is None or self.track_id is None or self.track_id not in project.tracks:
            self.track_id = None
            self.cells = []
        else:
            self.cells = track_cells(project, self.track_id)
        counts = {state: sum(c.state is state for c in self.cells) for state in Cell}
        self.setToolTip(
            ""
            if not self.cells
            else f"{counts[Cell.KEYFRAME]} keyframes, {counts[Cell.INTERPOLATED]} interpolated, "
            f"{counts[Cell.MISSING]} frames without it; click a frame to go there"
        )
        self.update()

    # -- geometry -----------------------------------------------------------------------------------
    def _cell_rect(self, position: int) -> QRectF:
        width = max(self.width() - CAPTION_WIDTH - 4, 1) / max(len(self.cells), 1)
        return QRectF(CAPTION_WIDTH + position * width, 4, max(width - 1, 1), self.height() - 8)

    def cell_at(self, x: float) -> int | None:
        """The position of the cell under widget x, or None."""
        if not self.cells or x < CAPTION_WIDTH:
            return None
        for position in range(len(self.cells)):
            rect = self._cell_rect(position)
            if rect.left() <= x < rect.left() + rect.width() + 1:
                return position
        return None

    def cell_centre(self, position: int) -> QPointF:
        """Where cell ``position`` is drawn (for tests and tooltips)."""
        return self._cell_rect(position).center()

    # -- painting -----------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        """Caption, then one cell per frame."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(40, 40, 40))
        painter.setPen(QColor(220, 220, 220))
        caption = QRectF(6, 0, CAPTION_WIDTH - 10, self.height())
        painter.drawText(caption, Qt.AlignmentFlag.AlignVCenter, self._caption())
        color = self._class_color()
        for position, cell in enumerate(self.cells):
            rect = self._cell_rect(position)
            if cell.state is Cell.KEYFRAME:
                painter.fillRect(rect, color)
            elif cell.state is Cell.INTERPOLATED:
                painter.fillRect(
                    rect.adjusted(0, rect.height() * 0.3, 0, -rect.height() * 0.3), color.lighter(150)
                )
            else:
                painter.fillRect(rect.adjusted(0, rect.height() * 0.45, 0, -rect.height() * 0.45), EMPTY)
            if cell.frame.id == self.document.frame_id:
                painter.setPen(QPen(CURRENT, 2))
                painter.drawRect(rect.adjusted(-1, -2, 1, 2))
        painter.end()

    def _caption(self) -> str:
        project = self.document.project
        if not self.cells or project is None or self.track_id is None:
            return "Track timeline: select a box"
        track = project.tracks[self.track_id]
        keys = sum(c.state is Cell.KEYFRAME for c in self.cells)
        return f"{track.class_name} track {self.track_id}: {keys} keyframes"

    def _class_color(self) -> QColor:
        project = self.document.project
        track = project.tracks.get(self.track_id) if project is not None and self.track_id else None
        label_class = project.schema.get(track.class_name) if track is not None and project else None
        return QColor(*label_class.color) if label_class is not None else QColor(200, 200, 200)

    # -- input --------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A click on a cell goes to its frame and selects the track's box there."""
        position = self.cell_at(event.position().x())
        if position is None or event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        self.go_to(position)

    def go_to(self, position: int) -> None:
        """Show the frame of cell ``position`` with the track's box there selected."""
        cell = self.cells[position]
        track = self.track_id
        self.document.set_frame(cell.frame.id)
        self.track_id = track  # the jump cleared the selection; the timeline stays on the track
        if cell.annotation is not None:
            self.document.select(cell.annotation.id)
        self.refresh()

    # -- keyframes ----------------------------------------------------------------------------------
    def set_keyframe(self) -> None:
        """Tracks > Set keyframe: the track's box in the current frame becomes a keyframe."""
        self._edit(set_keyframe, "already a keyframe here, or no keyframe to start from")

    def clear_keyframe(self) -> None:
        """Tracks > Clear keyframe: interpolated between the keyframes around it, else removed."""
        self._edit(clear_keyframe, "no keyframe of this track in this frame")

    def _edit(self, plan, why_not: str) -> None:
        project, frame_id, track = self.document.project, self.document.frame_id, self.track_id
        if project is None or frame_id is None or track is None:
            self.message.emit("Select a box of the track first", 4000)
            return
        command = plan(project, track, frame_id)
        if command is None:
            self.message.emit(f"Nothing done: {why_not}", 4000)
            return
        self.document.push(command)
        self.track_id = track
        box = next((c.annotation for c in track_cells(project, track) if c.frame.id == frame_id), None)
        self.document.select(box.id if box is not None else None)
        self.track_id = track
        self.refresh()
        self.message.emit(f"{command.label} (frame {self.document.frame.name})", 4000)
