"""The cancel token a job looks at between its steps."""

from __future__ import annotations

import threading


class JobCancelled(Exception):
    """Raised inside a job by `CancelToken.raise_if_set` to stop at once; the runner reports the job as
    cancelled, not as failed."""


class CancelToken:
    """Set from the owner's thread to ask a running job to stop at its next check (thread-safe)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the job to stop."""
        self._event.set()

    def is_set(self) -> bool:
        """True once cancelled."""
        return self._event.is_set()

    def raise_if_set(self) -> None:
        """Raise `JobCancelled` when cancelled (a check point inside long loops)."""
        if self._event.is_set():
            raise JobCancelled

    def sleep(self, seconds: float) -> bool:
        """Wait up to ``seconds`` unless cancelled meanwhile; True when cancelled."""
        return self._event.wait(seconds)
