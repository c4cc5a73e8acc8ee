"""paddle-det2d against the model protocol: predict, MC-dropout samples, fit, cancel, save and load."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.ml.protocol import CancelToken, Detections, FitProgress, FrameInput
from annotator.ml.registry import PluginError


def fresh():
    from plugins.paddle_det2d.model import PaddleDetector2D

    return PaddleDetector2D()


def test_predict_gives_one_detections_per_camera(trained, make_frame, predict_params):
    model, _, _ = trained
    image = make_frame(1).frame.images["front"]
    results = model.predict(
        FrameInput("two", images={"front": image, "side": image[:, :200]}), predict_params
    )
    assert [r.camera for r in results] == ["front", "side"]
    for result in results:
        assert isinstance(result, Detections) and not result.is_3d
        assert result.boxes.shape == (len(result), 4) and len(result) > 0
        assert result.model_version == model.version
        assert result.class_names == model.class_names
        np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0)
        assert np.all(result.scores >= 0.01) and np.all(np.diff(result.scores) <= 0)
        assert np.all(result.boxes[:, 2] > result.boxes[:, 0]) and np.all(
            result.boxes[:, 3] > result.boxes[:, 1]
        )
    assert results[1].boxes[:, 2].max() <= 200
    assert model.predict(FrameInput("none"), predict_params) == []


def test_a_tiny_training_run_makes_the_loss_fall_and_finds_the_rectangles(
    trained, tiny_frames, predict_params
):
    model, history, untrained_version = trained
    assert all(isinstance(p, FitProgress) for p in history)
    assert [p.step for p in history] == list(range(1, len(history) + 1))
    assert history[-1].total == len(history) == 32
    losses = [p.metrics["loss"] for p in history]
    assert np.all(np.isfinite(losses))
    assert np.mean(losses[-4:]) < 0.6 * np.mean(losses[:4])
    assert model.version != untrained_version


def test_save_and_load_round_trip_gives_identical_predictions(trained, tmp_path, make_frame, predict_params):
    model, _, _ = trained
    path = tmp_path / "det2d.pdparams"
    model.save(str(path))
    copy = fresh()
    assert copy.version != model.version
    copy.load(str(path))
    assert copy.version == model.version
    frame = make_frame(11).frame
    before, after = model.predict(frame, predict_params)[0], copy.predict(frame, predict_params)[0]
    assert len(before) > 0
    np.testing.assert_array_equal(before.boxes, after.boxes)
    np.testing.assert_array_equal(before.scores, after.scores)
    np.testing.assert_array_equal(before.probabilities, after.probabilities)
    assert after.model_version == before.model_version


def test_loading_something_else_is_a_plugin_error(tmp_path):
    path = tmp_path / "junk.pdparams"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(PluginError):
        fresh().load(str(path))


def test_mc_dropout_samples_differ_and_reuse_one_feature_pass(
    trained, monkeypatch, make_frame, predict_params
):
    model, _, _ = trained
    calls = []
    original = model.network.forward_features
    monkeypatch.setattr(model.network, "forward_features", lambda images: calls.append(1) or original(images))
    frame = make_frame(5).frame
    samples = model.predict_samples(frame, {**predict_params, "dropout_rate": 0.3}, 10, "mc_dropout")
    assert len(samples) == 10 and len(calls) == 1
    assert all(s.camera == "front" and s.model_version == model.version for s in samples)
    assert len({tuple(np.round(s.scores, 6)) for s in samples}) > 1
    still = model.predict_samples(frame, {**predict_params, "dropout_rate": 0.0}, 2, "mc_dropout")
    plain = model.predict(frame, predict_params)[0]
    for sample in still:
        np.testing.assert_allclose(sample.boxes, plain.boxes, rtol=1e-5)
    with pytest.raises(PluginError):
        model.predict_samples(frame, predict_params, 2, "ensemble")


def test_fit_honours_cancel_and_changes_the_version(tiny_frames, fit_params):
    model = fresh()
    before = model.version
    cancel = CancelToken()
    steps = []
    for progress in model.fit(tiny_frames, {**fit_params, "epochs": 5}, cancel):
        steps.append(progress.step)
        if progress.step == 2:
            cancel.cancel()
    assert steps == [1, 2]
    assert model.version != before
    assert not model.network.training
