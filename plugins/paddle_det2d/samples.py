"""Labelled frames as training samples (resized once), and their random crops, flips and colour jitter."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from annotator.ml.protocol import LabelledFrame
from plugins.paddle_det2d.images import resize

logger = logging.getLogger(__name__)

#: A cropped object keeping less than this share of its width becomes an ignore region.
MIN_VISIBLE_SHARE = 0.5
#: Brightness and contrast are each scaled by a factor in 1 +- this when augmenting.
COLOUR_JITTER = 0.2


@dataclass
class TrainSample:
    """One image at network scale with its boxes (network pixels), class indices and weights (0: ignore);
    ``partial``: only near its boxes is the image known (pseudo-labels)."""

    image: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray
    weights: np.ndarray
    partial: bool = False


def frame_image(labelled: LabelledFrame) -> np.ndarray | None:
    """The image the frame's targets belong to (their camera, or the only image)."""
    images = labelled.frame.images
    camera = labelled.targets.camera
    if camera in images:
        return images[camera]
    return next(iter(images.values())) if len(images) == 1 else None


def prepare_samples(
    frames: Sequence[LabelledFrame], classes: Sequence[str], scale: float
) -> list[TrainSample]:
    """Training samples at ``scale``; targets of classes the model lacks become ignore regions."""
    index = {name: i for i, name in enumerate(classes)}
    samples = []
    for labelled in frames:
        image = frame_image(labelled)
        if image is None:
            logger.warning(
                "frame %s: no image for camera %r, skipped", labelled.frame.name, labelled.targets.camera
            )
            continue
        targets = labelled.targets
        names = [targets.class_names[label] for label in targets.labels]
        known = np.array([name in index for name in names], dtype=bool)
        weights = np.ones(len(targets)) if labelled.weights is None else np.asarray(labelled.weights, float)
        samples.append(
            TrainSample(
                resize(image, scale),
                targets.boxes[:, :4] * scale,
                np.array([index.get(name, 0) for name in names], dtype=np.int64),
                np.where(known, weights, 0.0),
                labelled.partial,
            )
        )
    return samples


def augmented(sample: TrainSample, crop_width: int, rng: np.random.Generator, augment: bool) -> TrainSample:
    """A crop of at most ``crop_width`` columns (random when augmenting, else the left), maybe flipped and
    colour-jittered; objects mostly cut off become ignore regions, those entirely outside are dropped."""
    image, boxes = sample.image, sample.boxes.copy()
    width = image.shape[1]
    left = int(rng.integers(0, width - crop_width + 1)) if augment and width > crop_width else 0
    image = image[:, left : left + crop_width]
    boxes[:, 0::2] -= left
    clipped = boxes.copy()
    clipped[:, 0::2] = clipped[:, 0::2].clip(0, image.shape[1])
    full_width = np.maximum(boxes[:, 2] - boxes[:, 0], 1e-6)
    visible = (clipped[:, 2] - clipped[:, 0]) / full_width
    present = clipped[:, 2] - clipped[:, 0] >= 1.0
    weights = np.where(visible >= MIN_VISIBLE_SHARE, sample.weights, 0.0)
    boxes, labels, weights = clipped[present], sample.labels[present], weights[present]
    if augment:
        if rng.random() < 0.5:
            image = image[:, ::-1]
            boxes[:, [0, 2]] = image.shape[1] - boxes[:, [2, 0]]
        gain, contrast = 1 + rng.uniform(-COLOUR_JITTER, COLOUR_JITTER, size=2)
        mean = image.mean()
        image = ((image.astype(np.float32) - mean) * contrast + mean * gain).clip(0, 255).astype(np.uint8)
    return TrainSample(np.ascontiguousarray(image), boxes, labels, weights, sample.partial)
