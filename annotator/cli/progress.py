"""A tiny progress printer for long batch commands: one redrawn line on a terminal, a few lines otherwise.

On a TTY the bar is redrawn in place (at most every ``interval`` seconds) and cleared at the end. When
stderr is a file or a pipe, a plain line is printed at every 10% (and at the end), so logs stay short.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

logger = logging.getLogger(__name__)


class Progress:
    """Progress of ``total`` steps, printed to ``stream`` (stderr by default)."""

    def __init__(
        self,
        total: int,
        label: str = "",
        stream: TextIO | None = None,
        interval: float = 0.1,
        width: int = 30,
        enabled: bool = True,
    ) -> None:
        self.total = max(0, int(total))
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.width = width
        self.enabled = enabled
        self.done = 0
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._started = time.monotonic()
        self._last_draw = 0.0
        self._last_decile = -1
        self._drawn = False

    def update(self, done: int, note: str = "", total: int | None = None) -> None:
        """Set the number of finished steps (``note``: what was just done, e.g. a frame name).

        ``total`` sets (or corrects) the number of steps when it was not known up front.
        """
        if total is not None:
            self.total = max(0, int(total))
        self.done = max(0, min(int(done), self.total))
        if not self.enabled or not self.total:
            return
        finished = self.done >= self.total
        if self.tty:
            now = time.monotonic()
            if finished or now - self._last_draw >= self.interval:
                self._last_draw = now
                self._write("\r" + self._line(note) + "\x1b[K")
                self._drawn = True
        else:
            decile = self.done * 10 // self.total
            if decile > self._last_decile and (decile > 0 or finished):
                self._last_decile = decile
                self._write(self._line(note) + "\n")

    def advance(self, steps: int = 1, note: str = "") -> None:
        """Count ``steps`` more finished steps."""
        self.update(self.done + steps, note)

    def close(self) -> None:
        """Clear the bar from a terminal line (a plain stream keeps its lines)."""
        if self.enabled and self.tty and self._drawn:
            self._write("\r\x1b[K")
            self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _line(self, note: str) -> str:
        fraction = self.done / self.total if self.total else 1.0
        filled = round(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.monotonic() - self._started
        eta = ""
        if 0 < self.done < self.total:
            eta = f" eta {_duration(elapsed / self.done * (self.total - self.done))}"
        head = f"{self.label} " if self.label else ""
        tail = f" {note}" if note and self.tty else ""
        return f"{head}[{bar}] {fraction:4.0%} {self.done}/{self.total} {_duration(elapsed)}{eta}{tail}"

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed pipe must not stop the work
            self.enabled = False


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
