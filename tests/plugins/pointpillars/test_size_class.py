"""A Cyclist proposal too short for a bicycle is a pedestrian (``short_cyclists``): relabelled with its score,
box and class uncertainty kept, in both 3D plugins, on by default."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.ml.protocol import Detections, FrameInput

pytest.importorskip("torch")

from plugins.pointpillars.size_class import MIN_CYCLIST_LENGTH, short_cyclists_to_pedestrians

CLASSES = ("Car", "Pedestrian", "Cyclist")


def proposals(*rows: tuple[float, str], probabilities: bool = True) -> Detections:
    """One proposal per (length, class) row, 8 m ahead; cyclists 0.55 cyclist / 0.45 pedestrian."""
    boxes = np.array([[8.0, 2.0 * k, -0.8, length, 0.6, 1.7, 0.0] for k, (length, _) in enumerate(rows)])
    labels = np.array([CLASSES.index(name) for _, name in rows])
    shares = {"Car": [0.9, 0.05, 0.05], "Pedestrian": [0.05, 0.6, 0.35], "Cyclist": [0.0, 0.45, 0.55]}
    table = np.array([shares[name] for _, name in rows]) if probabilities else None
    return Detections(boxes, labels, np.linspace(0.7, 0.4, len(rows)), CLASSES, "test", table)


def test_a_cyclist_shorter_than_a_bicycle_becomes_a_pedestrian_with_its_shares_swapped() -> None:
    before = proposals((1.0, "Cyclist"), (1.8, "Cyclist"), (1.0, "Pedestrian"), (1.0, "Car"))
    after = short_cyclists_to_pedestrians(before)
    assert [CLASSES[k] for k in after.labels] == ["Pedestrian", "Cyclist", "Pedestrian", "Car"]
    np.testing.assert_array_equal(after.probabilities[0], [0.0, 0.55, 0.45])
    np.testing.assert_array_equal(after.probabilities[1:], before.probabilities[1:])
    np.testing.assert_array_equal(after.scores, before.scores)
    np.testing.assert_array_equal(after.boxes, before.boxes)
    assert before.labels[0] == CLASSES.index("Cyclist")  # the input is left alone


def test_the_bound_is_a_bicycles_length_and_probabilities_are_optional() -> None:
    edge = short_cyclists_to_pedestrians(proposals((MIN_CYCLIST_LENGTH, "Cyclist"), probabilities=False))
    assert CLASSES[edge.labels[0]] == "Cyclist"
    short = short_cyclists_to_pedestrians(
        proposals((MIN_CYCLIST_LENGTH - 0.01, "Cyclist"), probabilities=False)
    )
    assert CLASSES[short.labels[0]] == "Pedestrian" and short.probabilities is None


def test_nothing_changes_without_short_cyclists_or_without_both_classes() -> None:
    no_short = proposals((1.7, "Cyclist"), (0.9, "Pedestrian"))
    assert short_cyclists_to_pedestrians(no_short) is no_short
    cars = Detections(np.array([[8.0, 0, -0.8, 1.0, 0.6, 1.7, 0.0]]), [0], [0.5], ("Cyclist", "Car"), "test")
    assert short_cyclists_to_pedestrians(cars) is cars
    flat = Detections(np.array([[10.0, 10.0, 20.0, 40.0]]), [2], [0.5], CLASSES, "test")
    assert short_cyclists_to_pedestrians(flat) is flat


def test_both_3d_plugins_relabel_short_cyclists_unless_told_not_to(decoding_detector) -> None:
    detector = decoding_detector(CLASSES, proposals((1.0, "Cyclist")))
    frame = FrameInput("walker", np.zeros((10, 4), np.float32))
    assert CLASSES[detector.predict(frame, {"threads": 1}).labels[0]] == "Pedestrian"
    kept = detector.predict(frame, {"threads": 1, "short_cyclists": False})
    assert CLASSES[kept.labels[0]] == "Cyclist"


def test_the_aggregate_of_raw_samples_is_corrected_as_predict_is(decoding_detector) -> None:
    detector = decoding_detector(CLASSES, proposals((1.0, "Cyclist")))
    if type(detector).__module__.startswith("plugins.paddle_det3d"):
        pytest.skip("paddle-det3d corrects each sample already (its predict_samples)")
    finish = detector.finish_aggregated
    frame = FrameInput("walker", np.zeros((10, 4), np.float32))
    aggregated = proposals((1.0, "Cyclist"))
    assert CLASSES[finish(frame, aggregated, {"threads": 1}).labels[0]] == "Pedestrian"
    raw = detector.predict_samples(frame, {"threads": 1}, 2, "mc_dropout")  # the samples stay raw
    assert all(CLASSES[s.labels[0]] == "Cyclist" for s in raw)
