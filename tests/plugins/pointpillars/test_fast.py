"""Static int8 quantisation of the whole network keeps the fp32 boxes, and is chosen as a precision."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.ml.protocol import CancelToken, FrameInput
from plugins.pointpillars.fast import QuantizedPillarsNet, static_int8

LOOSE = {"score_threshold": 0.0, "max_detections": 4, "nms_iou": 0.5, "threads": 1}


@pytest.fixture
def trained(detector, scenes, monkeypatch):
    for _ in detector.fit(
        scenes[:2], {"epochs": 4, "batch_size": 2, "learning_rate": 0.01, "threads": 1}, CancelToken()
    ):
        pass
    # calibrate on the tiny scenes instead of generating streets (seconds per frame)
    monkeypatch.setattr(detector, "_calibration_clouds", lambda: [s.frame.points for s in scenes])
    return detector


def test_int8_static_precision_finds_the_fp32_boxes_with_quantised_convolutions(trained, scene):
    frame = FrameInput("scene", scene(0)[0])
    reference = trained.predict(frame, LOOSE)
    fast = trained.predict(frame, {**LOOSE, "precision": "int8-static"})
    network = trained._quantized[1]
    assert isinstance(network, QuantizedPillarsNet)
    kinds = {type(m).__module__ for m in network.dense.modules()}
    assert any(".quantized." in kind for kind in kinds)  # int8 kernels, not fp32 modules relabelled
    assert fast.model_version == reference.model_version and len(fast) == len(reference) > 0
    np.testing.assert_allclose(fast.scores, reference.scores, atol=0.1)
    for box in reference.boxes[:2]:
        assert max(bev_iou(Cuboid.from_array(box), Cuboid.from_array(b)) for b in fast.boxes) > 0.7


def test_static_quantisation_needs_calibration_frames_and_has_no_dropout(trained, scenes):
    net = trained.members[0]
    with pytest.raises(ValueError, match="calibration"):
        static_int8(net, [])
    quantised = static_int8(net, [scenes[0].frame.points])
    points = torch.zeros((0, 4))
    with pytest.raises(ValueError, match="dropout"):
        quantised(points, torch.zeros(0, dtype=torch.int64), 1, 0.2)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal on a machine without CUDA")
def test_fp16_gpu_is_refused_with_a_named_error_without_cuda(detector, scene):
    from annotator.ml.protocol import PluginError

    with pytest.raises(PluginError, match="fp16-gpu needs a CUDA GPU"):
        detector.predict(FrameInput("scene", scene(0)[0]), {**LOOSE, "precision": "fp16-gpu"})


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_fp16_gpu_finds_the_fp32_boxes(trained, scene):
    frame = FrameInput("scene", scene(0)[0])
    reference = trained.predict(frame, LOOSE)
    fast = trained.predict(frame, {**LOOSE, "precision": "fp16-gpu"})
    assert len(fast) == len(reference) > 0
    np.testing.assert_allclose(fast.scores, reference.scores, atol=0.02)
