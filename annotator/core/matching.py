"""Optimal one-to-one matching of two sets by a score matrix (the Hungarian method, no scipy needed)."""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)


def _min_cost_assignment(cost: np.ndarray) -> list[int]:
    """For a cost matrix with rows <= columns, the column of each row in a minimum-cost assignment.

    Kuhn-Munkres with potentials (O(rows^2 * columns)).
    """
    rows, columns = cost.shape
    u = np.zeros(rows + 1)
    v = np.zeros(columns + 1)
    owner = np.zeros(columns + 1, dtype=int)  # owner[j]: the row (1-based) holding column j, 0 = free
    way = np.zeros(columns + 1, dtype=int)
    for row in range(1, rows + 1):
        owner[0] = row
        column = 0
        best = np.full(columns + 1, np.inf)
        used = np.zeros(columns + 1, dtype=bool)
        while True:
            used[column] = True
            current = owner[column]
            reduced = cost[current - 1] - u[current] - v[1:]
            free = ~used[1:]
            better = free & (reduced < best[1:])
            best[1:][better] = reduced[better]
            way[1:][better] = column
            candidates = np.where(free, best[1:], np.inf)
            step_column = int(np.argmin(candidates)) + 1
            delta = candidates[step_column - 1]
            u[owner[used]] += delta
            v[used] -= delta
            best[1:][free] -= delta
            column = step_column
            if owner[column] == 0:
                break
        while column:
            previous = way[column]
            owner[column] = owner[previous]
            column = previous
    assignment = [0] * rows
    for column in range(1, columns + 1):
        if owner[column]:
            assignment[owner[column] - 1] = column - 1
    return assignment


def match_max(scores: np.ndarray, minimum: float = 0.0) -> list[tuple[int, int]]:
    """Pairs (row, column) maximising the summed score, each row and column used at most once.

    Pairs scoring at most ``minimum`` are left out (those items stay unmatched). Sorted by row.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or 0 in scores.shape:
        return []
    transposed = scores.shape[0] > scores.shape[1]
    matrix = scores.T if transposed else scores
    assignment = _min_cost_assignment(-matrix)
    pairs = [(row, column) for row, column in enumerate(assignment) if matrix[row, column] > minimum]
    if transposed:
        pairs = [(column, row) for row, column in pairs]
    return sorted(pairs)
