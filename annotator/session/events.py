"""Plain-Python events: a small observer list per kind of news the session gives."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)


class Event:
    """Callbacks called in the order they connected, on the thread that emits (the session's owner).

    A callback that raises stops the emission and the error reaches the emitter, as a direct call would.
    """

    def __init__(self) -> None:
        self._callbacks: list[Callable[..., Any]] = []

    def connect(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        """Call ``callback`` on every emission (connecting it twice calls it once); returns it."""
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable[..., Any]) -> None:
        """Stop calling ``callback`` (nothing happens when it was not connected)."""
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        """Call every connected callback with ``args`` (those connected during the emission wait for the next)."""
        for callback in list(self._callbacks):
            callback(*args)

    def __len__(self) -> int:
        return len(self._callbacks)


@dataclass(frozen=True)
class SessionEvents:
    """What a session announces. View-state events come first, `project` last, for one change."""

    #: A project was opened or closed (no arguments).
    opened: Event = field(default_factory=Event)
    #: A step is durable (saved, undone, redone, or another process's changes loaded): the changes.
    project: Event = field(default_factory=Event)
    #: The undo history changed (what Undo / Redo would do): no arguments.
    history: Event = field(default_factory=Event)
    #: The current frame changed: its id or None.
    frame: Event = field(default_factory=Event)
    #: The selection changed: the primary annotation id or None.
    selection: Event = field(default_factory=Event)
    #: The class new boxes get changed: its name.
    active_class: Event = field(default_factory=Event)
    #: A class was hidden or shown: its name and True when hidden.
    hidden_classes: Event = field(default_factory=Event)
