"""The consensus view: two annotators' disagreements on the current frame, resolved one by one, and the
reviewer's sign-off.

Each open disagreement is a row (the object's boxes, each side's class, IoU, what differs); choosing a row
selects its boxes in the views. Keep one side's box, keep both, or delete: each one undoable step. The
frame's agreement score and sign-off are shown above the table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.core.agreement import BoxAgreement, FrameAgreement, frame_agreement
from annotator.core.consensus import DeleteBoxes, KeepBoth, KeepBox, open_disagreements
from annotator.core.teamwork import RevokeSignOff, SignOffFrames, assignees, signoff
from annotator.io.identity import current_user
from annotator.qt.document import Document

logger = logging.getLogger(__name__)

COLUMNS = ("boxes", "first", "second", "IoU", "differs in")


def issue(box: BoxAgreement) -> str:
    """What the two sides disagree about, in words."""
    if box.first is None or box.second is None:
        return "drawn by one only"
    if not box.class_match:
        return "class"
    return "overlap"


class ConsensusPanel(QWidget):
    """Disagreements of the current frame with buttons to resolve them, and the frame's sign-off."""

    def __init__(
        self, document: Document, user: Callable[[], str] = current_user, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.user = user
        self.agreement: FrameAgreement | None = None
        self.boxes: list[BoxAgreement] = []
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.signed = QLabel()
        self.signed.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.keep_first_button = QPushButton("Keep first")
        self.keep_second_button = QPushButton("Keep second")
        self.keep_both_button = QPushButton("Keep both")
        self.delete_button = QPushButton("Delete")
        self.sign_button = QPushButton("Sign off frame")
        buttons = QGridLayout()
        for position, button in enumerate(
            (self.keep_first_button, self.keep_second_button, self.keep_both_button, self.delete_button)
        ):
            buttons.addWidget(button, position // 2, position % 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.signed)
        layout.addWidget(self.sign_button)
        self.keep_first_button.clicked.connect(lambda: self.keep(0))
        self.keep_second_button.clicked.connect(lambda: self.keep(1))
        self.keep_both_button.clicked.connect(self.keep_both)
        self.delete_button.clicked.connect(self.delete)
        self.sign_button.clicked.connect(self.sign_off)
        self.table.itemSelectionChanged.connect(self._row_chosen)
        for signal in (
            document.opened,
            document.frames_changed,
            document.frame_changed,
            document.annotations_changed,
        ):
            signal.connect(self.refresh)
        self.refresh()

    # -- state --------------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        """Catch up when shown (a hidden panel does not compute)."""
        super().showEvent(event)
        self.refresh()

    def refresh(self, *_: object) -> None:
        """Recompute the current frame's agreement and list its open disagreements (only while shown)."""
        if not self.isVisible():  # computed once shown (`showEvent`): each step of a walked box comes here
            if self.agreement is not None or self.boxes:  # emptied once, then left alone
                self.agreement, self.boxes = None, []
                self._fill_table()
                self._show_summary()
            return
        project, frame = self.document.project, self.document.frame
        self.agreement = frame_agreement(project, frame) if project and frame else None
        self.boxes = open_disagreements(self.agreement) if self.agreement is not None else []
        self._fill_table()
        self._show_summary()

    def current(self) -> BoxAgreement | None:
        """The chosen disagreement (the first when none is chosen)."""
        rows = self.table.selectionModel().selectedRows()
        position = rows[0].row() if rows else 0
        return self.boxes[position] if 0 <= position < len(self.boxes) else None

    def _fill_table(self) -> None:
        chosen = self.current()
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.boxes))
        for row, box in enumerate(self.boxes):
            sides = [a.class_name if a is not None else "-" for a in (box.first, box.second)]
            values = (
                ", ".join(map(str, box.ids)),
                *sides,
                f"{box.iou:.2f}" if box.matched else "-",
                issue(box),
            )
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        if chosen is not None and chosen in self.boxes:
            self.table.selectRow(self.boxes.index(chosen))
        self.table.blockSignals(False)
        first, second = (
            (self.agreement.first, self.agreement.second) if self.agreement else ("first", "second")
        )
        self.table.setHorizontalHeaderLabels(["boxes", first, second, "IoU", "differs in"])
        self.table.resizeColumnsToContents()  # every column in view in a narrow dock
        self.keep_first_button.setText(f"Keep {first}'s")
        self.keep_second_button.setText(f"Keep {second}'s")
        for button in (
            self.keep_first_button,
            self.keep_second_button,
            self.keep_both_button,
            self.delete_button,
        ):
            button.setEnabled(bool(self.boxes))

    def _show_summary(self) -> None:
        frame = self.document.frame
        if frame is None:
            self.summary.setText("No frame.")
            self.signed.setText("")
            self.sign_button.setEnabled(False)
            return
        people = assignees(frame)
        assigned = f"Assigned to {', '.join(people)}. " if people else ""
        result = self.agreement
        if result is None:
            text = "Not annotated by two people." if self.isVisible() else ""
        else:
            text = (
                f"{result.first} / {result.second}: score {result.score:.2f}, {result.agreed} of "
                f"{result.objects} objects agree; {len(self.boxes)} open disagreements."
            )
        self.summary.setText(assigned + text)
        sign = signoff(frame)
        self.signed.setText(
            f"Signed off by {sign['reviewer']} at {sign['at']}" if sign else "Not signed off."
        )
        self.sign_button.setText("Revoke sign-off" if sign else "Sign off frame")
        self.sign_button.setEnabled(True)

    def _row_chosen(self) -> None:
        box = self.current()
        if box is not None:
            self.document.select_many(list(box.ids))

    # -- resolutions (each one undoable step) --------------------------------------------------------
    def keep(self, side: int) -> None:
        """Keep the first (0) or second (1) annotator's box of the chosen object, deleting the other's."""
        box, result = self.current(), self.agreement
        if box is None or result is None:
            return
        kept, dropped = (box.first, box.second) if side == 0 else (box.second, box.first)
        author = result.first if side == 0 else result.second
        if kept is None:  # that side drew nothing here: its version is no box at all
            self.document.push(DeleteBoxes(box.ids))
        elif dropped is None:  # the lone box stays: the object is resolved as it is
            self.document.push(KeepBoth(result.frame.id, box.ids))
        else:
            self.document.push(KeepBox(kept.id, [dropped.id], author))

    def keep_both(self) -> None:
        """Keep every box of the chosen object as it is."""
        box = self.current()
        if box is not None and self.document.frame_id is not None:
            self.document.push(KeepBoth(self.document.frame_id, box.ids))

    def delete(self) -> None:
        """Delete every box of the chosen object."""
        box = self.current()
        if box is not None:
            self.document.push(DeleteBoxes(box.ids))

    def select_next(self) -> None:
        """Choose the next open disagreement (wrapping)."""
        if self.boxes:
            current = self.table.currentRow()
            self.table.selectRow((current + 1) % len(self.boxes))

    def sign_off(self) -> None:
        """Sign the current frame off as the user (or revoke its sign-off)."""
        frame = self.document.frame
        if frame is None:
            return
        if signoff(frame):
            self.document.push(RevokeSignOff([frame.id]))
            return
        scores = {frame.id: self.agreement.score} if self.agreement is not None else None
        at = datetime.now(UTC).isoformat(timespec="seconds")
        self.document.push(SignOffFrames([frame.id], self.user(), at, scores))
