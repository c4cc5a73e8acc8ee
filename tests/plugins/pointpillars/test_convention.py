"""The box convention learned from verified labels: what it measures, when it applies, how it corrects."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from plugins.pointpillars.convention import (
    ClassConvention,
    apply_convention,
    convention_from_dict,
    convention_to_dict,
    describe,
    learn_convention,
    match_boxes,
)

CLASSES = ("Car", "Pedestrian")


def amodal_labels(proposals: np.ndarray, flip_every: int = 0) -> np.ndarray:
    """Labels as a data set with amodal margins draws them: 0.3 m farther from the sensor across the box,
    0.2 m wider, 0.1 m higher; every ``flip_every``-th one pointing the other way."""
    labels = proposals.copy()
    for k, box in enumerate(labels):
        across = np.array([-np.sin(box[6]), np.cos(box[6])])
        side = np.sign(across @ box[:2])
        labels[k, :2] += 0.3 * side * across
        labels[k, 2] += 0.1
        labels[k, 4] += 0.2
        if flip_every and k % flip_every == 0:
            labels[k, 6] = np.remainder(labels[k, 6] + 2 * np.pi, 2 * np.pi) - np.pi
    return labels


def parked_cars(count: int, seed: int = 0) -> np.ndarray:
    """Cars parked along both kerbs (heading along x, left and right of the sensor)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-20, 20, count)
    y = np.where(np.arange(count) % 2 == 0, 5.0, -5.0) + rng.normal(0, 0.3, count)
    yaw = np.where(rng.random(count) < 0.5, 0.0, np.pi) + rng.normal(0, 0.03, count)
    return np.column_stack([x, y, np.full(count, -0.8), np.full(count, 4.5), np.full(count, 1.8),
                            np.full(count, 1.5), yaw])  # fmt: skip


def test_learned_residuals_are_the_labels_margins_away_from_the_sensor():
    proposals = parked_cars(30)
    rule = learn_convention({"Car": (proposals, amodal_labels(proposals, flip_every=3))})["Car"]
    assert rule.matches == 30
    assert rule.across == pytest.approx(0.3, abs=0.01)
    assert rule.up == pytest.approx(0.1, abs=1e-6)
    assert rule.ratios[1] == pytest.approx(2.0 / 1.8, abs=1e-3) and rule.ratios[0] == pytest.approx(1.0)
    assert rule.flipped == pytest.approx(10 / 30)


def test_applying_the_convention_turns_proposals_into_the_labels_on_both_sides_of_the_street():
    proposals, later = parked_cars(30, seed=1), parked_cars(12, seed=2)
    convention = learn_convention({"Car": (proposals, amodal_labels(proposals))})
    corrected = apply_convention(later, np.zeros(len(later), int), CLASSES, convention)
    assert np.abs(corrected - amodal_labels(later)).max() < 0.02


def test_a_class_with_too_few_matched_boxes_learns_nothing_and_is_left_alone():
    proposals = parked_cars(9)
    assert learn_convention({"Car": (proposals, amodal_labels(proposals))}) == {}
    convention = learn_convention({"Car": (parked_cars(12), amodal_labels(parked_cars(12)))})
    pedestrians = parked_cars(3)
    assert np.array_equal(apply_convention(pedestrians, np.ones(3, int), CLASSES, convention), pedestrians)
    assert np.array_equal(apply_convention(pedestrians, np.ones(3, int), CLASSES, {}), pedestrians)


def test_a_class_mostly_pointing_backwards_is_turned_round():
    proposals = parked_cars(20)
    convention = learn_convention({"Car": (proposals, amodal_labels(proposals, flip_every=1))})
    assert convention["Car"].flipped == 1.0
    turned = apply_convention(proposals, np.zeros(20, int), CLASSES, convention)
    difference = np.remainder(turned[:, 6] - proposals[:, 6], 2 * np.pi)
    assert np.allclose(difference, np.pi)


def test_a_class_pointing_backwards_about_half_the_time_is_not_turned():
    proposals = parked_cars(20)
    labels = amodal_labels(proposals)
    labels[::2, 6] += np.pi  # 10 of 20 the other way: no majority to follow
    labels[1, 6] += np.pi  # 11 of 20 (55 %) still a coin flip
    convention = learn_convention({"Car": (proposals, labels)})
    assert convention["Car"].flipped == pytest.approx(0.55)
    kept = apply_convention(proposals, np.zeros(20, int), CLASSES, convention)
    assert np.allclose(np.remainder(kept[:, 6] - proposals[:, 6] + np.pi, 2 * np.pi) - np.pi, 0.0)


def test_square_footprints_get_one_ratio_whichever_side_is_called_length():
    rng = np.random.default_rng(3)
    proposals = np.column_stack([rng.uniform(5, 20, (20, 2)), np.full(20, -0.9), np.full(20, 0.6),
                                 np.full(20, 0.55), np.full(20, 1.7), rng.uniform(-3, 3, 20)])  # fmt: skip
    labels = proposals.copy()
    labels[::2, 3] *= 1.4  # half the labels longer, half wider: the same footprint growth
    labels[1::2, 4] *= 1.4
    rule = learn_convention({"Pedestrian": (proposals, labels)})["Pedestrian"]
    assert rule.ratios[0] == rule.ratios[1] == pytest.approx(np.sqrt(1.4), abs=0.01)


def test_matching_pairs_each_proposal_with_its_best_label_once():
    a = Cuboid((10.0, 5.0, 0.0), (4.0, 2.0, 1.5))
    b = Cuboid((10.3, 5.0, 0.0), (4.0, 2.0, 1.5))
    far = Cuboid((30.0, -5.0, 0.0), (4.0, 2.0, 1.5))
    assert match_boxes([b, far], [a]) == [(0, 0)]
    assert match_boxes([far], [a]) == []


def test_the_convention_survives_a_round_trip_and_describes_itself():
    convention = {"Car": ClassConvention(12, -0.2, 0.25, 0.1, (1.0, 1.1, 1.05), 0.3)}
    again = convention_from_dict(convention_to_dict(convention))
    assert again == convention
    assert "Car (12 boxes)" in describe(again) and "across +0.25 m" in describe(again)
    assert convention_from_dict(None) == {} and "none" in describe({})
