"""Inference precision: bf16/fp16 autocast and int8 dynamic quantisation give about the fp32 boxes."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.ml.manifest import ManifestError
from annotator.ml.protocol import CancelToken, FrameInput

LOOSE = {"score_threshold": 0.0, "max_detections": 4, "nms_iou": 0.5, "threads": 1}


@pytest.fixture
def trained(detector, scenes):
    for _ in detector.fit(
        scenes[:2], {"epochs": 4, "batch_size": 2, "learning_rate": 0.01, "threads": 1}, CancelToken()
    ):
        pass
    return detector


@pytest.mark.parametrize("precision", ["bf16", "fp16", "int8"])
def test_lower_precision_finds_about_the_same_boxes_as_fp32(trained, scene, precision):
    frame = FrameInput("scene", scene(0)[0])
    reference = trained.predict(frame, LOOSE)
    lower = trained.predict(frame, {**LOOSE, "precision": precision})
    assert len(lower) == len(reference) > 0
    assert lower.model_version == reference.model_version
    np.testing.assert_allclose(lower.scores, reference.scores, atol=0.05)
    for box in reference.boxes[:2]:
        best = max(bev_iou(Cuboid.from_array(box), Cuboid.from_array(b)) for b in lower.boxes)
        assert best > 0.7


def test_int8_copy_follows_the_weights_and_unknown_precisions_are_refused(trained, scenes, scene):
    frame = FrameInput("scene", scene(0)[0])
    trained.predict(frame, {**LOOSE, "precision": "int8"})
    first = trained._quantized[1]
    for _ in trained.fit(scenes[:2], {"epochs": 1, "batch_size": 2, "threads": 1}, CancelToken()):
        pass
    trained.predict(frame, {**LOOSE, "precision": "int8"})
    assert trained._quantized[1] is not first and trained._quantized[0] == trained.version
    with pytest.raises(ManifestError):
        trained.predict(frame, {**LOOSE, "precision": "fp8"})
