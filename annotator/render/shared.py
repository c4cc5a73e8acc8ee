"""Geometry that several scenes of one window draw alike, made once and shared.

Without a selection the four views draw the same cuboids and highlight the same points, so a change to
the boxes used to build the same wireframes and find the same inside points four times over on the UI
thread. `SharedGeometry` keeps what was made recently, keyed by its inputs; a VTK data object may feed
the mappers of several render windows (each uploads it to its own context).
"""

from __future__ import annotations

import logging
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

import numpy as np

from annotator.render.cloud import PointSet, PreparedCloud

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: How many recent wireframes are kept (small: a few kB each).
CAPACITY = 32
#: How many recent highlight point sets are kept (each may hold many points): enough for what the four
#: views of one window show at a time (the whole-frame one and the one cropped around the selection).
INSIDE_CAPACITY = 4
#: How many recent crops (point indices or points) are kept: a stand-in and the exact crop that replaces
#: it, each as indices and points, the crops made ahead of a walked box (`AHEAD_CROPS` in the views' grid),
#: the sparser crop a walk draws of the last (`WALK_THIN` in the scenes) and one more.
CROP_CAPACITY = 16


class _Recent:
    """The most recently used results, at most ``capacity`` of them."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.entries: OrderedDict[Hashable, object] = OrderedDict()

    def get(self, key: Hashable, make: Callable[[], T]) -> tuple[T, bool]:
        """The result for ``key`` and whether it was made now."""
        if key in self.entries:
            self.entries.move_to_end(key)
            return self.entries[key], False  # type: ignore[return-value]
        value = self.entries[key] = make()
        while len(self.entries) > self.capacity:
            self.entries.popitem(last=False)
        return value, True


class SharedGeometry:
    """A small cache of recently made geometry, keyed by what it was made from.

    Highlights are kept for one cloud at a time, and that cloud is known by a weak reference: an old
    frame's cloud is not held in memory (a large one is freed as soon as the views let go of it).
    """

    def __init__(self, capacity: int = CAPACITY, inside_capacity: int = INSIDE_CAPACITY) -> None:
        self._recent = _Recent(capacity)
        self._inside = _Recent(inside_capacity)
        self._crops = _Recent(CROP_CAPACITY)  # crops around the selected box: large, kept briefly
        self._cloud: weakref.ref[PreparedCloud] | None = None
        self.made = 0  # results made (not found): for tests

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The result made for ``key``, made now with ``make`` when it is not kept."""
        value, made = self._recent.get(key, make)
        self.made += made
        return value

    def crop(self, key: Hashable, make: Callable[[], T]) -> T:
        """What the orthographic views draw around the selected box (its point indices, its points), made
        once for the three views; only the last few are kept (each may hold tens of thousands of points)."""
        value, made = self._crops.get(key, make)
        self.made += made
        return value

    def has_crop(self, key: Hashable) -> bool:
        """True when the crop made for ``key`` is kept."""
        return key in self._crops.entries

    def kept_crop(self, key: Hashable) -> object | None:
        """The crop kept for ``key``, if any (not made, not marked as used)."""
        return self._crops.entries.get(key)

    def put_crop(self, key: Hashable, value: object) -> None:
        """Keep ``value`` as the crop for ``key`` (made elsewhere, e.g. in a worker)."""
        self._crops.get(key, lambda: value)

    def inside(
        self,
        cloud: PreparedCloud,
        boxes: Sequence[Hashable],
        within: np.ndarray | None,
        make: Callable[[], PointSet],
        exact: bool = True,
    ) -> PointSet:
        """The highlighted points of ``cloud`` for ``boxes`` (hashable descriptions of the boxes and
        their colours) limited to ``within``; made with ``make`` when not kept (``exact``: False when
        ``make`` gives a stand-in of sample points, kept apart from the exact points)."""
        if self._cloud is None or cloud is not self._cloud():
            self._inside.entries.clear()
            self._cloud = weakref.ref(cloud)
        if within is None or len(within) == len(cloud):  # sorted distinct indices of every point
            within_key: Hashable = None
        else:
            within_key = (len(within), hash(within.tobytes()))
        value, made = self._inside.get((tuple(boxes), within_key, exact), make)
        self.made += made
        return value
