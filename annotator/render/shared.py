"""Geometry that several scenes of one window draw alike, made once and shared.

Without a selection the four views draw the same cuboids and highlight the same points, so a change to
the boxes used to build the same wireframes and find the same inside points four times over on the UI
thread. `SharedGeometry` keeps what was made recently, keyed by its inputs; a VTK data object may feed
the mappers of several render windows (each uploads it to its own context).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

import numpy as np

from annotator.render.cloud import PointSet, PreparedCloud

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: How many recent results are kept.
CAPACITY = 32


class SharedGeometry:
    """A small cache of recently made geometry, keyed by what it was made from.

    Highlights are kept for one cloud at a time, so an old frame's cloud is not held in memory.
    """

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._cloud: PreparedCloud | None = None
        self.made = 0  # results made (not found): for tests

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The result made for ``key``, made now with ``make`` when it is not kept."""
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key]  # type: ignore[return-value]
        value = make()
        self.made += 1
        self._entries[key] = value
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
        return value

    def inside(
        self,
        cloud: PreparedCloud,
        boxes: Sequence[Hashable],
        within: np.ndarray | None,
        make: Callable[[], PointSet],
    ) -> PointSet:
        """The highlighted points of ``cloud`` for ``boxes`` (hashable descriptions of the boxes and
        their colours) limited to ``within``; made with ``make`` when not kept."""
        if cloud is not self._cloud:
            self._entries = OrderedDict((k, v) for k, v in self._entries.items() if k[0] != "inside")
            self._cloud = cloud
        if within is None or len(within) == len(cloud):  # sorted distinct indices of every point
            within_key: Hashable = None
        else:
            within_key = (len(within), hash(within.tobytes()))
        return self.get(("inside", tuple(boxes), within_key), make)
