"""Protocol conformance: predictions, MC-dropout and ensemble samples, checkpoints."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.ml.manifest import ManifestError
from annotator.ml.protocol import CancelToken, Detections, FrameInput
from annotator.ml.registry import PluginError

#: Low threshold so that even untrained weights give detections.
LOOSE = {"score_threshold": 0.0, "max_detections": 6, "nms_iou": 0.5}


def frame_of(scene, seed: int = 0) -> FrameInput:
    return FrameInput(f"scene {seed}", scene(seed)[0])


def quick_fit(model, scenes, **params) -> None:
    for _ in model.fit(scenes[:2], {"epochs": 1, "batch_size": 2, "threads": 1, **params}, CancelToken()):
        pass


def test_predict_returns_lidar_boxes_with_probabilities_and_the_version(detector, scene):
    result = detector.predict(frame_of(scene), LOOSE)
    assert isinstance(result, Detections)
    assert 0 < len(result) <= 6
    assert result.boxes.shape == (len(result), 7) and result.class_names == detector.config.classes
    assert result.probabilities.shape == (len(result), 5)
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0)
    assert np.array_equal(result.labels, result.probabilities.argmax(axis=1))
    assert result.model_version == detector.version
    assert np.all(np.diff(result.scores) <= 0)


def test_predict_without_points_or_with_a_high_threshold_is_empty(detector, scene):
    assert len(detector.predict(FrameInput("no cloud"), {})) == 0
    assert len(detector.predict(frame_of(scene), {"score_threshold": 1.0})) == 0
    with pytest.raises(ManifestError):
        detector.predict(frame_of(scene), {"score_treshold": 0.5})


def test_save_and_load_give_identical_predictions_and_version(detector, scenes, scene, tmp_path):
    from plugins.pointpillars.model import PointPillarsDetector

    quick_fit(detector, scenes)
    path = tmp_path / "pp.weights"
    detector.save(str(path))
    other = PointPillarsDetector(seed=7)  # default (large) grid: load replaces it
    assert other.version != detector.version
    other.load(str(path))
    assert other.version == detector.version and other.config == detector.config and other.trained
    a, b = detector.predict(frame_of(scene), LOOSE), other.predict(frame_of(scene), LOOSE)
    np.testing.assert_array_equal(a.boxes, b.boxes)
    np.testing.assert_array_equal(a.probabilities, b.probabilities)


def test_load_rejects_a_file_that_is_not_a_checkpoint(detector, tmp_path):
    import torch

    path = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, path)
    with pytest.raises(PluginError, match="not a pointpillars checkpoint"):
        detector.load(str(path))


def test_mc_dropout_samples_differ_and_share_one_backbone_pass(detector, scene, monkeypatch):
    net = detector.members[0]
    calls = []
    original = net.forward_features

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(net, "forward_features", counted)
    samples = detector.predict_samples(frame_of(scene), {**LOOSE, "mc_dropout_rate": 0.3}, 10, "mc_dropout")
    assert len(calls) == 1
    assert len(samples) == 10 and all(s.model_version == detector.version for s in samples)
    scores = [tuple(np.round(s.scores, 6)) for s in samples]
    assert len(set(scores)) > 1
    still = detector.predict_samples(frame_of(scene), {**LOOSE, "mc_dropout_rate": 0.0}, 3, "mc_dropout")
    assert all(np.array_equal(still[0].boxes, s.boxes) for s in still)


def test_ensemble_sampling_needs_an_ensemble(detector, scenes, scene):
    with pytest.raises(PluginError, match="ensemble_size"):
        detector.predict_samples(frame_of(scene), LOOSE, 3, "ensemble")
    with pytest.raises(PluginError, match="mode"):
        detector.predict_samples(frame_of(scene), LOOSE, 3, "tta")
    quick_fit(detector, scenes, ensemble_size=2)
    assert detector.ensemble_size == 2
    samples = detector.predict_samples(frame_of(scene), LOOSE, 2, "ensemble")
    assert len(samples) == 2
    assert not np.array_equal(samples[0].scores, samples[1].scores)
    first = detector.predict(frame_of(scene), LOOSE)
    np.testing.assert_array_equal(first.boxes, samples[0].boxes)


def test_class_thresholds_drop_only_the_named_classes_low_scores(detector, scene):
    everything = detector.predict(frame_of(scene), {**LOOSE, "max_detections": 50})
    names = detector.config.classes
    named = names[int(everything.labels[0])]  # the class of the best detection
    cut = float(np.median(everything.scores[everything.labels == everything.labels[0]]))
    kept = detector.predict(
        frame_of(scene), {**LOOSE, "max_detections": 50, "class_thresholds": f"{named}={cut}"}
    )
    mine, others = kept.labels == everything.labels[0], kept.labels != everything.labels[0]
    assert mine.any() and np.all(kept.scores[mine] >= cut)
    assert mine.sum() < (everything.labels == everything.labels[0]).sum()
    assert others.sum() == (everything.labels != everything.labels[0]).sum()  # other classes untouched
    with pytest.raises(PluginError, match=r"class_thresholds: 'Tram=0\.5'"):
        detector.predict(frame_of(scene), {"class_thresholds": "Tram=0.5"})


def test_class_threshold_text_names_its_mistakes():
    from plugins.pointpillars.class_thresholds import format_class_thresholds, parse_class_thresholds

    classes = ("Car", "Pedestrian")
    assert parse_class_thresholds(" Pedestrian=0.55, Car=0.4 ", classes).tolist() == [0.4, 0.55]
    assert parse_class_thresholds("", classes).tolist() == [0.0, 0.0]
    assert format_class_thresholds({"Car": 0.4, "Pedestrian": 0.55}) == "Car=0.4,Pedestrian=0.55"
    for bad, problem in (("Car", "not CLASS=SCORE"), ("Car=high", "not a number"), ("Car=1.5", "0..1")):
        with pytest.raises(ValueError, match=problem):
            parse_class_thresholds(bad, classes)
