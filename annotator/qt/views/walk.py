"""Whether the selected box is being walked: moved by the same step along its own axes again and again.

A key pressed again and again moves the box by the same step each time; once the same step came twice in
a row, the box's next positions are known (`walked_ahead`), so work for them (the orthographic views'
crops) can be done in a worker before the key is pressed again. A box nudged to and fro is no walk.
"""

from __future__ import annotations

import logging

from annotator.core.cuboids.cuboid import Cuboid
from annotator.qt.box_points import walk_step, walked_ahead

logger = logging.getLogger(__name__)


class WalkWatch:
    """Follows one box's successive places (`see`) and tells where a walk takes it next (`ahead`)."""

    def __init__(self) -> None:
        self._last: tuple[int, Cuboid] | None = None
        self._step: tuple[float, float, float] | None = None  # the last move (`walk_step`)
        #: The move of the walk, when the same move came twice in a row; None: no walk.
        self.step: tuple[float, float, float] | None = None

    def see(self, box_id: int | None, box: Cuboid | None) -> None:
        """The box ``box_id`` is at ``box`` now (None: no box selected)."""
        last, self._last = self._last, None if box_id is None or box is None else (box_id, box)
        if last is None or self._last is None or last[0] != box_id:
            self._step = self.step = None
            return
        if last[1] == box:  # shown again, not moved
            return
        step = walk_step(last[1], box)
        self.step = step if step is not None and step == self._step else None
        self._step = step

    def ahead(self, box: Cuboid, steps: int) -> list[Cuboid]:
        """``box`` moved on by the walk's step once, twice, ... ``steps`` times (none without a walk)."""
        return [] if self.step is None else walked_ahead(box, self.step, steps)
