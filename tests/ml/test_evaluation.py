"""AP50 against hand-computed cases: matching, duplicates, ignore regions, interpolation, the mean."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.ml.evaluation import ImageBoxes, average_precision, evaluate, match_image

GT = np.array([[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10]], float)


def shifted(box, dx: float) -> list[float]:
    return [box[0] + dx, box[1], box[2] + dx, box[3]]


def test_perfect_detections_give_ap_one():
    truth = [ImageBoxes(GT, [0, 0, 0])]
    found = [ImageBoxes(GT, [0, 0, 0], [0.9, 0.8, 0.7])]
    assert evaluate(found, truth, ["Car"]).per_class["Car"] == pytest.approx(1.0)


def test_all_point_interpolation_by_hand():
    # TP, FP, TP, FP by score against 3 boxes: precision 1, 1/2, 2/3, 1/2 at recall 1/3, 1/3, 2/3, 2/3.
    # Interpolated: 1 up to recall 1/3, 2/3 up to recall 2/3, nothing beyond -> 1/3 + 2/9 = 5/9.
    assert average_precision(np.array([0.9, 0.8, 0.7, 0.6]), np.array([1, 0, 1, 0]), 3) == pytest.approx(
        5 / 9
    )
    # a later true positive lifts the precision of earlier recall levels: FP, TP at 1 box -> 1/2
    assert average_precision(np.array([0.9, 0.8]), np.array([0, 1]), 1) == pytest.approx(0.5)
    assert average_precision(np.zeros(0), np.zeros(0), 2) == 0.0
    assert math.isnan(average_precision(np.zeros(0), np.zeros(0), 0))


def test_same_case_through_matching():
    boxes = [GT[0], [100, 100, 110, 110], shifted(GT[1], 2), [200, 0, 210, 10]]  # IoU 1, 0, 2/3 (>= .5), 0
    found = [ImageBoxes(boxes, [0, 0, 0, 0], [0.9, 0.8, 0.7, 0.6])]
    result = evaluate(found, [ImageBoxes(GT, [0, 0, 0])], ["Car"])
    assert result.per_class["Car"] == pytest.approx(5 / 9)
    assert result.ground_truth == {"Car": 3}


def test_matching_is_greedy_by_score_and_duplicates_are_false_positives():
    truth = np.array([[0, 0, 10, 10]], float)
    boxes = np.array([shifted(truth[0], 3), truth[0]])  # IoU 7/13 (0.54) for the better score, 1.0 after
    outcome = match_image(boxes, np.array([0.9, 0.8]), truth, np.zeros(1, bool), 0.5)
    assert outcome.tolist() == [1, 0]
    # a box below the IoU threshold is a false positive: IoU 5/15
    assert match_image(
        np.array([shifted(truth[0], 5)]), np.ones(1), truth, np.zeros(1, bool), 0.5
    ).tolist() == [0]


def test_ignored_boxes_neither_count_nor_punish():
    truth = [ImageBoxes(GT, [0, 0, 0], ignore=[False, True, False])]
    found = [ImageBoxes([GT[1], GT[0]], [0, 0], [0.95, 0.5])]  # the best one sits on the ignored box
    result = evaluate(found, truth, ["Car"])
    assert result.ground_truth["Car"] == 2
    assert result.detections["Car"] == 1
    assert result.per_class["Car"] == pytest.approx(0.5)  # one of two found, at precision 1


def test_classes_are_separate_and_the_mean_skips_classes_without_boxes():
    truth = [ImageBoxes(GT[:2], [0, 1])]
    found = [ImageBoxes(GT[:2], [0, 0], [0.9, 0.8])]  # the second is the wrong class
    result = evaluate(found, truth, ["Car", "Van", "Truck"])
    assert result.per_class["Car"] == pytest.approx(1.0)  # FP after the only TP does not lower AP
    assert result.per_class["Van"] == 0.0
    assert math.isnan(result.per_class["Truck"])
    assert result.mean == pytest.approx(0.5)


def test_detections_of_all_images_are_ranked_together():
    truth = [ImageBoxes(GT[:1], [0]), ImageBoxes(np.zeros((0, 4)), [])]
    found = [ImageBoxes(GT[:1], [0], [0.6]), ImageBoxes(GT[:1], [0], [0.9])]  # FP in image 2 ranks first
    assert evaluate(found, truth, ["Car"]).per_class["Car"] == pytest.approx(0.5)
    with pytest.raises(ValueError):
        evaluate(found[:1], truth, ["Car"])
