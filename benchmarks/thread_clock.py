"""The CPU time of each of this process's threads (Linux: ``/proc/self/task/*/sched``, microseconds).

`ThreadClock.read` takes a snapshot; `ThreadClock.between` gives each thread's milliseconds on a core
between two snapshots, named by the Python thread's name where it has one (else by the
kernel's name of the thread: ``llvmpipe-0``, ``QXcbEventQueue``, ...). A benchmark step that took longer
than its own thread's CPU time shows here who held the cores meanwhile.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

_RUNTIME = re.compile(r"se\.sum_exec_runtime\s*:\s*([0-9.]+)")

Snapshot = dict[int, float]  # thread id: milliseconds run so far


class ThreadClock:
    """Snapshots of every thread's run time (an empty one where ``/proc`` has no ``sched`` files)."""

    def __init__(self) -> None:
        self._tasks = Path("/proc/self/task")

    def read(self) -> Snapshot:
        """Each thread's milliseconds on a core so far."""
        snapshot: Snapshot = {}
        try:
            tasks = list(self._tasks.iterdir())
        except OSError:
            return snapshot
        for task in tasks:
            try:
                text = (task / "sched").read_text()
                snapshot[int(task.name)] = float(_RUNTIME.search(text).group(1))
            except (OSError, ValueError, AttributeError):
                continue
        return snapshot

    def name(self, tid: int) -> str:
        """The thread's Python name, or the kernel's."""
        for thread in threading.enumerate():
            if thread.native_id == tid:
                return thread.name
        try:
            return (self._tasks / str(tid) / "comm").read_text().strip()
        except OSError:
            return str(tid)

    def between(self, before: Snapshot, after: Snapshot, least_ms: float = 0.5) -> list[tuple[str, float]]:
        """(name, milliseconds run) of each thread that ran at least ``least_ms`` between the snapshots,
        the most first."""
        rows = [
            (self.name(tid), ran - before.get(tid, 0.0))
            for tid, ran in after.items()
            if ran - before.get(tid, 0.0) >= least_ms
        ]
        return sorted(rows, key=lambda row: -row[1])
