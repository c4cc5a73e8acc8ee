"""Random global augmentation of a training frame: flips, a small rotation about z and a scale."""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)

MAX_ROTATION = np.pi / 8.0
SCALE_RANGE = (0.95, 1.05)


def augment(points: np.ndarray, boxes: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points (N, 4) and boxes (M, 7) transformed alike: mirrored across the x axis (y -> -y) and across
    the y axis (x -> -x) with probability 1/2 each, rotated by up to `MAX_ROTATION` and scaled."""
    points = points.copy()
    boxes = np.asarray(boxes, dtype=np.float64)[:, :7].copy()
    if rng.random() < 0.5:
        points[:, 1] *= -1.0
        boxes[:, 1] *= -1.0
        boxes[:, 6] = -boxes[:, 6]
    if rng.random() < 0.5:
        points[:, 0] *= -1.0
        boxes[:, 0] *= -1.0
        boxes[:, 6] = np.pi - boxes[:, 6]
    rotate_about_sensor(points, boxes, rng.uniform(-MAX_ROTATION, MAX_ROTATION))
    scale = rng.uniform(*SCALE_RANGE)
    points[:, :3] *= np.float32(scale)
    boxes[:, :6] *= scale
    return points, boxes


def rotate_about_sensor(points: np.ndarray, boxes: np.ndarray, angle: float) -> None:
    """Turn ``points`` (N, >=2) and ``boxes`` (M, 7) in place by ``angle`` about the sensor's z axis (the
    origin): what a spinning sensor sees of them stays the same, only the azimuth changes. Yaws end up
    wrapped to (-pi, pi]."""
    c, s = np.cos(angle), np.sin(angle)
    rotation = np.array([[c, -s], [s, c]])
    points[:, :2] = points[:, :2] @ rotation.T.astype(points.dtype)
    boxes[:, :2] = boxes[:, :2] @ rotation.T
    boxes[:, 6] = np.arctan2(np.sin(boxes[:, 6] + angle), np.cos(boxes[:, 6] + angle))
