"""Ending a worker that ran on its own QThread (shared by the background jobs of the window)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QThread

logger = logging.getLogger(__name__)


def release_worker(thread: QThread | None, worker: QObject | None) -> None:
    """Stop ``thread``'s event loop, wait for it, and delete both once Qt is done with them."""
    if thread is not None:
        thread.quit()
        thread.wait()
        thread.deleteLater()
    if worker is not None:
        worker.deleteLater()
