"""Calibration of scores and uncertainties: expected calibration error and isotonic maps.

A detector's score is read as the chance that a proposal is right, ``1 - uncertainty`` likewise; neither
is a probability as it comes. `IsotonicMap` fits a non-decreasing map from a value to the observed rate
of an outcome (pool-adjacent-violators) on held-apart frames; `expected_calibration_error` measures how
far stated probabilities are from observed rates (equal-width bins, weighted by their share of boxes).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

ECE_BINS = 10


def expected_calibration_error(
    probabilities: Sequence[float], outcomes: Sequence[bool], bins: int = ECE_BINS
) -> float:
    """Sum over equal-width bins of |observed rate - mean probability| x the bin's share of the values
    (NaN without values). A probability of exactly 1 falls in the last bin."""
    p = np.clip(np.asarray(probabilities, dtype=float), 0.0, 1.0)
    y = np.asarray(outcomes, dtype=float)
    if len(p) == 0:
        return float("nan")
    which = np.minimum((p * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            error += members.sum() / len(p) * abs(y[members].mean() - p[members].mean())
    return float(error)


def pool_adjacent_violators(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-decreasing least-squares fit of ``values`` (already in order), equal neighbours pooled too:
    (block means, strictly increasing; block sizes)."""
    means: list[float] = []
    sizes: list[float] = []
    for value, weight in zip(values, weights, strict=True):
        means.append(float(value))
        sizes.append(float(weight))
        while len(means) > 1 and means[-2] >= means[-1]:
            total = sizes[-2] + sizes[-1]
            merged = (means[-2] * sizes[-2] + means[-1] * sizes[-1]) / total
            means[-2:], sizes[-2:] = [merged], [total]
    return np.array(means), np.array(sizes)


@dataclass(frozen=True)
class IsotonicMap:
    """A non-decreasing map from a value to a probability: knots ``x`` (increasing) and ``y`` (the
    observed rates there), linear in between and constant outside."""

    x: tuple[float, ...]
    y: tuple[float, ...]

    @classmethod
    def fit(cls, values: Sequence[float], outcomes: Sequence[bool]) -> IsotonicMap:
        """The rate of ``outcomes`` as a non-decreasing function of ``values``; each block of pooled values
        becomes one knot at the mean of its values."""
        v = np.asarray(values, dtype=float)
        y = np.asarray(outcomes, dtype=float)
        if len(v) == 0:
            raise ValueError("an isotonic map needs at least one value")
        order = np.argsort(v, kind="mergesort")
        v, y = v[order], y[order]
        unique, start = np.unique(v, return_index=True)  # equal values pool first
        sizes = np.diff(np.append(start, len(v))).astype(float)
        rates = np.add.reduceat(y, start) / sizes
        means, weights = pool_adjacent_violators(rates, sizes)
        ends = np.cumsum(weights).astype(int)
        knots, first = [], 0
        for end in ends:
            block = slice(first, end)
            knots.append(float(np.average(unique[block], weights=sizes[block])))
            first = end
        return cls(tuple(knots), tuple(float(m) for m in means))

    def __call__(self, values: Sequence[float] | float) -> np.ndarray:
        """The mapped probabilities."""
        return np.interp(np.asarray(values, dtype=float), self.x, self.y)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (rounded to 6 decimals)."""
        return {"kind": "isotonic", "x": [round(v, 6) for v in self.x], "y": [round(v, 6) for v in self.y]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IsotonicMap:
        """The map `to_dict` wrote; `ValueError` for anything else."""
        x, y = data.get("x"), data.get("y")
        if data.get("kind") != "isotonic" or not isinstance(x, list) or not isinstance(y, list):
            raise ValueError("not an isotonic map")
        if not x or len(x) != len(y) or any(b < a for a, b in itertools.pairwise(x)):
            raise ValueError("an isotonic map needs increasing knots, one rate each")
        return cls(tuple(float(v) for v in x), tuple(float(v) for v in y))


@dataclass(frozen=True)
class CalibrationReport:
    """ECE before and after calibration on frames the map did not see."""

    before: float
    after: float
    boxes: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"ece_before": round(self.before, 4), "ece_after": round(self.after, 4), "boxes": self.boxes}


def held_out_report(
    fit_values: Sequence[float],
    fit_outcomes: Sequence[bool],
    test_values: Sequence[float],
    test_outcomes: Sequence[bool],
) -> CalibrationReport:
    """Fit a map on one part, measure ECE of the raw values and of the mapped ones on the other."""
    mapping = IsotonicMap.fit(fit_values, fit_outcomes)
    before = expected_calibration_error(test_values, test_outcomes)
    after = expected_calibration_error(mapping(test_values), test_outcomes)
    return CalibrationReport(before, after, len(test_values))
