"""The review queue as a Qt item model: frame rows (max / mean / sum of their boxes' uncertainty) with
their box rows below. Text, colours and tooltips are computed only for the rows a view shows, so a queue
of thousands of boxes costs nothing to fill and a threshold change only repaints."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from annotator.core.model.project import Project
from annotator.ml.uncertainty.escalation import EscalationRule
from annotator.ml.uncertainty.flags import flag_text
from annotator.ml.uncertainty.queue import QueueFrame
from annotator.qt.models.flagging import FLAG_COLOR, FlagState

logger = logging.getLogger(__name__)

COLUMNS = ("frame / box", "uncertainty", "score", "mean", "sum", "note")
STALE_COLOR = QColor(150, 150, 150)
FLAGGED_TEXT_COLOR = QColor(*FLAG_COLOR).darker(130)
#: Item data roles: the annotation id of a box row, the frame id of any row.
ID_ROLE = Qt.ItemDataRole.UserRole
FRAME_ROLE = Qt.ItemDataRole.UserRole + 1

Index = QModelIndex | QPersistentModelIndex
#: The invisible root (the parent of frame rows).
ROOT = QModelIndex()


class _Top:
    """The internal pointer of frame rows."""


class QueueModel(QAbstractItemModel):
    """Frames (top level) and their boxes. A frame row's internal pointer is the model's `_TOP` tag, a box
    row's is its `QueueFrame` (both kept alive by the model, as Qt holds only the pointer)."""

    def __init__(self, flags: FlagState) -> None:
        super().__init__()
        self.flag_state = flags
        self.groups: list[QueueFrame] = []
        self.project: Project | None = None
        self._top = _Top()
        self._rows: dict[int, int] = {}

    def set_groups(self, project: Project | None, groups: list[QueueFrame]) -> None:
        """Show ``groups`` (from `queue_by_frame`) of ``project``."""
        self.beginResetModel()
        self.project = project
        self.groups = groups
        self._rows = {id(group): row for row, group in enumerate(groups)}
        self.endResetModel()

    def marks_changed(self) -> None:
        """The threshold or the current model versions changed: repaint the notes and colours."""
        if self.groups:
            last = self.index(len(self.groups) - 1, len(COLUMNS) - 1)
            self.dataChanged.emit(self.index(0, 0), last)
            for row in range(len(self.groups)):
                parent = self.index(row, 0)
                count = self.rowCount(parent)
                if count:
                    self.dataChanged.emit(
                        self.index(0, 0, parent), self.index(count - 1, len(COLUMNS) - 1, parent)
                    )

    # -- structure ----------------------------------------------------------------------------------
    def index(self, row: int, column: int, parent: Index = ROOT) -> QModelIndex:
        """The index of a frame row (no parent) or a box row (under its frame)."""
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, self._top)
        return self.createIndex(row, column, self.groups[parent.row()])

    def parent(self, index: Index) -> QModelIndex:  # type: ignore[override]
        """A box row's frame row; nothing for a frame row."""
        group = self._group_of(index)
        if group is None:
            return QModelIndex()
        return self.createIndex(self._rows[id(group)], 0, self._top)

    def _group_of(self, index: Index) -> QueueFrame | None:
        """The frame a box row belongs to (None for a frame row or an invalid index)."""
        if not index.isValid():
            return None
        pointer = index.internalPointer()
        return pointer if isinstance(pointer, QueueFrame) else None

    def rowCount(self, parent: Index = ROOT) -> int:
        """Frames at the top, boxes under a frame, nothing under a box."""
        if not parent.isValid():
            return len(self.groups)
        if self._group_of(parent) is None and parent.column() == 0:
            return len(self.groups[parent.row()].items)
        return 0

    def columnCount(self, parent: Index = ROOT) -> int:
        """`COLUMNS`."""
        return len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    # -- content ------------------------------------------------------------------------------------
    def item(self, index: Index) -> dict[str, Any] | None:
        """The review-queue item of a box row (None for a frame row)."""
        group = self._group_of(index)
        return None if group is None else group.items[index.row()]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Texts, ids, colours and tooltips, computed when asked."""
        if not index.isValid():
            return None
        group = self._group_of(index)
        if group is None:
            return self._frame_data(self.groups[index.row()], index.column(), role)
        return self._box_data(group, group.items[index.row()], index.column(), role)

    def _frame_data(self, group: QueueFrame, column: int, role: int) -> Any:
        if role == FRAME_ROLE:
            return group.frame_id
        whole = EscalationRule().reviews_whole(group.ood)
        if role == Qt.ItemDataRole.DisplayRole:
            values = (group.name, f"{group.max:.2f}", "", f"{group.mean:.2f}", f"{group.sum:.2f}")
            ood = "" if group.ood is None else f", OOD {group.ood:.2f}" + (" (review whole)" if whole else "")
            return values[column] if column < len(values) else f"{len(group.items)} boxes{ood}"
        if role == Qt.ItemDataRole.ForegroundRole:
            return FLAGGED_TEXT_COLOR if whole else None
        if role == Qt.ItemDataRole.ToolTipRole:
            text = f"frame {group.name}: max {group.max:.2f}, mean {group.mean:.2f}, sum {group.sum:.2f}"
            if group.ood is not None:
                text += (f"\nout-of-distribution score {group.ood:.2f} (distance to the nearest training frame "
                         f"over the training frames' 95th percentile)")  # fmt: skip
                text += "; reviewed whole: Accept all confident skips it" if whole else ""
            return text
        return None

    def _box_data(self, group: QueueFrame, item: dict[str, Any], column: int, role: int) -> Any:
        if role == ID_ROLE:
            return item["annotation_id"]
        if role == FRAME_ROLE:
            return group.frame_id
        annotation = self.project.annotations.get(item["annotation_id"]) if self.project else None
        if annotation is None:
            return None
        flagged = item["uncertainty"] >= self.flag_state.threshold
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                kind = " (possible missed object)" if item.get("missed") else ""
                kind = " (carried in, not confirmed)" if item.get("carried") else kind
                kind = " (carried in, slid off its object)" if item.get("slid_off") else kind
                return f"#{annotation.id} {annotation.class_name}{kind}"
            if column == 1:
                return f"{item['uncertainty']:.2f}"
            if column == 2:
                return f"{item['score']:.2f}" if item["score"] is not None else ""
            if column == 5:
                notes = (("flagged", flagged), ("stale", self.flag_state.stale(annotation)))
                return ", ".join(text for text, on in notes if on)
            return ""
        if role == Qt.ItemDataRole.ForegroundRole:
            if self.flag_state.stale(annotation):
                return STALE_COLOR
            return FLAGGED_TEXT_COLOR if flagged else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return flag_text(annotation, self.flag_state.threshold, self.flag_state.stale(annotation))
        return None
