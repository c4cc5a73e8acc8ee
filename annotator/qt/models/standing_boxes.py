"""Models > Confirm standing carried boxes: whether scoring a frame confirms a carried box the model does not
box where it stands where its track's box, confirmed by a person or the model, stood on the frame before
(`annotator.ml.uncertainty.carried_check`; on by default, for one frame).

The choice is a project setting (`STILL_FRAMES_SETTING`), changed by an undoable, saved step; the check mark
follows the project (undo, another window).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from annotator.core.edits import SetSetting
from annotator.ml.uncertainty.carried_check import DEFAULT_STILL_FRAMES, STILL_FRAMES_SETTING, still_frames_of
from annotator.qt.document import Document

logger = logging.getLogger(__name__)

ACTION_ID = "models.confirm_standing"
MESSAGE_MS = 5000


class StandingBoxes(QObject):
    """The handler of Models > Confirm standing carried boxes (``standing.set_confirm``)."""

    message = Signal(str, int)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._action: QAction | None = None
        document.opened.connect(self._check_action)
        document.settings_changed.connect(self._check_action)

    def bind_actions(self, actions: dict[str, QAction]) -> None:
        """Keep the menu's check mark on the project's setting."""
        self._action = actions.get(ACTION_ID)
        self._check_action()

    def confirms(self) -> bool:
        """Whether the open project's scoring confirms standing carried boxes (the default without one)."""
        project = self.document.project
        return (still_frames_of(project) if project is not None else DEFAULT_STILL_FRAMES) > 0

    def set_confirm(self, checked: bool) -> None:
        """Turn the confirmation of standing carried boxes on or off for the project (one undoable step)."""
        if self.document.project is None:
            self.message.emit("Open a project to choose how its carried boxes are checked", MESSAGE_MS)
        elif checked != self.confirms():
            self.document.push(SetSetting(STILL_FRAMES_SETTING, DEFAULT_STILL_FRAMES if checked else 0))
            self.message.emit(
                "Scoring confirms a standing carried box for one frame after a person or the model did"
                if checked
                else "Scoring confirms carried boxes only where the model's own box agrees",
                MESSAGE_MS,
            )
        self._check_action()

    def _check_action(self) -> None:
        if self._action is not None:
            self._action.blockSignals(True)
            self._action.setChecked(self.confirms())
            self._action.blockSignals(False)
