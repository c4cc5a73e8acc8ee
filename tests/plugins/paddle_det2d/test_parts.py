"""Targets, decoding, NMS, crops and image preparation of paddle-det2d (numpy parts, no paddle)."""

from __future__ import annotations

import numpy as np
import pytest

from plugins.paddle_det2d.config import STRIDE
from plugins.paddle_det2d.decode import decode, local_maxima, nms
from plugins.paddle_det2d.images import resize, to_network
from plugins.paddle_det2d.samples import TrainSample, augmented
from plugins.paddle_det2d.targets import build_targets


def test_targets_peak_at_the_centre_cell_and_regress_the_box():
    box = np.array([[16.0, 8.0, 48.0, 40.0]])  # cells 4..12 x 2..10, centre cell (8, 6)
    targets = build_targets(box, np.array([2]), np.ones(1), 5, (16, 20))
    assert targets.heatmap[2, 6, 8] == 1.0 and targets.heatmap[[0, 1, 3, 4]].max() == 0.0
    assert targets.centers[2, 6, 8] == 1.0 and targets.centers.sum() == 1.0
    np.testing.assert_allclose(targets.boxes[:, 6, 8], box[0] / STRIDE)
    assert targets.box_weights[6, 8] == targets.box_weights.max() > 0
    assert targets.box_weights.sum() == pytest.approx(np.log1p(64))
    assert targets.negatives.min() == 1.0


def test_ignored_objects_only_switch_off_negatives_inside_them():
    boxes = np.array([[0.0, 0.0, 32.0, 32.0], [40.0, 0.0, 56.0, 16.0]])
    targets = build_targets(boxes, np.array([0, 1]), np.array([1.0, 0.0]), 2, (8, 16))
    assert targets.heatmap[1].max() == 0.0 and targets.centers[1].max() == 0.0
    assert targets.negatives[0:4, 10:14].max() == 0.0
    assert targets.negatives[:, :8].min() == 1.0


def test_a_partial_image_has_negatives_only_near_its_boxes_and_regresses_none():
    box = np.array([[16.0, 8.0, 48.0, 40.0]])
    full = build_targets(box, np.array([0]), np.array([0.5]), 2, (16, 20))
    partial = build_targets(box, np.array([0]), np.array([0.5]), 2, (16, 20), partial=True)
    assert partial.negatives[6, 8] == 1.0 and partial.negatives[15, 19] == 0.0
    assert full.negatives.min() == 1.0
    np.testing.assert_array_equal(partial.heatmap, full.heatmap)
    np.testing.assert_array_equal(partial.centers, full.centers)
    assert full.box_weights.max() > 0 and partial.box_weights.max() == 0.0


def test_crops_keep_a_sample_partial():
    sample = TrainSample(np.zeros((16, 64, 3), np.uint8), np.array([[4.0, 4.0, 12.0, 12.0]]), np.array([0]),
                         np.ones(1), partial=True)  # fmt: skip
    assert augmented(sample, 32, np.random.default_rng(0), augment=True).partial


def test_decode_maps_a_peak_back_to_image_pixels_with_probabilities():
    heatmap = np.zeros((3, 10, 20), np.float32)
    heatmap[1, 4, 6], heatmap[0, 4, 6] = 0.8, 0.2
    distances = np.ones((4, 10, 20), np.float32) * 2.0
    found = decode(heatmap, distances, 0.5, (80, 160), 0.3, 0.5, 10)
    # cell centre (6.5, 4.5) +- 2 cells, x stride 4, / scale 0.5
    np.testing.assert_allclose(found.boxes, [[36.0, 20.0, 68.0, 52.0]])
    assert found.labels.tolist() == [1] and found.scores.tolist() == pytest.approx([0.8])
    np.testing.assert_allclose(found.probabilities, [[0.2, 0.8, 0.0]])


def test_decode_keeps_local_peaks_above_threshold_and_suppresses_overlaps():
    heatmap = np.zeros((1, 10, 20), np.float32)
    heatmap[0, 4, 6], heatmap[0, 4, 7], heatmap[0, 4, 9], heatmap[0, 8, 15] = 0.9, 0.85, 0.7, 0.2
    distances = np.full((4, 10, 20), 3.0, np.float32)
    found = decode(heatmap, distances, 1.0, (40, 80), 0.3, 0.5, 10)
    assert found.scores.tolist() == pytest.approx([0.9, 0.7])  # (4, 7) is no peak, (8, 15) too weak
    assert len(decode(heatmap, distances, 1.0, (40, 80), 0.3, 0.1, 10).boxes) == 1  # overlap 1/2 > 0.1
    assert local_maxima(np.array([[1.0, 2.0], [0.0, 1.0]])).tolist() == [[False, True], [False, False]]
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], float)
    assert nms(boxes, np.array([0.5, 0.9, 0.7]), 0.5).tolist() == [1, 2]


def test_crops_shift_boxes_and_turn_mostly_cut_objects_into_ignore_regions():
    image = np.zeros((32, 100, 3), np.uint8)
    boxes = np.array([[0.0, 0, 20, 10], [40.0, 0, 60, 10], [70.0, 0, 90, 10]])
    sample = TrainSample(image, boxes, np.array([0, 1, 2]), np.ones(3))
    crop = augmented(sample, 64, np.random.default_rng(0), augment=False)  # the left 64 columns
    assert crop.image.shape == (32, 64, 3)
    np.testing.assert_allclose(crop.boxes, boxes[:2])
    rng = np.random.default_rng(3)
    for _ in range(10):
        crop = augmented(sample, 50, rng, augment=True)
        widths = crop.boxes[:, 2] - crop.boxes[:, 0]
        assert np.all(crop.boxes[:, 0] >= 0) and np.all(crop.boxes[:, 2] <= 50)
        assert np.all((widths >= 10) | (crop.weights == 0))


def test_images_are_resized_normalised_and_padded_to_sixteen():
    image = np.full((375, 1242, 3), 255, np.uint8)
    small = resize(image, 0.5)
    assert small.shape == (188, 621, 3)
    batch = to_network([small, small[:100, :300]])
    assert batch.shape == (2, 3, 192, 624) and batch.dtype == np.float32
    assert (
        batch[0, :, :188, :621].min() > 2.0
        and np.all(batch[:, :, 188:] == 0)
        and np.all(batch[1, :, 100:] == 0)
    )
