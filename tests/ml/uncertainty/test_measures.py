"""Hand-computed cases of the measures behind escalation: AUROC, ECE and isotonic calibration, k-center
greedy, nearest-neighbour OOD distance."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.ml.uncertainty.calibration import (
    IsotonicMap,
    expected_calibration_error,
    held_out_report,
    pool_adjacent_violators,
)
from annotator.ml.uncertainty.diversity import k_center_greedy, uncertain_and_diverse
from annotator.ml.uncertainty.evaluation import auroc
from annotator.ml.uncertainty.ood import OodIndex, nearest_distances


def test_auroc_is_the_share_of_positive_negative_pairs_ranked_right_ties_half() -> None:
    values = np.array([0.9, 0.8, 0.7, 0.3, 0.2])
    positive = np.array([True, False, True, False, False])
    # positives 0.9 and 0.7 against negatives 0.8, 0.3, 0.2: 0.9 beats 3, 0.7 beats 2 -> 5 of 6
    assert auroc(values, positive) == pytest.approx(5 / 6)
    assert auroc(np.array([0.5, 0.5]), np.array([True, False])) == pytest.approx(0.5)
    assert np.isnan(auroc(np.array([0.1, 0.2]), np.array([True, True])))


def test_ece_weighs_each_bins_gap_by_its_share() -> None:
    # bin 0.1-0.2: p 0.1, 0.1, outcomes 0, 1 -> |0.5 - 0.1| x 2/4; bin 0.9-1.0: p 0.9, 1.0, outcomes 1, 1 ->
    # |1 - 0.95| x 2/4
    error = expected_calibration_error([0.1, 0.1, 0.9, 1.0], [False, True, True, True])
    assert error == pytest.approx(0.4 * 0.5 + 0.05 * 0.5)
    assert expected_calibration_error([0.25, 0.75], [False, True], bins=2) == pytest.approx(0.25)
    assert np.isnan(expected_calibration_error([], []))


def test_pool_adjacent_violators_merges_decreasing_neighbours() -> None:
    means, sizes = pool_adjacent_violators(np.array([1.0, 3.0, 2.0, 4.0]), np.ones(4))
    assert means.tolist() == [1.0, 2.5, 4.0] and sizes.tolist() == [1.0, 2.0, 1.0]
    means, sizes = pool_adjacent_violators(np.array([1.0, 1.0, 2.0]), np.array([1.0, 3.0, 1.0]))
    assert means.tolist() == [1.0, 2.0] and sizes.tolist() == [4.0, 1.0]


def test_isotonic_map_follows_observed_rates_and_never_decreases() -> None:
    values = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    outcomes = [False, True, False, True, True, True]  # rates 0, 1, 0, 1, 1, 1 -> pooled 0, .5, .5, 1, 1, 1
    mapping = IsotonicMap.fit(values, outcomes)
    assert mapping.y == (0.0, 0.5, 1.0)
    assert mapping.x == pytest.approx((0.1, 0.25, 0.5))
    mapped = mapping(np.linspace(0, 1, 11))
    assert np.all(np.diff(mapped) >= 0) and mapped[0] == 0.0 and mapped[-1] == 1.0
    assert IsotonicMap.from_dict(mapping.to_dict()) == mapping
    with pytest.raises(ValueError):
        IsotonicMap.from_dict({"kind": "isotonic", "x": [1, 0], "y": [0, 1]})


def test_calibration_lowers_the_error_of_overconfident_values_on_unseen_boxes() -> None:
    rng = np.random.default_rng(0)
    values = rng.uniform(0, 1, 4000)
    outcomes = rng.uniform(0, 1, 4000) < values**3  # stated values are far too high
    report = held_out_report(values[:2000], outcomes[:2000], values[2000:], outcomes[2000:])
    assert report.before > 0.15 and report.after < 0.03


def test_k_center_greedy_takes_the_farthest_point_each_time() -> None:
    points = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0], [5.0, 0.0], [9.0, 0.0]])
    assert k_center_greedy(points, 3) == [0, 2, 3]
    # with index 2 already chosen, the farthest from it is 0, then the middle 3 (distance 4 from 2... and 5
    # from 0 -> min 4) beats 1 (min 1)
    assert k_center_greedy(points, 2, chosen=[2]) == [0, 3]


def test_uncertain_and_diverse_skips_near_copies_of_the_hardest_case() -> None:
    features = np.array([[0.0], [0.01], [0.02], [5.0]])
    uncertainty = np.array([0.9, 0.89, 0.88, 0.6])
    assert uncertain_and_diverse(uncertainty, features, 2) == [0, 3]
    assert uncertain_and_diverse(uncertainty, features, 2, weight=0.0) == [0, 1]
    assert uncertain_and_diverse([], np.zeros((0, 1)), 3) == []


def test_nearest_distance_and_ood_score_against_a_hand_built_index() -> None:
    index = np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])
    assert nearest_distances(np.array([[3.0, 0.0]]), index).tolist() == pytest.approx([3.0])
    assert nearest_distances(index, index, skip_self=True).tolist() == pytest.approx([5.0, 5.0, 5.0])
    ood = OodIndex.build(index)
    # every training row is 5 from its neighbour before scaling, so the reference is that distance in the
    # standardised space; a training row scores 0, a far point far above 1
    assert ood.score(index).tolist() == pytest.approx([0.0, 0.0, 0.0])
    assert ood.score(np.array([[3.0, 4.0]]) + np.array([[3.0, 4.0]]) / 2)[0] == pytest.approx(0.5)
    assert ood.score(np.array([[60.0, 80.0]]))[0] > 5.0


def test_ood_index_survives_a_round_trip_and_refuses_other_files(tmp_path) -> None:
    ood = OodIndex.build(np.random.default_rng(1).normal(size=(10, 4)))
    ood.save(tmp_path / "index.npz")
    again = OodIndex.load(tmp_path / "index.npz")
    query = np.ones((1, 4))
    assert again.score(query) == pytest.approx(ood.score(query), rel=1e-5)
    np.savez(tmp_path / "other.npz", vectors=np.zeros(3))
    with pytest.raises(ValueError):
        OodIndex.load(tmp_path / "other.npz")


def test_the_review_queue_and_the_finetuning_selection_can_mix_in_diversity() -> None:
    from annotator.ml.finetune.data import most_uncertain, uncertain_diverse_frames
    from annotator.ml.uncertainty.queue import diverse_order

    items = [
        {"annotation_id": 1, "uncertainty": 0.9, "embedding": [0.0, 0.0]},
        {"annotation_id": 2, "uncertainty": 0.85, "embedding": [0.0, 0.1]},
        {"annotation_id": 3, "uncertainty": 0.5, "embedding": [4.0, 4.0]},
    ]
    assert [i["annotation_id"] for i in diverse_order(items, 1.0)] == [1, 3, 2]
    assert diverse_order([*items, {"annotation_id": 4, "uncertainty": 1.0}], 1.0)[0]["annotation_id"] == 1
    scores = {10: 0.9, 11: 0.88, 12: 0.4, 13: 0.1}
    features = {10: np.zeros(2), 11: np.array([0.0, 0.1]), 12: np.array([5.0, 5.0]), 13: np.array([5.0, 5.1])}
    assert most_uncertain(scores, 0.5) == [10, 11]
    assert uncertain_diverse_frames(scores, features, 0.5, 1.0) == [10, 12]
