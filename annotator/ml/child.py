"""What a spawned child process of a long model job (fine-tuning, distillation) does first."""

from __future__ import annotations

import contextlib
import os
import threading
import time

#: The child's nice increment (POSIX), so the window's process keeps the CPU it needs.
CHILD_NICE = 5


def _exit_with_parent(parent: int, interval: float = 1.0) -> None:
    """End this process when its parent is gone (killed without the chance to end the job)."""
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(1)


def become_background_child() -> None:
    """In the child: end together with the parent process, and run at a lower priority (`CHILD_NICE`)."""
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(CHILD_NICE)
