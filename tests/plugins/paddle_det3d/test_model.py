"""paddle-det3d: the PyTorch base weights converted give the PyTorch plugin's boxes; Paddle3D checkpoints
load by name; fine-tuning runs and can be cancelled."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("paddle")
pytest.importorskip("torch")

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.ml.manifest import manifest_from_dict
from annotator.ml.protocol import CancelToken, Detections, FrameInput, LabelledFrame, PluginError
from annotator.ml.shipped import base_weights
from annotator.synth.replay import generated_frames
from plugins.paddle_det3d import MANIFEST

PARAMS = {"score_threshold": 0.2, "threads": 1}


@pytest.fixture(scope="module")
def shipped():
    """The converted shipped weights (hash-checked) and the PyTorch base weights they came from."""
    from plugins.pointpillars import MANIFEST as TORCH_MANIFEST

    return base_weights(manifest_from_dict(MANIFEST, "plugins.paddle_det3d")), base_weights(
        manifest_from_dict(TORCH_MANIFEST, "plugins.pointpillars")
    )


@pytest.fixture(scope="module")
def frames() -> list[LabelledFrame]:
    return generated_frames(("Car", "Pedestrian"), 1, 11)


@pytest.fixture(scope="module")
def models(shipped):
    from plugins.paddle_det3d.model import PaddlePointPillars
    from plugins.pointpillars.model import PointPillarsDetector

    paddle_model, torch_model = PaddlePointPillars(), PointPillarsDetector()
    paddle_model.load(str(shipped[0]))
    torch_model.load(str(shipped[1]))
    return paddle_model, torch_model


def test_shipped_weights_are_converted_from_the_shipped_pytorch_weights(shipped):
    import hashlib
    import json

    card = json.loads(shipped[0].with_name("base.card.json").read_text())
    source = hashlib.sha256(shipped[1].read_bytes()).hexdigest()
    assert card["converted"]["source_sha256"] == source, "re-run: python -m plugins.paddle_det3d.convert"


def test_shipped_weights_find_the_pytorch_boxes_on_generated_frames(models, frames):
    paddle_model, torch_model = models
    for labelled in frames:
        ours = paddle_model.predict(labelled.frame, PARAMS)
        theirs = torch_model.predict(labelled.frame, PARAMS)
        assert len(ours) == len(theirs) > 0
        np.testing.assert_allclose(ours.scores, theirs.scores, atol=1e-3)
        np.testing.assert_array_equal(ours.labels, theirs.labels)
        for a, b in zip(ours.boxes, theirs.boxes):
            assert bev_iou(Cuboid.from_array(a), Cuboid.from_array(b)) > 0.99
            assert abs(a[2] - b[2]) < 1e-2


def test_shipped_weights_find_most_generated_objects(models, frames):
    paddle_model, _ = models
    found = total = 0
    for labelled in frames:
        boxes = paddle_model.predict(labelled.frame, {**PARAMS, "score_threshold": 0.3}).boxes
        for target in labelled.targets.boxes:
            total += 1
            found += any(bev_iou(Cuboid.from_array(target), Cuboid.from_array(b)) >= 0.5 for b in boxes)
    assert total and found / total > 0.5


def test_a_paddle3d_state_dict_loads_by_name_and_gives_the_same_boxes(models, frames, tmp_path):
    import paddle

    from plugins.paddle_det3d.model import PaddlePointPillars

    paddle_model, _ = models
    state = {
        f"model.{k}".replace("bbox_head.", "head."): v for k, v in paddle_model.network.state_dict().items()
    }
    path = tmp_path / "pointpillars_centerhead.pdparams"
    paddle.save(state, str(path))
    user = PaddlePointPillars(paddle_model.config)
    user.load(str(path))
    frame = frames[0].frame
    np.testing.assert_allclose(
        user.predict(frame, PARAMS).boxes, paddle_model.predict(frame, PARAMS).boxes, atol=1e-5
    )
    paddle.save({k: v for k, v in state.items() if "neck" not in k}, str(path))
    with pytest.raises(PluginError, match="missing"):
        user.load(str(path))
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(PluginError, match="cannot read Paddle3D weights"):
        user.load(str(path))


def test_a_crafted_pdparams_pickle_runs_nothing(tmp_path):
    import os
    import pickle

    from plugins.paddle_det3d.model import PaddlePointPillars

    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "crafted.pdparams"
    path.write_bytes(pickle.dumps({"x": Payload()}))
    with pytest.raises(PluginError, match=r"refused (posix|nt|os)\.system"):
        PaddlePointPillars().load(str(path))
    assert not marker.exists()


def test_fine_tuning_changes_the_version_and_cancelling_restores_the_weights(shipped, frames):
    from plugins.paddle_det3d.model import PaddlePointPillars

    small = {**PARAMS, "x_extent": 20.48, "y_extent": 10.24}  # a quarter of the grid: fast steps
    model = PaddlePointPillars()
    model.load(str(shipped[0]))
    frame = frames[0].frame
    reference = model.predict(frame, small)
    before = model.version
    fit = {**small, "epochs": 2, "batch_size": 1, "augment": False}
    cancel = CancelToken()
    for _ in model.fit(frames[:1], fit, cancel):
        cancel.cancel()
    assert model.version == before
    np.testing.assert_allclose(model.predict(frame, small).boxes, reference.boxes)
    steps = list(model.fit(frames[:1], fit, CancelToken()))
    assert [s.step for s in steps] == [1, 2] and all(np.isfinite(s.metrics["loss"]) for s in steps)
    assert model.version != before


def test_mc_dropout_samples_differ_and_frames_without_points_give_nothing(models, frames):
    paddle_model, _ = models
    samples = paddle_model.predict_samples(
        frames[0].frame, {**PARAMS, "mc_dropout_rate": 0.3}, 3, "mc_dropout"
    )
    assert len(samples) == 3 and all(isinstance(s, Detections) for s in samples)
    assert not all(np.array_equal(samples[0].scores, s.scores) for s in samples[1:])
    assert len(paddle_model.predict(FrameInput("empty", None), PARAMS)) == 0
    with pytest.raises(PluginError):
        paddle_model.predict_samples(frames[0].frame, PARAMS, 2, "ensemble")


def test_refine_and_class_thresholds_work_as_in_the_pytorch_plugin(models, frames):
    """refine=fit places the boxes on their points (the PyTorch plugin's shared code, the same boxes) and
    class_thresholds drops a class below its score; parameters it has no use for are not offered."""
    paddle_model, torch_model = models
    frame = frames[0].frame
    fitted = {**PARAMS, "refine": "fit"}
    ours, theirs = paddle_model.predict(frame, fitted), torch_model.predict(frame, fitted)
    plain = paddle_model.predict(frame, PARAMS)
    assert len(ours) == len(theirs) > 0
    assert any(
        bev_iou(Cuboid.from_array(a), Cuboid.from_array(b)) < 0.99 for a, b in zip(ours.boxes, plain.boxes)
    ) or len(ours) != len(plain), "refine=fit changed nothing"
    for a, b in zip(ours.boxes, theirs.boxes):
        assert bev_iou(Cuboid.from_array(a), Cuboid.from_array(b)) > 0.95
    car = list(paddle_model.config.classes).index("Car")
    strict = paddle_model.predict(frame, {**PARAMS, "class_thresholds": "Car=0.99"})
    assert (plain.labels == car).any() and not (strict.labels == car).any()
    assert len(strict) == (plain.labels != car).sum()
    with pytest.raises(PluginError, match=r"paddle-det3d: class_thresholds: 'Bus=0\.5'"):
        paddle_model.predict(frame, {**PARAMS, "class_thresholds": "Bus=0.5"})
    names = {p["name"] for p in MANIFEST["parameters"]}
    assert {"refine", "class_thresholds"} <= names and not names & {"complement", "box_convention"}
