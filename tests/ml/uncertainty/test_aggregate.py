"""Aggregation of K passes: matching, and each measure against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.ml.protocol import Detections
from annotator.ml.uncertainty.aggregate import aggregate, frame_reductions, match_passes


def boxes2d(rows, scores, labels=None, classes=("Car",), probabilities=None) -> Detections:
    labels = [0] * len(rows) if labels is None else labels
    return Detections(np.array(rows, float).reshape(-1, 4), labels, scores, classes, "v1", probabilities)


def cuboids(rows, scores) -> Detections:
    return Detections(np.array(rows, float).reshape(-1, 7), [0] * len(rows), scores, ("Car",), "v1")


def test_identical_passes_are_certain_about_the_box_and_keep_the_score_entropy() -> None:
    found = aggregate([boxes2d([[0, 0, 10, 10]], [0.8]), boxes2d([[0, 0, 10, 10]], [0.8])])
    assert len(found) == 1
    m = found[0].measures
    entropy = -(0.8 * math.log(0.8) + 0.2 * math.log(0.2)) / math.log(2)  # 0.72193
    assert m["entropy"] == pytest.approx(entropy)
    assert m["mutual_information"] == pytest.approx(0.0, abs=1e-12)
    assert m["presence"] == 1.0 and m["stability"] == pytest.approx(1.0)
    assert m["centre_variance"] == 0.0 and m["size_variance"] == 0.0
    assert m["class_entropy"] == 0.0  # one class: no doubt what it is
    assert m["uncertainty"] == pytest.approx(1 - 0.8)  # only the score's doubt whether it is an object
    assert found[0].score == pytest.approx(0.8)


def test_an_object_found_in_half_the_passes_has_full_disagreement() -> None:
    found = aggregate([boxes2d([[0, 0, 10, 10]], [1.0]), boxes2d([], [])])
    m = found[0].measures
    assert m["presence"] == 0.5
    assert m["entropy"] == pytest.approx(1.0)  # mean distribution (0.5, 0.5) over {Car, nothing}
    assert m["mutual_information"] == pytest.approx(1.0)  # each pass was certain, they disagree
    assert m["uncertainty"] == pytest.approx(0.5)  # mean score over both passes
    assert found[0].score == pytest.approx(0.5)


def test_class_disagreement_shows_in_mutual_information_and_class_probabilities() -> None:
    classes = ("Car", "Van")
    found = aggregate(
        [
            boxes2d([[0, 0, 10, 10]], [1.0], [0], classes),
            boxes2d([[0, 0, 10, 10]], [1.0], [1], classes),
        ]
    )
    m = found[0].measures
    assert m["entropy"] == pytest.approx(math.log(2) / math.log(3))
    assert m["mutual_information"] == pytest.approx(math.log(2) / math.log(3))
    assert m["class_entropy"] == pytest.approx(1.0) and m["uncertainty"] == pytest.approx(1.0)
    assert found[0].probabilities == pytest.approx([0.5, 0.5])


def test_given_class_probabilities_are_used_and_normalised() -> None:
    classes = ("Car", "Van")
    probabilities = np.array([[0.6, 0.2]])  # normalised to (0.75, 0.25)
    found = aggregate([boxes2d([[0, 0, 10, 10]], [1.0], [0], classes, probabilities)])
    assert found[0].probabilities == pytest.approx([0.75, 0.25])
    expected = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25)) / math.log(3)
    assert found[0].measures["entropy"] == pytest.approx(expected)
    class_entropy = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25)) / math.log(2)
    assert found[0].measures["class_entropy"] == pytest.approx(class_entropy)
    assert found[0].uncertainty == pytest.approx(class_entropy)


def test_box_spread_centre_heading_and_stability_of_cuboids() -> None:
    found = aggregate(
        [
            cuboids([[0.1, 0, 0, 4, 2, 1.5, 0.0]], [1.0]),
            cuboids([[-0.1, 0, 0, 4, 2, 1.5, 0.0]], [1.0]),
        ]
    )
    m = found[0].measures
    assert found[0].box == pytest.approx([0, 0, 0, 4, 2, 1.5, 0])
    assert m["centre_variance"] == pytest.approx(0.01)
    assert m["stability"] == pytest.approx(7.8 / 8.2)  # each box against the mean: 3.9 x 2 shared
    assert m["heading_variance"] == pytest.approx(0.0, abs=1e-12)
    turned = aggregate(
        [
            cuboids([[0, 0, 0, 4, 2, 1.5, 0.1]], [1.0]),
            cuboids([[0, 0, 0, 4, 2, 1.5, -0.1]], [1.0]),
        ]
    )
    assert turned[0].box[6] == pytest.approx(0.0)
    assert turned[0].measures["heading_variance"] == pytest.approx(1 - math.cos(0.1))


def test_heading_mean_wraps_across_pi() -> None:
    found = aggregate(
        [
            cuboids([[0, 0, 0, 4, 2, 1.5, math.pi - 0.05]], [1.0]),
            cuboids([[0, 0, 0, 4, 2, 1.5, -math.pi + 0.05]], [1.0]),
        ]
    )
    assert abs(found[0].box[6]) == pytest.approx(math.pi)


def test_matching_keeps_objects_apart_and_takes_one_box_per_pass() -> None:
    first = boxes2d([[0, 0, 10, 10], [1, 1, 11, 11], [100, 100, 110, 110]], [0.9, 0.8, 0.7])
    second = boxes2d([[0, 0, 10, 10]], [0.95])
    groups = match_passes([first, second])
    assert sorted(sorted(g.items()) for g in groups) == [[(0, 0), (1, 0)], [(0, 1)], [(0, 2)]]


def test_results_come_most_uncertain_first_and_frames_reduce() -> None:
    found = aggregate(
        [boxes2d([[0, 0, 10, 10], [50, 50, 60, 60]], [0.99, 0.99]), boxes2d([[0, 0, 10, 10]], [0.99])]
    )
    values = [box.uncertainty for box in found]
    assert values == sorted(values, reverse=True)
    assert found[0].box == pytest.approx([50, 50, 60, 60])
    reductions = frame_reductions(found)
    assert reductions["max"] == pytest.approx(values[0])
    assert reductions["sum"] == pytest.approx(sum(values))
    assert reductions["mean"] == pytest.approx(sum(values) / 2)
    assert frame_reductions([]) == {"max": 0.0, "mean": 0.0, "sum": 0.0}


def test_passes_with_other_classes_are_refused() -> None:
    with pytest.raises(ValueError):
        aggregate([boxes2d([], [], classes=("Car",)), boxes2d([], [], classes=("Van",))])


def test_a_heading_flip_keeps_the_mean_footprint_but_shows_in_the_heading_variance() -> None:
    found = aggregate(
        [cuboids([[5, 0, 0, 4, 2, 1.5, 0.0]], [0.9]), cuboids([[5, 0, 0, 4, 2, 1.5, math.pi]], [0.8])]
    )
    assert found[0].box[6] == pytest.approx(0.0)  # the better box's heading, not a quarter turn
    assert found[0].measures["stability"] == pytest.approx(1.0)
    assert found[0].measures["heading_variance"] == pytest.approx(1.0)
