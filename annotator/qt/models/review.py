"""Reviewing model proposals in the window: accept or reject the selected one (the selection then moves
to the next proposal of the frame, for fast review), or accept everything above a threshold.

The walk follows what the user last walked with: J walks the frame's proposals by score; during a walk
through the uncertain boxes (U, the review queue) accept and reject go on to the next uncertain box
(``walk``). Every box the controller selects is announced (``visited``) so the camera can follow it.

Every decision is one command on the undo stack; accepting keeps the provenance (plugin id, model
version, score) and only changes the review state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QWidget

from annotator.core.derived_links import is_derived
from annotator.core.model.records import Annotation
from annotator.core.review import AcceptProposals, RejectProposals, accept_above
from annotator.qt.app.dialog_focus import exec_returning_focus
from annotator.qt.app.settings import AppSettings
from annotator.qt.document import Document
from annotator.qt.models.model_dialogs import AcceptAboveDialog, ModelChoices

logger = logging.getLogger(__name__)


def _count(n: int) -> str:
    return f"{n} proposal" if n == 1 else f"{n} proposals"


def _review_order(annotation: Annotation) -> tuple[float, int]:
    """Proposals are reviewed best score first (ties by id)."""
    score = annotation.provenance.score
    return (-(score if score is not None else 0.0), annotation.id)


class ReviewController(QObject):
    """Accept / reject the selected proposal, go to the next one, accept all above a threshold."""

    #: A status-bar message and how long to show it (ms).
    message = Signal(str, int)
    #: The controller selected this annotation for review (the camera follows it).
    visited = Signal(int)

    def __init__(self, document: Document, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.choices = ModelChoices(settings)
        self._widget = parent
        #: During a walk through the uncertain boxes: the (frame id, annotation id) pairs that follow a
        #: box in that walk; None walks the frame's proposals by score.
        self.walk: Callable[[int], list[tuple[int, int]]] | None = None

    def proposals(self) -> list[Annotation]:
        """The current frame's unreviewed proposals (cuboids and 2D boxes) in review order; 2D boxes
        derived from a proposal are reviewed with it, not on their own."""
        project, frame_id = self.document.project, self.document.frame_id
        if project is None or frame_id is None:
            return []
        proposals = (a for a in project.annotations_of(frame_id) if a.is_proposal and not is_derived(a))
        return sorted(proposals, key=_review_order)

    def _selected_proposal(self) -> Annotation | None:
        selected = self.document.selected
        if selected is None or not selected.is_proposal:
            self.message.emit("Select a proposal (dashed box) first; J selects the next one", 4000)
            return None
        return selected

    def accept_selected(self) -> None:
        """Models > Accept proposal: accept the selected proposal and select the next one."""
        proposal = self._selected_proposal()
        if proposal is not None:
            followers = self.walk(proposal.id) if self.walk is not None else None
            self.document.push(AcceptProposals([proposal.id], label="Accept proposal"))
            self._decided("Accepted", proposal, followers)

    def reject_selected(self) -> None:
        """Models > Reject proposal: remove the selected proposal and select the next one."""
        proposal = self._selected_proposal()
        if proposal is not None:
            followers = self.walk(proposal.id) if self.walk is not None else None
            self.document.push(RejectProposals([proposal.id]))
            self._decided("Rejected", proposal, followers)

    def select_next(self) -> None:
        """Models > Next proposal: select the next proposal of the frame (wrapping around); J walks by
        score from now on."""
        self.walk = None
        current = self.document.selected
        if current is not None and current.is_proposal:
            self._select_after(current)
        else:
            self._select_first(self.proposals())

    def _decided(self, verb: str, proposal: Annotation, followers: list[tuple[int, int]] | None) -> None:
        """Say what was done, then go on: along the uncertain walk, or to the frame's next proposal."""
        if followers is None:
            self._select_after(proposal)
            left = f"{_count(len(self.proposals()))} left in this frame"
        else:
            self._select_follower(followers)
            left = "next uncertain box" if self.document.selected_id is not None else "no uncertain box left"
        self.message.emit(f"{verb} {proposal.class_name} #{proposal.id}; {left}", 5000)

    def _select_follower(self, followers: list[tuple[int, int]]) -> None:
        project = self.document.project
        for frame_id, annotation_id in followers:
            annotation = project.annotations.get(annotation_id) if project is not None else None
            if annotation is not None and annotation.is_proposal:
                self.document.set_frame(frame_id)
                self._visit(annotation_id)
                return
        self.document.select(None)

    def _select_after(self, reference: Annotation) -> None:
        remaining = [a for a in self.proposals() if a.id != reference.id]
        after = [a for a in remaining if _review_order(a) > _review_order(reference)]
        self._select_first(after or remaining)

    def _select_first(self, candidates: list[Annotation]) -> None:
        if candidates:
            self._visit(candidates[0].id)
            return
        self.document.select(None)
        self.message.emit("No proposals left to review in this frame", 4000)

    def _visit(self, annotation_id: int) -> None:
        self.document.select(annotation_id)
        self.visited.emit(annotation_id)

    def ask_accept_above(self) -> None:
        """Models > Accept all above threshold: ask the threshold and scope, then accept."""
        project = self.document.project
        if project is None:
            self.message.emit("Open a project first", 4000)
            return
        dialog = AcceptAboveDialog(
            project,
            self.document.frame_id,
            self.choices.accept_threshold,
            self.choices.accept_all_frames,
            self._widget,
        )
        if exec_returning_focus(dialog) != QDialog.DialogCode.Accepted:
            return
        threshold, all_frames = dialog.choice()
        self.choices.remember_accept(threshold, all_frames)
        self.accept_above(threshold, all_frames)

    def accept_above(self, threshold: float, all_frames: bool) -> int:
        """Accept every proposal scoring at least ``threshold`` in the current frame (or all frames) as
        one undoable step; returns how many."""
        project = self.document.project
        if project is None:
            return 0
        frames = None if all_frames or self.document.frame_id is None else [self.document.frame_id]
        command = accept_above(project, threshold, frames)
        count = len(command.annotation_ids)
        if count:
            self.document.push(command)
        self.message.emit(
            f"Accepted {count} proposal{'s' if count != 1 else ''} scoring >= {threshold:g}", 5000
        )
        return count
