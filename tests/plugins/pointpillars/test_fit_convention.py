"""Fine-tuning learns the verified labels' box convention, keeps it with the weights and corrects later
proposals with it; the shipped weights carry none, generated frames teach none."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from annotator.ml.protocol import CancelToken, Detections, FrameInput, LabelledFrame
from annotator.ml.registry import PluginRegistry
from annotator.ml.shipped import base_weights

pytest.importorskip("torch")

#: One optimiser step at a negligible rate: the network stays as it is, the convention is what changes.
STILL = {"epochs": 1, "batch_size": 1, "learning_rate": 1e-6, "threads": 1, "convention_min_boxes": 3}


@pytest.fixture(scope="module")
def shipped():
    """The shipped weights' model, a generated frame and its proposals under them."""
    from annotator.synth import SceneConfig, iter_frames

    registry = PluginRegistry.discover([], entry_points_too=True)
    manifest = registry.manifest("pointpillars")
    model = registry.load("pointpillars")
    model.load(str(base_weights(manifest)))
    frame = next(iter(iter_frames(SceneConfig(seed=4242, n_frames=1), render_images=False)))
    inputs = FrameInput("generated", frame.points)
    return registry, manifest, model, inputs, model.predict(inputs, {"threads": 1})


def wider_labels(found: Detections, margin: float = 0.3) -> Detections:
    """The proposals as an annotator with a wider box convention labels them (every box 0.3 m wider)."""
    boxes = found.boxes.copy()
    boxes[:, 4] += margin
    return Detections(boxes, found.labels, np.ones(len(boxes)), found.class_names, "labels")


def test_fine_tuning_learns_the_labels_convention_and_applies_it_to_later_proposals(shipped, tmp_path):
    registry, manifest, _, inputs, found = shipped
    model = registry.load("pointpillars")
    model.load(str(base_weights(manifest)))
    assert model.convention == {}  # the shipped weights' behaviour on a fresh project
    cars = int((found.labels == 0).sum())
    assert cars >= 3
    list(model.fit([LabelledFrame(inputs, wider_labels(found))], STILL, CancelToken()))
    rule = model.convention["Car"]
    assert rule.matches >= cars // 2 and rule.ratios[1] > 1.1
    after = model.predict(inputs, {"threads": 1})
    widths = {k: np.median(after.boxes[after.labels == 0, 4]) for k in (0,)}
    assert widths[0] == pytest.approx(np.median(found.boxes[found.labels == 0, 4]) * rule.ratios[1], rel=0.05)

    saved = tmp_path / "tuned.pt"
    model.save(str(saved))
    again = registry.load("pointpillars")
    again.load(str(saved))
    assert again.convention == model.convention and again.version == model.version
    plain = again.predict(inputs, {"threads": 1, "box_convention": False})
    assert np.median(plain.boxes[plain.labels == 0, 4]) < widths[0] - 0.1


def test_generated_replay_frames_and_a_switched_off_convention_teach_nothing(shipped):
    registry, manifest, _, inputs, found = shipped
    model = registry.load("pointpillars")
    model.load(str(base_weights(manifest)))
    generated = LabelledFrame(inputs, wider_labels(found), synthetic=True)
    list(model.fit([generated], STILL, CancelToken()))
    assert model.convention == {}
    verified = dataclasses.replace(generated, synthetic=False)
    list(model.fit([verified], {**STILL, "box_convention": False}, CancelToken()))
    assert model.convention == {}


def test_objects_the_model_missed_weigh_more_in_fine_tuning(shipped, monkeypatch):
    import plugins.pointpillars.model as model_module

    registry, manifest, _, inputs, found = shipped
    model = registry.load("pointpillars")
    model.load(str(base_weights(manifest)))
    seen = []

    def capture(net, samples, *args, **kwargs):
        seen.extend(samples)
        return iter(())

    monkeypatch.setattr(model_module, "train_network", capture)
    labels = wider_labels(found, 0.0)
    missed = np.array([[0.0, 40.0, -1.0, 4.5, 1.9, 1.6, 0.0]])  # a car where the model proposes nothing
    targets = Detections(np.vstack([labels.boxes, missed]), np.append(labels.labels, 0),
                         np.ones(len(labels.boxes) + 1), labels.class_names, "labels")  # fmt: skip
    list(model.fit([LabelledFrame(inputs, targets)], {**STILL, "missed_weight": 4.0}, CancelToken()))
    weights = seen[0].weights
    assert weights[-1] == 4.0 and np.all(weights[:-1] == 1.0)
