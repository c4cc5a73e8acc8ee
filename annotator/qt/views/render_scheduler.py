"""One render per event-loop turn: views ask for renders here instead of rendering at once.

Under software OpenGL one render of a view costs 50-300 ms. When a change touches every view (new
proposals, another frame), rendering all four back to back blocks input for their sum. The scheduler
keeps the views that asked (each at most once, in the order they asked) and renders one per turn of the
event loop, so input, timers and progress are handled between two renders. Nothing renders unless a
view asked: rendering stays on demand.

A renderable whose work can wait (``background = True``: the chunks of progressive detail) lets the
views' own renders that queued behind it go first, up to `YIELD_TURNS` of them in a row, so the redraw of
an edit is not held back by a chunk of detail (a 30-50 ms render at 100M points).
"""

from __future__ import annotations

import logging
from typing import Protocol

from PySide6.QtCore import QObject, QTimer

logger = logging.getLogger(__name__)

#: Most renders in a row that go before a waiting background renderable (the four views of one edit).
YIELD_TURNS = 4


class Renderable(Protocol):
    """What the scheduler renders: anything with a `render_now` method (the 3D views)."""

    def render_now(self) -> float: ...


class RenderScheduler(QObject):
    """Coalesces render requests of several views and renders them one per event-loop turn, round robin.

    A view that asks again while it waits keeps its place; one that asks after its render joins the end
    of the queue, so a view that changes all the time cannot starve the others. After a render the
    scheduler lets one more turn pass before the next: Qt may run a zero-interval timer again before
    timers that fell due during the render (seen with a 5 ms timer), which would put renders back to back.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: list[Renderable] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._render_next)
        self._settling = False  # the turn after a render: let what fell due during it run first
        self._yielded = 0  # renders that went before a waiting background renderable, in a row
        self.renders = 0  # renders done (for tests and benchmarks)

    def request(self, view: Renderable, first: bool = False) -> None:
        """Render ``view`` in a coming turn of the event loop (once, however often it asks); with ``first``,
        before the others waiting (the second half of a picture drawn in two turns)."""
        if first and view in self._queue:
            self._queue.remove(view)
        if view not in self._queue:
            self._queue.insert(0, view) if first else self._queue.append(view)
        if not self._timer.isActive():
            self._timer.start()

    def pending(self, view: Renderable) -> bool:
        """True while ``view`` waits for its render."""
        return view in self._queue

    def withdraw(self, view: Renderable) -> None:
        """Forget ``view``'s request (it rendered by other means, or is going away)."""
        if view in self._queue:
            self._queue.remove(view)
        if not self._queue:
            self._timer.stop()

    @property
    def waiting(self) -> int:
        """How many views wait for a render."""
        return len(self._queue)

    def _render_next(self) -> None:
        if not self._queue:
            return
        if self._settling:  # Qt may run this timer again before timers that fell due during the render
            self._settling = False
            self._timer.start()
            return
        view = self._next_view()
        self._settling = True
        if self._queue:
            self._timer.start()
        self.renders += 1
        take_turn = getattr(view, "take_turn", None)  # a view may split a render over two turns
        take_turn() if take_turn is not None else view.render_now()

    def _next_view(self) -> Renderable:
        """Take the next renderable off the queue: the first, unless it is background work and a view
        waits behind it (at most `YIELD_TURNS` times in a row)."""
        view = self._queue[0]
        if getattr(view, "background", False) and self._yielded < YIELD_TURNS:
            ahead = next((other for other in self._queue if not getattr(other, "background", False)), None)
            if ahead is not None:
                self._yielded += 1
                self._queue.remove(ahead)
                return ahead
        self._yielded = 0
        self._queue.pop(0)
        return view
