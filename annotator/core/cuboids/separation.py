"""Telling an object's own points from an object beside it: gap-based splitting along the box's axes.

The points gathered for a box (`annotator.core.cuboids.partial_fit.object_points`) join in clusters of
0.3 m cells, so an unlabelled object, a hedge or a wall standing 0.5-1 m off a car's flank can join its
cluster through a few bridging returns, and the fit then takes both for the car (a 2.7 m wide car). Along
a box axis such points show as two runs with an empty stretch between them. When the points span more
than an object of the class can (its size prior and the edge band on both sides), they are split at the
stretches of at least `GAP` m with no point, and the run nearest the box's centre is kept, with as
many of its neighbours as fit within that span.

Pure numpy.
"""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)

#: An empty stretch at least this wide (m) along a box axis separates two objects' points: wider than
#: the gaps between a car's own returns (its windows, its wheel arches seen across) at the ranges where
#: a car's points are dense enough to show its width.
GAP = 0.4


def runs(values: np.ndarray, gap: float = GAP) -> list[np.ndarray]:
    """Indices into ``values`` (N,) of its runs: sorted, split wherever two neighbours lie ``gap`` or
    more apart; in ascending order of value."""
    order = np.argsort(values, kind="stable")
    cuts = np.flatnonzero(np.diff(values[order]) >= gap) + 1
    return np.split(order, cuts)


def kept_by_gaps(values: np.ndarray, centre: float, limit: float, gap: float = GAP) -> np.ndarray:
    """A mask (N,) of the points to keep along one box axis: all of them when their ``values`` span at
    most ``limit`` (m) or show no empty stretch of ``gap``; else the run whose mean lies nearest the
    box's ``centre`` (the box was drawn round its object, not round what stands beside it: the run
    holding more points may be a hedge), grown by its neighbouring runs, the nearer to ``centre``
    first, as long as the span stays within ``limit``."""
    values = np.asarray(values, dtype=np.float64)
    keep = np.ones(len(values), dtype=bool)
    if len(values) < 2 or np.ptp(values) <= limit:
        return keep
    parts = runs(values, gap)
    if len(parts) < 2:
        return keep
    first = last = min(range(len(parts)), key=lambda k: abs(float(values[parts[k]].mean()) - centre))
    while True:
        grow = [k for k in (first - 1, last + 1) if 0 <= k < len(parts)]
        grow = [k for k in grow if _span(values, parts, min(first, k), max(last, k)) <= limit]
        if not grow:
            break
        k = min(grow, key=lambda j: float(np.min(np.abs(values[parts[j]] - centre))))
        first, last = min(first, k), max(last, k)
    keep[:] = False
    for part in parts[first : last + 1]:
        keep[part] = True
    return keep


def _span(values: np.ndarray, parts: list[np.ndarray], first: int, last: int) -> float:
    """The extent of runs ``first`` to ``last`` together."""
    return float(values[parts[last]].max() - values[parts[first]].min())
