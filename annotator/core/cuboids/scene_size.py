"""A size prior from the scene: the length and width of the class's vehicles the frame shows in full.

A side the sensor does not see in full takes its size from the class's prior (`partial_fit`). A class's
typical size is a guess across places and datasets (a car's 4.5 m), while the dense vehicles of the same
class in the same frame show what this scene holds: their fitted lengths, where the points and not the
prior gave them, tell the length a sparse one's hidden side most likely has, and their fitted widths the width of one
whose points span less than a body's width (its rounded flanks seen at a slant). With at least
`MIN_SEEN` of either, a box with weak evidence of its own (`MIN_POINTS` to `WEAK_POINTS` object points
of its own sweep) takes their median as its prior's length or width.

Pure functions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.partial_fit import ELONGATED
from annotator.core.cuboids.scene_heading import CONFIDENT_POINTS, WEAK_POINTS, Placed

logger = logging.getLogger(__name__)

#: At least this many fully seen lengths of a class in the frame make its scene length.
MIN_SEEN = 3
#: A box with fewer object points than this keeps the class's prior: a few returns at 60 m do not
#: place even its visible face well enough for a shorter hidden side to stand on.
MIN_POINTS = 20


def seen_side(fit: Placed, prior: Sequence[float] | None, axis: int) -> float | None:
    """The size along ``axis`` (0: length, 1: width) of a confident fit (`CONFIDENT_POINTS`) of an
    elongated class when its points gave it (it differs from the class's ``prior``), else None."""
    if prior is None or fit.points < CONFIDENT_POINTS or prior[0] < ELONGATED * prior[1]:
        return None
    size = float(fit.cuboid.size[axis])
    return None if np.isclose(size, prior[axis]) else size


def scene_prior(
    prior: Sequence[float] | None,
    points: int,
    fits: Sequence[Placed],
    priors: Sequence[Sequence[float] | None],
) -> tuple[float, float, float] | None:
    """``prior`` with its length and width the medians of the lengths and widths the frame's confident
    fits of the same class (the same prior) show in full (`seen_side`; each where at least `MIN_SEEN`
    are seen), for a box with fewer than `WEAK_POINTS` object points of its own sweep; None when the box
    has enough points of its own or too few (`MIN_POINTS`), or neither side is seen often enough."""
    if prior is None or not MIN_POINTS <= points < WEAK_POINTS:
        return None
    same = [fit for fit, other in zip(fits, priors) if other is not None and tuple(other) == tuple(prior)]
    sizes = []
    for axis in (0, 1):
        seen = [size for fit in same if (size := seen_side(fit, prior, axis)) is not None]
        sizes.append(float(np.median(seen)) if len(seen) >= MIN_SEEN else None)
    if sizes == [None, None]:
        return None
    length, width = (float(prior[axis]) if size is None else size for axis, size in enumerate(sizes))
    return (length, width, float(prior[2]))


def size_from_boxes(
    prior: Sequence[float] | None, points: int, same_class: Sequence[Cuboid], count: Callable[[Cuboid], int]
) -> tuple[float, float, float] | None:
    """`scene_prior` among a frame's other boxes of the box's class as drawn (the window's fit of one
    box), each counted by ``count`` (its points inside) only when the box itself is weak."""
    if prior is None or not MIN_POINTS <= points < WEAK_POINTS:
        return None
    fits = [Placed(other, count(other)) for other in same_class]
    return scene_prior(prior, points, fits, [prior] * len(fits))
