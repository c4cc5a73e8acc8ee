"""Frame leases in the window, for a project in a shared store: the frame on screen is leased to the
annotator (taken when it is opened, renewed on a timer, released when another frame is opened or the
project closes), and a lead can force-release the current frame's lease (Frame > Release frame lease).

Projects in a directory (SQLite) have no leases: everything here is then a no-op.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from annotator.core.errors import AnnotatorError
from annotator.io.pg.leases import LEASE_SECONDS
from annotator.io.store_api import SharedStore
from annotator.qt.document import Document

logger = logging.getLogger(__name__)


class FrameLeases(QObject):
    """Keeps the current frame leased while it is on screen."""

    #: A status line: whose lease blocks this frame, or why a lease could not be taken.
    message = Signal(str)

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        #: (store, frame id) of the lease this window holds.
        self.held: tuple[SharedStore, int] | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(LEASE_SECONDS * 1000 // 3)
        self.timer.timeout.connect(self.renew)
        document.frame_changed.connect(self._frame_changed)

    def _store(self) -> SharedStore | None:
        store = self.document.session.store
        return store if isinstance(store, SharedStore) else None

    def _frame_changed(self, frame_id: object) -> None:
        self.release()
        store = self._store()
        if store is None or frame_id is None:
            return
        try:
            store.acquire_lease(int(frame_id))  # type: ignore[call-overload]
        except AnnotatorError as error:
            self.message.emit(f"{error} - edits to this frame will be refused")
            return
        self.held = (store, int(frame_id))  # type: ignore[call-overload]
        self.timer.start()

    def renew(self) -> None:
        """Extend the lease of the frame on screen."""
        if self.held is None:
            return
        try:
            self.held[0].renew_leases()
        except AnnotatorError as error:
            self.message.emit(str(error))

    def release(self) -> None:
        """Give back the lease this window holds (the store may already be closed: then it lapses)."""
        self.timer.stop()
        held, self.held = self.held, None
        if held is None:
            return
        try:
            held[0].release_lease(held[1])
        except (AnnotatorError, AttributeError) as error:
            logger.info("lease of frame %d not released (%s); it lapses by itself", held[1], error)

    def force_release(self) -> None:
        """Frame > Release frame lease: clear whoever's lease on the current frame (a lead's action), then
        take it."""
        store, frame_id = self._store(), self.document.frame_id
        if store is None or frame_id is None:
            self.message.emit("Frame leases exist only in shared (postgresql://) projects")
            return
        try:
            released = store.release_lease(frame_id, force=True)
        except AnnotatorError as error:
            self.message.emit(str(error))
            return
        self.held = None
        self._frame_changed(frame_id)
        self.message.emit(f"frame {frame_id}: " + ("lease released" if released else "was not leased"))
