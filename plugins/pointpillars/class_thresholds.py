"""Per-class score thresholds: ``"Pedestrian=0.55,Car=0.45"`` -> the lowest score kept for each class.

One score threshold for every class treats a car the network is sure of and a pedestrian it calls at
0.3 alike; on the base model's generated validation frames pedestrians need about 0.55 for the precision
cars reach at 0.45 (`benchmarks/base_detector.py --class-thresholds` chooses them there, never on real
frames). Classes not named keep only the plugin's ``score_threshold``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import numpy as np

logger = logging.getLogger(__name__)

#: One ``NAME=SCORE`` pair (spaces around ``=`` allowed).
PAIR = re.compile(r"(?P<name>[^=]+?)\s*=\s*(?P<value>.*)")


def parse_class_thresholds(text: str, classes: Sequence[str]) -> np.ndarray:
    """The lowest score kept per class (0 for classes not named) from ``NAME=SCORE`` pairs separated by
    commas; `ValueError` naming the bad pair (an unknown class, a score outside 0..1)."""
    lowest = np.zeros(len(classes), dtype=np.float64)
    pairs = [PAIR.fullmatch(part.strip()) or part.strip() for part in text.split(",") if part.strip()]
    for pair in pairs:
        if isinstance(pair, str) or pair["name"] not in classes:
            item = pair if isinstance(pair, str) else pair.group(0)
            raise ValueError(
                f"class_thresholds: {item!r} is not CLASS=SCORE with CLASS one of {', '.join(classes)}"
            )
        score = _score(pair)
        lowest[list(classes).index(pair["name"])] = score
    return lowest


def _score(pair: re.Match) -> float:
    try:
        score = float(pair["value"])
    except ValueError:
        raise ValueError(f"class_thresholds: {pair.group(0)!r}: {pair['value']!r} is not a number") from None
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"class_thresholds: {pair.group(0)!r}: the score must lie in 0..1")
    return score


def format_class_thresholds(lowest: dict[str, float]) -> str:
    """``{"Car": 0.45}`` -> ``"Car=0.45"`` (the parameter's text)."""
    return ",".join(f"{name}={score:g}" for name, score in lowest.items())


def above_class_thresholds(found: list, text: str, classes: Sequence[str]) -> list:
    """Decoded candidates (`plugins.pointpillars.peaks.Candidates`, one per frame) whose scores reach their
    class's threshold in ``text``; `ValueError` naming a bad pair."""
    lowest = parse_class_thresholds(text, classes)
    return [c.where(c.scores >= lowest[c.labels]) for c in found] if lowest.any() else found
