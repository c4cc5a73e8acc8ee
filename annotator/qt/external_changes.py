"""Notices what other processes (a batch ``annotator preannotate``, ``fit`` or ``import``, or other
annotators of a shared project) write to the open project and reloads it into the window.

A timer asks the store once a second whether its data version moved (one tiny query; a shared store
drains its LISTEN/NOTIFY notices instead, no round trip); only then is the project reloaded through the
session, whose change events update every view as an edit would. A shared store's reports (connection
lost, edits replayed, conflicts kept aside) go to the status bar the same way.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from annotator.core.errors import AnnotatorError
from annotator.io.store_api import SharedStore
from annotator.session import Session

logger = logging.getLogger(__name__)

#: How often the store is asked for changes, in milliseconds.
POLL_MS = 1000


class ExternalChanges(QObject):
    """Polls the open project's store and reloads changes made by other processes."""

    #: A status line: what was reloaded, or why it could not be.
    message = Signal(str)

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def check(self) -> bool:
        """Reload now if another process wrote; True when records changed."""
        try:
            changed = self.session.refresh_if_changed()
        except AnnotatorError as error:
            self.message.emit(str(error))
            return False
        if changed:
            self.message.emit("reloaded changes another program made to the project")
        store = self.session.store
        if isinstance(store, SharedStore):  # offline, back online, replay conflicts
            for report in store.take_reports():
                self.message.emit(report)
        return changed
