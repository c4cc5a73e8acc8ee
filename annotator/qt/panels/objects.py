"""The object list: the current frame's cuboids with class, track id, points inside, provenance, review
state, score and uncertainty (unreviewed model proposals are marked and set in italics; boxes flagged as
uncertain get an amber mark, and every scored row explains its uncertainty on hover)."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.core.records import Annotation, Provenance, Source
from annotator.ml.uncertainty.flags import flag_text
from annotator.ml.uncertainty.scoring import uncertainty_of
from annotator.qt.document import Document
from annotator.qt.flagging import FLAG_COLOR
from annotator.qt.panels.classes import color_icon

logger = logging.getLogger(__name__)

COLUMNS = ("id", "class", "track", "points", "source", "review", "score", "uncertainty", "key")
UNCERTAINTY_COLUMN = COLUMNS.index("uncertainty")
#: What the review column says of an unreviewed model proposal.
PROPOSAL_MARKER = "\u25c7 proposal"


def provenance_text(provenance: Provenance) -> str:
    """``manual``, or ``model-id v2 (0.87)`` for model output."""
    if provenance.source != Source.MODEL:
        return provenance.source.value
    text = provenance.model_id or "model"
    if provenance.model_version:
        text += f" {provenance.model_version}"
    if provenance.score is not None:
        text += f" ({provenance.score:.2f})"
    return text


def frame_role(annotation: Annotation) -> str:
    """``keyframe`` for a box a person (or a copy, a model) placed, ``interpolated`` for one filled in
    between keyframes of its track."""
    return "keyframe" if annotation.keyframe else "interpolated"


def _item(value: object) -> QTableWidgetItem:
    item = QTableWidgetItem()
    item.setData(Qt.ItemDataRole.DisplayRole, value if isinstance(value, (int, float)) else str(value))
    item.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)
    return item


class ObjectsPanel(QWidget):
    """A sortable table of the frame's cuboids; selecting a row selects the object in the views."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.table)
        self.table.itemSelectionChanged.connect(self._row_selected)
        document.cloud_changed.connect(self.refresh)
        document.annotations_changed.connect(self.refresh)
        document.frame_changed.connect(self.refresh)
        document.opened.connect(self.refresh)
        document.selection_changed.connect(self._show_selection)

    def refresh(self, *_: object) -> None:
        """Rebuild the rows from the current frame."""
        self.table.blockSignals(True)
        self.table.setSortingEnabled(False)
        # Columns fitted to their contents after every item cost O(rows^2): fit once at the end.
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        annotations = self.document.cuboids()
        self.table.setRowCount(len(annotations))
        for row, annotation in enumerate(annotations):
            self._fill_row(row, annotation)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setSortingEnabled(True)
        self.table.blockSignals(False)
        self._show_selection(self.document.selected_id)

    def _fill_row(self, row: int, annotation: Annotation) -> None:
        count = self.document.points_inside(annotation)
        score = annotation.provenance.score
        record = uncertainty_of(annotation)
        values = (
            annotation.id,
            annotation.class_name,
            annotation.track_id if annotation.track_id is not None else "",
            count if count is not None else "…",
            provenance_text(annotation.provenance),
            PROPOSAL_MARKER if annotation.is_proposal else annotation.review.value,
            round(score, 2) if score is not None else "",
            round(float(record["uncertainty"]), 2) if record is not None else "",
            frame_role(annotation),
        )
        flags = self.document.flags
        tip = flag_text(annotation, flags.threshold, flags.stale(annotation)) if record else ""
        for column, value in enumerate(values):
            item = _item(value)
            if annotation.is_proposal:
                font = item.font()
                font.setItalic(True)
                item.setFont(font)
            if column == 0:
                item.setData(Qt.ItemDataRole.UserRole, annotation.id)
            if column == 1:
                item.setIcon(color_icon(self.document.class_color(annotation.class_name)))
            if tip:
                item.setToolTip(tip)
            if column == UNCERTAINTY_COLUMN and flags.flagged(annotation):
                item.setIcon(color_icon(FLAG_COLOR))
                item.setForeground(QColor(*FLAG_COLOR))
            self.table.setItem(row, column, item)

    def annotation_at(self, row: int) -> int | None:
        """The annotation id shown in ``row``."""
        item = self.table.item(row, 0)
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _row_selected(self) -> None:
        rows = {index.row() for index in self.table.selectedIndexes()}
        self.document.select(self.annotation_at(rows.pop()) if rows else None)

    def _show_selection(self, annotation_id: object) -> None:
        self.table.blockSignals(True)
        self.table.clearSelection()
        for row in range(self.table.rowCount()):
            if annotation_id is not None and self.annotation_at(row) == annotation_id:
                self.table.selectRow(row)
                self.table.scrollToItem(self.table.item(row, 0))
                break
        self.table.blockSignals(False)
