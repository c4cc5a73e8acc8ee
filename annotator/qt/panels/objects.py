"""The object list: the current frame's cuboids with class, track id, points inside, provenance, review
state, score and uncertainty (unreviewed model proposals are marked and set in italics; boxes flagged as
uncertain get an amber mark, and every scored row explains its uncertainty on hover)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QColor, QFont, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.core.model.records import Annotation, Provenance, Source
from annotator.ml.uncertainty.flags import flag_text
from annotator.ml.uncertainty.scoring import uncertainty_of
from annotator.qt.document import Document
from annotator.qt.models.flagging import FLAG_COLOR
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


class RowContent(NamedTuple):
    """Everything one row of the object list shows (compared to skip rows that did not change)."""

    values: tuple[object, ...]
    tip: str
    italic: bool
    color: tuple[int, int, int]
    flagged: bool


class ObjectsPanel(QWidget):
    """A sortable table of the frame's cuboids; selecting a row selects the object in the views."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._shown: dict[int, RowContent] = {}  # annotation id -> what its row shows
        self._id_items: dict[int, QTableWidgetItem] = {}  # annotation id -> its row's first cell
        self._icons: dict[tuple[int, int, int], QIcon] = {}
        self._plain = QFont()
        self._italic = QFont()
        self._italic.setItalic(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)  # Ctrl/Shift+click
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
        document.points_found.connect(self.refresh)
        document.annotations_changed.connect(self._annotations_changed)
        document.frame_changed.connect(self.refresh)
        document.opened.connect(self.refresh)
        document.selection_changed.connect(self._show_selection)

    def _annotations_changed(self, _selected_touched: bool) -> None:
        """Update only the rows of the edited annotations (a nudge changes one row of many); additions,
        removals and changes that may touch any row (flags, the schema) refresh the whole table."""
        ids = self.document.changed_ids
        project = self.document.project
        if ids is None or project is None:
            self.refresh()
            return
        contents: dict[int, RowContent] = {}
        for key in ids:
            annotation = project.annotations.get(key)
            shown = annotation is not None and annotation.kind == "cuboid"
            shown = shown and annotation.frame_id == self.document.frame_id  # type: ignore[union-attr]
            if shown != (key in self._id_items):  # a row to add or to remove
                self.refresh()
                return
            if shown:
                contents[key] = self._row_content(annotation)  # type: ignore[arg-type]
        for key, content in contents.items():
            if self._shown.get(key) != content:
                self._restate_row(key, content)

    def _restate_row(self, key: int, content: RowContent) -> None:
        """Put new content in a shown row's cells in place: the table is not re-sorted and the selection
        not rebuilt (a row whose sort value changed moves to its place, its selection with it)."""
        before = self._shown[key]
        restyle = before._replace(values=content.values) != content  # tooltip, italics, colour or flag
        row = self._id_items[key].row()
        columns = [c for c, value in enumerate(content.values) if restyle or before.values[c] != value]
        items = [self.table.item(row, column) for column in columns]  # before any row moves
        for column, item in zip(columns, items, strict=True):  # only what differs: each call costs
            self._dress(item, column, content.values[column], content, restyle)
        self._shown[key] = content

    @contextmanager
    def _filling(self) -> Iterator[None]:
        """Change rows with sorting, signals and column fitting held off, then sort, fit the columns
        once and show the selection again."""
        self.table.blockSignals(True)
        self.table.setSortingEnabled(False)
        # Columns fitted to their contents after every item cost O(rows^2): fit once at the end.
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        try:
            yield
        finally:
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            self.table.setSortingEnabled(True)
            self.table.blockSignals(False)
        self._show_selection(self.document.selected_id)

    def refresh(self, *_: object) -> None:
        """Bring the rows up to date with the current frame, touching only rows whose content changed:
        rows of removed annotations go, new ones are added, changed ones are filled again."""
        wanted = {annotation.id: annotation for annotation in self.document.cuboids()}
        contents = {key: self._row_content(annotation) for key, annotation in wanted.items()}
        rows = {self.annotation_at(row): row for row in range(self.table.rowCount())}
        gone = sorted((row for key, row in rows.items() if key not in wanted), reverse=True)
        changed = [key for key in wanted if key in rows and self._shown.get(key) != contents[key]]
        added = [key for key in wanted if key not in rows]
        if not (gone or changed or added):
            return
        with self._filling():
            for row in gone:
                key = self.annotation_at(row)
                self._shown.pop(key, None)  # type: ignore[arg-type]
                self._id_items.pop(key, None)  # type: ignore[arg-type]
                self.table.removeRow(row)
            rows = {self.annotation_at(row): row for row in range(self.table.rowCount())}
            for key in changed:
                self._fill_row(rows[key], contents[key])
            first = self.table.rowCount()
            self.table.setRowCount(first + len(added))
            for offset, key in enumerate(added):
                self._fill_row(first + offset, contents[key])
            for key in (*changed, *added):
                self._shown[key] = contents[key]

    def _row_content(self, annotation: Annotation) -> RowContent:
        """What one row shows: the cell values, the tooltip, italics, the class colour, the flag."""
        count = self.document.points_inside(annotation)
        score = annotation.provenance.score
        record = uncertainty_of(annotation)
        flags = self.document.flags
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
        tip = flag_text(annotation, flags.threshold, flags.stale(annotation)) if record else ""
        return RowContent(
            values,
            tip,
            annotation.is_proposal,
            self.document.class_color(annotation.class_name),
            record is not None and flags.flagged(annotation),
        )

    def _icon(self, rgb: tuple[int, int, int]) -> QIcon:
        icon = self._icons.get(rgb)
        if icon is None:
            icon = self._icons[rgb] = color_icon(rgb)
        return icon

    def _fill_row(self, row: int, content: RowContent) -> None:
        for column, value in enumerate(content.values):
            item = QTableWidgetItem()
            item.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)
            self._dress(item, column, value, content)
            if column == 0:
                self._id_items[value] = item  # type: ignore[index]
            self.table.setItem(row, column, item)

    def _dress(
        self, item: QTableWidgetItem, column: int, value: object, content: RowContent, style: bool = True
    ) -> None:
        """Give a cell its value and (with ``style``) its font, tooltip, icon and colour, every one, so a
        reused cell keeps none of what it showed before."""
        item.setData(Qt.ItemDataRole.DisplayRole, value if isinstance(value, (int, float)) else str(value))
        if not style:
            return
        item.setFont(self._italic if content.italic else self._plain)
        item.setToolTip(content.tip)
        if column == 0:
            item.setData(Qt.ItemDataRole.UserRole, value)
        elif column == 1:
            item.setIcon(self._icon(content.color))
        elif column == UNCERTAINTY_COLUMN:
            item.setIcon(self._icon(FLAG_COLOR) if content.flagged else QIcon())
            item.setData(Qt.ItemDataRole.ForegroundRole, QColor(*FLAG_COLOR) if content.flagged else None)

    def annotation_at(self, row: int) -> int | None:
        """The annotation id shown in ``row``."""
        item = self.table.item(row, 0)
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _row_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()})
        current = self.table.currentRow()
        if current in rows:  # the row clicked last becomes the primary box
            rows.remove(current)
            rows.insert(0, current)
        ids = [self.annotation_at(row) for row in rows]
        self.document.select_many([i for i in ids if i is not None])

    def _show_selection(self, _: object = None) -> None:
        chosen = self.document.selected_ids
        self.table.blockSignals(True)
        self.table.clearSelection()
        model, flags = self.table.selectionModel(), QItemSelectionModel.SelectionFlag
        for row in range(self.table.rowCount()):
            if self.annotation_at(row) in chosen:
                model.select(self.table.model().index(row, 0), flags.Select | flags.Rows)
                if self.annotation_at(row) == chosen[0]:
                    self.table.scrollToItem(self.table.item(row, 0))
        self.table.blockSignals(False)
