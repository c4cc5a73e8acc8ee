"""The frame list: every frame with its status, previous/next buttons and a slider."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from annotator.core.model.records import Frame, FrameStatus
from annotator.core.teamwork import assignees, signoff
from annotator.ml.uncertainty.whole_reviews import to_search
from annotator.qt.document import Document

logger = logging.getLogger(__name__)

_STATUS_MARK = {FrameStatus.NEW: "", FrameStatus.IN_PROGRESS: "  ◐", FrameStatus.VERIFIED: "  ✓"}
#: After a frame's name when escalation asks for it to be searched for missed objects (until it is verified).
SEARCH_MARK = "  ⌕ search for missed objects"


def team_marks(frame: Frame) -> str:
    """``  → ann, bob`` for the people a frame is assigned to, ``  ✔ rita`` for its sign-off."""
    people = assignees(frame)
    sign = signoff(frame)
    return (f"  → {', '.join(people)}" if people else "") + (f"  ✔ {sign['reviewer']}" if sign else "")


class FramesPanel(QWidget):
    """Frames in sequence order; the list, the slider and the buttons all move the current frame."""

    def __init__(
        self, document: Document, previous: QAction, following: QAction, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.list = QListWidget()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setMinimum(0)
        self.position_label = QLabel("0 / 0")
        back, forward = QToolButton(), QToolButton()
        back.setDefaultAction(previous)
        forward.setDefaultAction(following)
        back.setArrowType(Qt.ArrowType.LeftArrow)
        forward.setArrowType(Qt.ArrowType.RightArrow)
        row = QHBoxLayout()
        row.addWidget(back)
        row.addWidget(self.slider, 1)
        row.addWidget(forward)
        row.addWidget(self.position_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(row)
        layout.addWidget(self.list, 1)
        self.list.currentItemChanged.connect(self._item_chosen)
        self.slider.valueChanged.connect(self._slider_moved)
        self.slider.sliderReleased.connect(lambda: self._go_to_position(self.slider.value()))
        document.frames_changed.connect(self.refresh)
        document.opened.connect(self.refresh)
        document.frame_changed.connect(self._show_current)

    def refresh(self, *_: object) -> None:
        """Rebuild the list from the project's frames."""
        frames = self.document.frames()
        self.list.blockSignals(True)
        self.list.clear()
        for frame in frames:
            search = SEARCH_MARK if to_search(frame) else ""
            item = QListWidgetItem(
                f"{frame.index:>4}  {frame.name}{_STATUS_MARK.get(frame.status, '')}{search}{team_marks(frame)}"
            )
            item.setData(Qt.ItemDataRole.UserRole, frame.id)
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.slider.blockSignals(True)
        self.slider.setMaximum(max(len(frames) - 1, 0))
        self.slider.setEnabled(len(frames) > 1)
        self.slider.blockSignals(False)
        self._show_current(self.document.frame_id)

    def _show_current(self, frame_id: object) -> None:
        position = self.document.frame_position()
        count = self.list.count()
        self.list.blockSignals(True)
        self.list.setCurrentRow(position)
        self.list.blockSignals(False)
        self.slider.blockSignals(True)
        self.slider.setValue(max(position, 0))
        self.slider.blockSignals(False)
        self.position_label.setText(f"{position + 1} / {count}" if position >= 0 else f"– / {count}")

    def _item_chosen(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None = None) -> None:
        if item is not None:
            self.document.set_frame(item.data(Qt.ItemDataRole.UserRole))

    def _slider_moved(self, position: int) -> None:
        self.position_label.setText(f"{position + 1} / {self.list.count()}")
        if not self.slider.isSliderDown():  # keyboard or click on the groove: go at once
            self._go_to_position(position)

    def _go_to_position(self, position: int) -> None:
        frames = self.document.frames()
        if 0 <= position < len(frames):
            self.document.set_frame(frames[position].id)
