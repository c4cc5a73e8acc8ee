"""The geometric detector on small ray-cast scenes (and on a generated street when `annotator.synth` is there)."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.ml.evaluation import evaluate_frame
from annotator.ml.protocol import FrameInput
from plugins.geometric.model import GeometricDetector, default_parameters
from plugins.geometric.scene import make_scene


@pytest.fixture(scope="module")
def scene():
    """Eight cars, two pedestrians, walls, poles and trees on a bumpy slope (about 60k points)."""
    return make_scene(seed=3, counts={"Car": 8, "Pedestrian": 2}, columns=1000, slope=(0.04, -0.03))


@pytest.fixture(scope="module")
def detections(scene):
    return GeometricDetector().predict(FrameInput("demo", scene.points), {})


def visible(scene, label: str, min_points: int = 30) -> list[Cuboid]:
    pts = scene.points[:, :3]
    return [
        b
        for n, b in zip(scene.labels, scene.boxes)
        if n == label and b.points_inside(pts).sum() >= min_points
    ]


def as_list(detections) -> list[tuple[str, Cuboid, float]]:
    return [
        (detections.class_names[label], Cuboid.from_array(box), float(score))
        for box, label, score in zip(detections.boxes, detections.labels, detections.scores)
    ]


def test_finds_the_visible_cars_with_bev_iou_at_least_half(scene, detections):
    cars = visible(scene, "Car")
    assert len(cars) >= 5
    found = [c for c in cars if any(n == "Car" and bev_iou(b, c) >= 0.5 for n, b, _ in as_list(detections))]
    assert len(found) >= 0.8 * len(cars)


def test_no_boxes_on_walls_poles_or_trees(scene, detections):
    for name, box, score in as_list(detections):
        overlaps = [bev_iou(box, c) for c in scene.clutter]
        assert max(overlaps) < 0.3, (name, box, score)


def test_output_follows_the_protocol(detections):
    assert detections.is_3d and detections.boxes.shape[1] == 7
    assert detections.model_version == GeometricDetector.version
    assert detections.class_names == ("Car", "Van", "Truck", "Pedestrian", "Cyclist")
    assert np.allclose(detections.probabilities.sum(axis=1), 1.0)
    assert ((detections.scores >= default_parameters()["min_score"]) & (detections.scores <= 1.0)).all()
    assert (np.abs(detections.boxes[:, 6]) <= np.pi / 2 + 1e-9).all()  # headings point along +x


def test_parameters_and_empty_frames(scene):
    model = GeometricDetector()
    assert len(model.predict(FrameInput("strict", scene.points), {"min_score": 1.0})) == 0
    assert len(model.predict(FrameInput("none", None), {})) == 0
    assert len(model.predict(FrameInput("empty", np.zeros((0, 4), np.float32)), {})) == 0
    flat = np.column_stack(
        [np.random.default_rng(0).uniform(-20, 20, (5000, 2)), np.full(5000, -1.7), np.zeros(5000)]
    )
    assert len(model.predict(FrameInput("ground only", flat.astype(np.float32)), {})) == 0
    raw = model.predict(FrameInput("raw", scene.points), {"complete_boxes": False, "fit_method": "area"})
    assert len(raw) > 0


def test_on_a_generated_street():
    synth = pytest.importorskip("annotator.synth")
    if not hasattr(synth, "generate_sequence"):
        pytest.skip("annotator.synth has no generate_sequence yet")
    frame = synth.generate_sequence(synth.SceneConfig(seed=0, n_frames=1), render_images=False)[0]
    result = GeometricDetector().predict(FrameInput("synth", frame.points), {})
    truths = [(o.label, o.cuboid) for o in frame.objects if o.num_points >= 50 and o.occlusion <= 1]
    counts = evaluate_frame(truths, as_list(result), result.class_names)
    assert counts["Car"].truths >= 5
    assert counts["Car"].recall >= 0.7
    assert counts["any"].precision >= 0.5
