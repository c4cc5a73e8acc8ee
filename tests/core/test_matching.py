"""The Hungarian matching: the best total, not the greedy first pick."""

from __future__ import annotations

import itertools

import numpy as np

from annotator.core.matching import match_max


def test_optimal_matching_beats_the_greedy_choice():
    # greedy takes (0, 0) = 0.9 first and is left with (1, 1) = 0.1: total 1.0; the optimum is 0.8 + 0.8
    scores = np.array([[0.9, 0.8], [0.8, 0.1]])
    assert match_max(scores) == [(0, 1), (1, 0)]


def test_pairs_at_or_below_the_minimum_stay_unmatched():
    scores = np.array([[0.6, 0.0], [0.0, 0.05]])
    assert match_max(scores, minimum=0.1) == [(0, 0)]


def test_rectangular_matrices_either_way_and_empty_ones():
    tall = np.array([[0.1], [0.7], [0.3]])
    assert match_max(tall) == [(1, 0)]
    assert match_max(tall.T) == [(0, 1)]
    assert match_max(np.zeros((0, 3))) == []


def test_matches_brute_force_on_random_matrices():
    rng = np.random.default_rng(7)
    for _ in range(60):
        rows, columns = (int(n) for n in rng.integers(1, 6, 2))
        scores = rng.random((rows, columns))
        total = sum(scores[i, j] for i, j in match_max(scores, minimum=-1.0))
        if rows <= columns:
            best = max(
                sum(scores[i, p[i]] for i in range(rows))
                for p in itertools.permutations(range(columns), rows)
            )
        else:
            best = max(
                sum(scores[p[j], j] for j in range(columns))
                for p in itertools.permutations(range(rows), columns)
            )
        assert abs(total - best) < 1e-9
