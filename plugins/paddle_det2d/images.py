"""Images to network input: resizing by the input scale, normalising, padding to the coarsest stride."""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image

from plugins.paddle_det2d.config import PAD_MULTIPLE, PIXEL_MEAN, PIXEL_STD

logger = logging.getLogger(__name__)


def resize(image: np.ndarray, scale: float) -> np.ndarray:
    """``image`` (H, W, 3) uint8 resized by ``scale`` (bilinear; unchanged when the scale is 1)."""
    image = np.ascontiguousarray(image[..., :3], dtype=np.uint8)
    if scale == 1.0:
        return image
    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(image).resize(size, Image.BILINEAR))


def padded_size(height: int, width: int) -> tuple[int, int]:
    """``(height, width)`` rounded up to a multiple of `PAD_MULTIPLE`."""
    return -(-height // PAD_MULTIPLE) * PAD_MULTIPLE, -(-width // PAD_MULTIPLE) * PAD_MULTIPLE


def to_network(images: list[np.ndarray]) -> np.ndarray:
    """(H, W, 3) uint8 images -> (B, 3, H', W') float32, normalised, padded at bottom/right to a common
    size that is a multiple of `PAD_MULTIPLE`.

    Padding is the mean colour (zero after normalisation), so it looks like nothing in particular.
    """
    padded_height, padded_width = padded_size(
        max(image.shape[0] for image in images), max(image.shape[1] for image in images)
    )
    batch = np.zeros((len(images), 3, padded_height, padded_width), dtype=np.float32)
    mean = np.array(PIXEL_MEAN, dtype=np.float32)[:, None, None]
    std = np.array(PIXEL_STD, dtype=np.float32)[:, None, None]
    for index, image in enumerate(images):
        height, width = image.shape[:2]
        chw = image.transpose(2, 0, 1).astype(np.float32) / 255.0
        batch[index, :, :height, :width] = (chw - mean) / std
    return batch
