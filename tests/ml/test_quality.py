"""Measured quality on held-apart frames: held-apart blocks, "don't care" boxes, 3D and 2D reports."""

from __future__ import annotations

import json

import numpy as np
import pytest

from annotator.core.model.records import Frame
from annotator.ml.datasets import split_frames
from annotator.ml.protocol import Detections, FrameInput, LabelledFrame
from annotator.ml.quality import HeldApartFrame, measure_quality
from annotator.ml.registry import PluginError

CLASSES = ("Car", "Pedestrian")


class Fixed:
    """A model that returns the same detections for every frame."""

    version = "fixed"

    def __init__(self, detections: Detections, as_list: bool = False) -> None:
        self.detections = detections
        self.as_list = as_list
        self.params: list[dict] = []

    def predict(self, frame, params):
        self.params.append(dict(params))
        return [self.detections] if self.as_list else self.detections


def held(boxes, labels, ignore, camera=None) -> HeldApartFrame:
    width = 4 if camera else 7
    targets = Detections(
        np.array(boxes).reshape(-1, width), labels, np.ones(len(labels)), CLASSES, "t", camera=camera
    )
    frame = FrameInput("f", images={camera: np.zeros((4, 4, 3), np.uint8)} if camera else {})
    return HeldApartFrame(LabelledFrame(frame, targets), np.array(ignore).reshape(-1, width))


def test_the_held_apart_frames_are_the_last_block_of_the_sequence() -> None:
    frames = [Frame(i + 1, f"{i:02d}", i) for i in range(10)]
    training, held_apart = split_frames(frames[::-1], 0.25)
    assert [f.name for f in held_apart] == ["07", "08", "09"]
    assert [f.name for f in training] == [f"{i:02d}" for i in range(7)]
    assert split_frames(frames, 0.0) == (frames, [])
    assert len(split_frames(frames[:2], 0.9)[0]) == 1  # one frame is always left for training
    with pytest.raises(PluginError):
        split_frames(frames, 1.0)


def test_3d_recall_and_precision_with_dont_care_boxes() -> None:
    car = [10, 0, 0, 4, 2, 1.5, 0]
    far_car = [40, 5, 0, 4, 2, 1.5, 0]
    sparse = [20, -5, 0, 4, 2, 1.5, 0]
    found = Detections(
        np.array([car, far_car, sparse, [0, 10, 0, 1, 1, 1.8, 0]]),
        [0, 0, 0, 0],
        [0.9, 0.8, 0.7, 0.6],
        CLASSES,
        "v",
    )
    frame = held([car, far_car], [0, 0], [sparse])
    report = measure_quality(Fixed(found), "detect3d", CLASSES, [frame], {"score_threshold": 0.3})
    # the detection on the "don't care" box is dropped; the one at (0, 10) is a pedestrian called a car
    assert report.classes["Car"] == {
        "truths": 2,
        "detections": 3,
        "recall": 1.0,
        "precision": pytest.approx(2 / 3),
    }
    assert report.overall["recall"] == 1.0
    document = json.loads(json.dumps(report.to_dict()))
    assert document["classes"]["Pedestrian"]["recall"] is None  # NaN stays valid JSON
    assert "score >= 0.3" in document["measure"]


def test_2d_ap50_runs_the_model_with_a_low_threshold_and_ignores_dont_care() -> None:
    truth = [[10, 10, 50, 40], [100, 10, 120, 60]]
    found = Detections(
        np.array([[11, 10, 50, 41], [100, 11, 120, 60], [200, 10, 230, 40], [300, 0, 310, 8]]),
        [0, 1, 0, 1],
        [0.9, 0.8, 0.3, 0.95],
        CLASSES,
        "v",
        camera="image_2",
    )
    model = Fixed(found, as_list=True)
    frame = held(truth, [0, 1], [[300, 0, 310, 8]], camera="image_2")
    report = measure_quality(model, "detect2d", CLASSES, [frame], {"score_threshold": 0.5})
    assert model.params[0]["score_threshold"] == 0.05
    assert report.classes["Pedestrian"]["ap50"] == pytest.approx(1.0)  # the small ignored box is no error
    assert report.classes["Car"]["ap50"] == pytest.approx(1.0)  # the false car ranks below the true one
    assert report.overall["map50"] == pytest.approx(1.0)
    unignored = held(truth, [0, 1], [], camera="image_2")
    worse = measure_quality(Fixed(found, as_list=True), "detect2d", CLASSES, [unignored], {})
    assert worse.classes["Pedestrian"]["ap50"] == pytest.approx(0.5)
    assert "AP at IoU 0.5" in "\n".join(worse.lines())
