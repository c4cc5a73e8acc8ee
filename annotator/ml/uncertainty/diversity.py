"""Choosing a batch that is uncertain and diverse: (weighted) k-center greedy over latent features.

Ranking by uncertainty alone tends to pick ten copies of one hard case. `k_center_greedy` picks each next
item as far as possible (Euclidean) from those already picked; `uncertain_and_diverse` weighs that distance
by the item's uncertainty, so the batch covers the feature space where the model is unsure.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

logger = logging.getLogger(__name__)


def _distances(features: np.ndarray, index: int) -> np.ndarray:
    return np.linalg.norm(features - features[index], axis=1)


def k_center_greedy(features: np.ndarray, count: int, chosen: Sequence[int] = ()) -> list[int]:
    """``count`` new indices of ``features`` (N, D), each the farthest from every index chosen so far
    (``chosen`` first; without it the first pick is index 0). Ties go to the lower index."""
    features = np.asarray(features, dtype=float)
    n = len(features)
    picked: list[int] = []
    nearest = np.full(n, np.inf)
    for index in chosen:
        nearest = np.minimum(nearest, _distances(features, index))
    while len(picked) < min(count, n - len(chosen)):
        candidates = np.where(np.isfinite(nearest), nearest, np.inf)
        for index in (*chosen, *picked):
            candidates[index] = -1.0
        pick = 0 if not (chosen or picked) else int(np.argmax(candidates))
        picked.append(pick)
        nearest = np.minimum(nearest, _distances(features, pick))
    return picked


def uncertain_and_diverse(
    uncertainty: Sequence[float], features: np.ndarray, count: int, weight: float = 1.0
) -> list[int]:
    """``count`` indices: first the most uncertain item, then each next maximising uncertainty x (distance
    to the nearest pick / the largest such distance) ** ``weight`` (0: uncertainty alone)."""
    u = np.asarray(uncertainty, dtype=float)
    features = np.asarray(features, dtype=float)
    n = len(u)
    if n == 0 or count <= 0:
        return []
    first = int(np.argmax(u))
    picked = [first]
    nearest = _distances(features, first)
    while len(picked) < min(count, n):
        spread = nearest.max()
        closeness = nearest / spread if spread > 0 else np.ones(n)
        gain = u * closeness**weight
        gain[picked] = -1.0
        pick = int(np.argmax(gain))
        picked.append(pick)
        nearest = np.minimum(nearest, _distances(features, pick))
    return picked
