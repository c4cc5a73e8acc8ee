"""The adapted uncertainty's ranking of wrong proposals after the first adaptation, against the score alone."""

from __future__ import annotations

import math

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.ml.uncertainty.escalation import EscalationFrame
from annotator.ml.uncertainty.ranking import ranking_after_adaptation

BOX = Cuboid((10.0, 0.0, 0.0), (4.0, 2.0, 1.5), 0.0)


def frame(uncertainty: list[float], wrong: list[bool], score: list[float] | None) -> EscalationFrame:
    proposals = [("Car", BOX)] * len(uncertainty)
    return EscalationFrame(
        "f", proposals, np.array(uncertainty), np.array(wrong), [], [],
        score=None if score is None else np.array(score),
    )  # fmt: skip


def test_only_the_frames_after_the_first_adaptation_are_ranked() -> None:
    frames = [
        frame([0.0, 1.0], [True, False], [0.9, 0.1]),  # before the first adaptation: left out
        frame([0.9, 0.1], [True, False], [0.2, 0.8]),
        frame([0.4, 0.6], [True, False], [0.9, 0.3]),
    ]
    ranking = ranking_after_adaptation(frames, every=1)
    assert (ranking["frames"], ranking["proposals"], ranking["wrong"]) == (2, 4, 2)
    # wrong {0.9, 0.4} against right {0.1, 0.6}: three of the four pairs in order
    assert ranking["auroc_uncertainty"] == 0.75
    # the score (high = right): wrong {0.2, 0.9} against right {0.8, 0.3}: two of four
    assert ranking["auroc_score"] == 0.5


def test_a_ranking_needs_wrong_and_right_proposals_and_scores() -> None:
    all_right = ranking_after_adaptation([frame([0.1], [False], [0.9])] * 3, every=1)
    assert all_right["proposals"] == 2 and math.isnan(all_right["auroc_uncertainty"])
    unscored = ranking_after_adaptation([frame([0.9, 0.1], [True, False], None)] * 2, every=1)
    assert unscored["auroc_uncertainty"] == 1.0 and math.isnan(unscored["auroc_score"])
    assert ranking_after_adaptation([frame([0.9], [True], [0.1])], every=5)["proposals"] == 0
