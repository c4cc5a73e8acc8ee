"""Distillation: the soft-target losses, a student moving towards its teacher ensemble, and a resume."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from annotator.ml.protocol import CancelToken
from plugins.pointpillars.config import REGRESSION_CHANNELS
from plugins.pointpillars.distill import (
    DistillOptions,
    SoftTargets,
    distill_network,
    feature_loss,
    soft_losses,
    soft_targets,
)
from plugins.pointpillars.ensemble import new_head
from plugins.pointpillars.pruning import pruned
from plugins.pointpillars.training import BOX_WEIGHT, TrainSample, losses, make_batch

#: The tiny detector trained once for this module (the tests change only students).
_TRAINED: dict[str, tuple] = {}


@pytest.fixture
def trained(detector, scenes):
    """A tiny trained detector and its training samples (the same whatever ran before it)."""
    if "detector" not in _TRAINED:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            for _ in detector.fit(scenes[:4], {"epochs": 2, "batch_size": 2, "threads": 1}, CancelToken()):
                pass
        _TRAINED["detector"] = (detector, detector._samples(scenes[:4]))
    return _TRAINED["detector"]


@pytest.fixture
def teacher(trained):
    """The tiny trained network and one extra head: an ensemble of two."""
    net = trained[0].members[0]
    return net, [new_head(net, 5).eval()]


@pytest.fixture
def samples(trained):
    return trained[1]


def options(**changes) -> DistillOptions:
    return DistillOptions(
        **{"epochs": 2, "batch_size": 2, "learning_rate": 0.01, "hard_weight": 0.0} | changes
    )


def mean_soft_loss(teacher, student, samples) -> float:
    net, heads = teacher
    batch = make_batch(samples, student.config, None)
    with torch.inference_mode():
        output = student.eval()(batch.points, batch.frame, batch.size, 0.0)
        return float(soft_losses(output, soft_targets(net, heads, batch), float(batch.weights.sum()))["soft"])


def test_the_heatmap_and_box_terms_vanish_when_the_student_gives_the_teachers_mean():
    rng = np.random.default_rng(0)
    probabilities = torch.from_numpy(rng.uniform(0.01, 0.99, (1, 2, 6, 6)).astype(np.float32))
    boxes = torch.from_numpy(rng.normal(size=(1, REGRESSION_CHANNELS, 6, 6)).astype(np.float32))
    direction = torch.full((1, 6, 6), 0.9)
    output = torch.cat([torch.logit(probabilities), boxes, torch.logit(direction)[:, None]], dim=1)
    terms = soft_losses(output, SoftTargets(probabilities, boxes, direction), positives=3.0)
    assert float(terms["soft_heatmap"]) == pytest.approx(0.0, abs=1e-9)
    assert float(terms["soft_box"]) == pytest.approx(0.0, abs=1e-6)
    shifted = torch.cat(
        [torch.logit(probabilities) + 1.0, boxes + 0.5, torch.logit(direction)[:, None]], dim=1
    )
    worse = soft_losses(shifted, SoftTargets(probabilities, boxes, direction), positives=3.0)
    assert float(worse["soft_heatmap"]) > 0.0 and float(worse["soft_box"]) > 0.0
    heavier = soft_losses(shifted, SoftTargets(probabilities, boxes, direction), 3.0, box_weight=3.0)
    gained = float(heavier["soft"] - worse["soft"])
    assert gained == pytest.approx(2.0 * BOX_WEIGHT * float(worse["soft_box"]), rel=1e-5)  # --box-weight 3


def test_the_soft_targets_average_every_member_of_the_ensemble(teacher, samples):
    net, heads = teacher
    batch = make_batch(samples[:1], net.config, None)
    soft = soft_targets(net, heads, batch)
    classes = len(net.config.classes)
    with torch.inference_mode():
        features = net.forward_features(batch.points, batch.frame, 1)
        first, second = net.head(features, 0.0), heads[0](features, 0.0)
    expected = (torch.sigmoid(first[:, :classes]) + torch.sigmoid(second[:, :classes])) / 2
    torch.testing.assert_close(soft.probabilities, expected)
    torch.testing.assert_close(soft.boxes, (first + second)[:, classes : classes + REGRESSION_CHANNELS] / 2)


def test_distilling_brings_a_pruned_student_closer_to_its_teacher(teacher, samples):
    student = pruned(teacher[0], 0.5)
    before = mean_soft_loss(teacher, student, samples)
    assert distill_network(
        *teacher, student, samples, options(epochs=8, learning_rate=0.01, feature_weight=0.0)
    )
    assert mean_soft_loss(teacher, student, samples) < before
    assert not student.training


def test_feature_imitation_weighs_the_cells_where_the_teacher_sees_objects():
    probabilities = torch.zeros(1, 2, 4, 4)
    probabilities[0, 1, 0, 0] = 0.9
    teacher_features = torch.zeros(1, 3, 4, 4)
    soft = SoftTargets(
        probabilities, torch.zeros(1, REGRESSION_CHANNELS, 4, 4), torch.zeros(1, 4, 4), teacher_features
    )
    assert float(feature_loss(teacher_features.clone(), soft)) == 0.0
    off_object, on_object = teacher_features.clone(), teacher_features.clone()
    off_object[0, :, 3, 3] = 1.0
    on_object[0, :, 0, 0] = 1.0
    assert float(feature_loss(on_object, soft)) > 10 * float(feature_loss(off_object, soft))


def test_a_stopped_run_resumes_after_its_last_finished_epoch(teacher, samples, tmp_path):
    partial = tmp_path / "student.distill.partial.pt"
    steps: list[int] = []
    student = pruned(teacher[0], 0.5)
    stop_after_first_epoch = lambda: len(steps) >= 2 + 1  # noqa: E731 - two steps per epoch, stop in the second
    finished = distill_network(*teacher, student, samples, options(), stop_after_first_epoch, partial,
                               lambda p: steps.append(p.step))  # fmt: skip
    assert not finished and partial.is_file()
    resumed: list[int] = []
    fresh = pruned(teacher[0], 0.5)
    assert distill_network(*teacher, fresh, samples, options(), lambda: False, partial,
                           lambda p: resumed.append(p.step))  # fmt: skip
    assert resumed == [3, 4]
    other: list[int] = []  # other options: the partial file does not apply
    distill_network(*teacher, pruned(teacher[0], 0.5), samples, options(seed=3), lambda: False, partial,
                    lambda p: other.append(p.step))  # fmt: skip
    assert other == [1, 2, 3, 4]


def test_an_unverified_frame_teaches_the_teachers_soft_targets_and_no_labels(teacher, samples):
    """A frame without labels (``partial``, no boxes) adds nothing to the labels' loss, only to the soft one."""
    net, heads = teacher
    unlabelled = TrainSample(samples[0].points, np.zeros((0, 7)), np.zeros(0, np.int64), np.zeros(0, np.float32),
                             partial=True)  # fmt: skip
    batch = make_batch([unlabelled], net.config, None)
    student = pruned(net, 0.5)
    with torch.inference_mode():
        output = student.forward_head(student.forward_features(batch.points, batch.frame, 1), 0.0)
    hard = losses(output, batch, len(net.config.classes))
    assert float(hard["loss"]) == 0.0
    assert float(soft_losses(output, soft_targets(net, heads, batch), 1.0)["soft"]) > 0.0


def test_the_same_options_distil_the_same_student(teacher, samples):
    """A run is reproducible: the feature adapter starts from the options' seed, whatever ran before."""
    students = []
    for warm_up in (1, 2):
        torch.manual_seed(warm_up)  # another global random state each time
        student = pruned(teacher[0], 0.5)
        distill_network(*teacher, student, samples, options(epochs=1, feature_weight=1.0))
        students.append(student.state_dict())
    for name, value in students[0].items():
        torch.testing.assert_close(value, students[1][name], msg=name)
