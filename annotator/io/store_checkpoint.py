"""Checkpoints of a project database's write-ahead log, run in a thread of their own.

In WAL mode with ``synchronous=NORMAL`` a commit appends the step to the ``-wal`` file and syncs nothing:
that is what makes an edit safe from the application being killed (see `annotator.io.store`). The
fsyncs come at a checkpoint, when the log is copied back into the database file. SQLite runs one
automatically inside the commit that takes the log past 1,000 pages (about every 120 box edits), on the
thread that commits: in the window that is the window's thread, and while another program keeps the
disk busy (a 100M-point cloud's scratch file) such a commit waited close to a second for the disk.

`Checkpointer` takes the checkpoints off the committing thread: the store turns SQLite's automatic
checkpoint down to a far larger log (`SAFETY_PAGES`, only for a checkpointer that cannot keep up), and
the checkpointer's thread, woken after each commit, runs a passive checkpoint (it never blocks writers
or readers) on its own connection once `EVERY_WRITES` commits came in. What a commit makes durable is
unchanged: every step is in the log when the commit returns, as before.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

logger = logging.getLogger(__name__)

#: Commits between two checkpoints (each appends about 8 pages of 4 kB for a box edit).
EVERY_WRITES = 64
#: Log pages at which SQLite checkpoints within a commit after all (the checkpointer fell behind).
SAFETY_PAGES = 16_000


class Checkpointer:
    """A thread that checkpoints the database at ``path`` after every `EVERY_WRITES` commits (see the
    module docstring); `wrote` counts a commit, `stop` ends the thread (its connection closed)."""

    def __init__(self, path: Path, every: int = EVERY_WRITES) -> None:
        self.path = path
        self.every = max(1, every)
        self.checkpoints = 0  # checkpoints run (tests)
        self.thread_names: set[str] = set()  # the threads they ran on (tests)
        self._writes = 0
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="store-checkpoint", daemon=True)
        self._thread.start()

    def wrote(self) -> None:
        """One more commit: wake the thread when a checkpoint is due."""
        self._writes += 1
        if self._writes >= self.every:
            self._writes = 0
            self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """End the thread (a checkpoint under way finishes first)."""
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                if connection is None:
                    connection = sqlite3.connect(self.path, timeout=0.0, check_same_thread=False)
                self._checkpoint(connection)
        finally:
            if connection is not None:
                connection.close()

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        try:
            ((busy, pages, copied),) = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as error:  # another checkpoint holds the log: the next one catches up
            logger.debug("%s: checkpoint skipped (%s)", self.path, error)
            return
        self.checkpoints += 1
        self.thread_names.add(threading.current_thread().name)
        logger.debug("%s: checkpoint of %s log pages, %s copied (busy %s)", self.path, pages, copied, busy)
