"""Targets, decoding, NMS and augmentation agree with each other and with the geometry."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from annotator.core.cuboids.cuboid import Cuboid
from plugins.pointpillars.augment import augment
from plugins.pointpillars.decode import decode
from plugins.pointpillars.nms import rotated_nms
from plugins.pointpillars.targets import build_targets


def perfect_output(boxes: np.ndarray, labels: np.ndarray, config) -> torch.Tensor:
    """The raw output a perfect network would give for these boxes (logits from the target heatmap)."""
    targets = build_targets(boxes, labels, np.ones(len(boxes)), config)
    heat = np.clip(targets.heatmap, 1e-4, 1 - 1e-4)
    h, w = config.output_shape
    values = np.zeros((h * w, 9), dtype=np.float32)
    values[targets.cells, :8] = targets.boxes
    values[targets.cells, 8] = np.where(targets.direction > 0, 10.0, -10.0)
    values = values.reshape(h, w, 9).transpose(2, 0, 1)
    output = np.concatenate([np.log(heat / (1 - heat)), values])[None]
    return torch.from_numpy(output.astype(np.float32))


def test_targets_decode_back_to_the_boxes_with_their_heading(config):
    boxes = np.array(
        [
            [3.3, -4.1, -0.9, 4.2, 1.8, 1.5, 2.9],
            [-6.0, 5.2, -0.8, 0.7, 0.6, 1.7, -1.2],
            [8.0, 8.0, -0.5, 10.0, 2.5, 3.4, -np.pi / 2 + 0.1],
        ]
    )
    labels = np.array([0, 3, 2])
    found = decode(perfect_output(boxes, labels, config), config, threshold=0.5, limit=10)[0]
    order = np.argsort(found.boxes[:, 0])
    expected = np.argsort(boxes[:, 0])
    assert len(found.boxes) == 3
    np.testing.assert_allclose(found.boxes[order, :6], boxes[expected, :6], atol=1e-4)
    np.testing.assert_allclose(np.cos(found.boxes[order, 6] - boxes[expected, 6]), 1.0, atol=1e-6)
    assert list(found.labels[order]) == list(labels[expected])
    np.testing.assert_allclose(found.probabilities.sum(axis=1), 1.0)


def test_dont_care_objects_zero_the_loss_weight_and_leave_no_peak(config):
    boxes = np.array([[2.0, 2.0, -1.0, 4.0, 1.7, 1.5, 0.0], [-5.0, -5.0, -1.0, 4.0, 1.7, 1.5, 0.0]])
    targets = build_targets(boxes, np.array([0, -1]), np.array([1.0, 0.5]), config)
    assert len(targets.cells) == 1 and targets.heatmap.max() == 1.0
    cell = config.output_cell
    row, col = int((-5.0 + 12.8) / cell), int((-5.0 + 12.8) / cell)
    assert targets.weight_map[row, col] == 0.0 and targets.heatmap[:, row, col].max() == 0.0
    assert targets.weight_map.max() == 1.0


def test_an_emphasised_object_raises_the_loss_weight_around_it(config):
    boxes = np.array([[2.0, 2.0, -1.0, 4.0, 1.7, 1.5, 0.0], [-5.0, -5.0, -1.0, 4.0, 1.7, 1.5, 0.0]])
    targets = build_targets(boxes, np.array([0, 0]), np.array([1.0, 3.0]), config)
    cell = config.output_cell
    row, col = int((-5.0 + 12.8) / cell), int((-5.0 + 12.8) / cell)
    assert targets.weight_map[row, col] == 3.0 and targets.weight_map.max() == 3.0
    assert targets.weight_map[int((2.0 + 12.8) / cell), int((2.0 + 12.8) / cell)] == 1.0


def test_rotated_nms_drops_overlapping_worse_boxes_only():
    boxes = np.array(
        [
            [0.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0],
            [0.3, 0.1, 0.0, 4.0, 2.0, 1.5, 0.1],  # overlaps the first
            [0.0, 0.0, 0.0, 4.0, 2.0, 1.5, np.pi / 2],  # crosses it (IoU 1/3)
            [10.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0],  # far away
        ]
    )
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    assert list(rotated_nms(boxes, scores, 0.5)) == [0, 2, 3]
    assert list(rotated_nms(boxes, scores, 0.1)) == [0, 3]
    assert list(rotated_nms(boxes[:0], scores[:0], 0.1)) == []


def test_augmentation_moves_points_and_boxes_alike(scene):
    points, _, boxes = scene(3)
    before = [Cuboid.from_array(b).points_inside(points[:, :3]) for b in boxes]
    moved, moved_boxes = augment(points, boxes, np.random.default_rng(0))
    for inside, box in zip(before, moved_boxes):
        assert np.array_equal(
            Cuboid.from_array(box).points_inside(moved[:, :3], margin=1e-3)[inside], inside[inside]
        )
        assert abs(box[6]) <= np.pi


def test_a_partial_frame_counts_the_heatmap_loss_only_around_its_boxes_and_regresses_none(config):
    box = np.array([[0.0, 0.0, -1.0, 4.0, 1.7, 1.5, 0.3]])
    full = build_targets(box, np.array([0]), np.array([0.5]), config)
    partial = build_targets(box, np.array([0]), np.array([0.5]), config, partial=True)
    centre = full.cells[0] // config.output_shape[1], full.cells[0] % config.output_shape[1]
    assert partial.weight_map[centre] == full.weight_map[centre] == 0.5
    assert len(full.cells) == 1 and len(partial.cells) == len(partial.boxes) == 0
    assert full.weight_map[0, 0] == 1.0  # a verified frame: background far from the box is known
    assert partial.weight_map[0, 0] == 0.0  # a pseudo-labelled frame: unknown there
    assert 0 < (partial.weight_map > 0).sum() < 0.05 * partial.weight_map.size
    np.testing.assert_array_equal(partial.heatmap, full.heatmap)


def test_the_heading_direction_loss_weighs_as_asked_and_its_accuracy_counts_front_and_back(config):
    from plugins.pointpillars.training import TrainSample, direction_accuracy, losses, make_batch

    boxes = np.array([[3.3, -4.1, -0.9, 4.2, 1.8, 1.5, 2.9], [-6.0, 5.2, -0.9, 4.0, 1.7, 1.5, -0.2]])
    labels = np.array([0, 0])
    sample = TrainSample(np.zeros((1, 4), np.float32), boxes, labels, np.ones(2, np.float32))
    batch = make_batch([sample], config, None)
    output = perfect_output(boxes, labels, config)
    assert direction_accuracy(output, batch, len(config.classes)) == 1.0
    flipped = output.clone()
    flipped[:, len(config.classes) + 8] *= -1.0  # every car pointing backwards
    assert direction_accuracy(flipped, batch, len(config.classes)) == 0.0
    light = losses(flipped, batch, len(config.classes), direction_weight=0.2)
    heavy = losses(flipped, batch, len(config.classes), direction_weight=1.0)
    assert heavy["direction"] == light["direction"] > 5.0
    assert float(heavy["loss"] - light["loss"]) == pytest.approx(0.8 * float(light["direction"]), rel=1e-5)
