"""Test-time augmentation done by the host, so that it works for any plugin (the geometric one included).

3D: each pass mirrors y (every other pass), rotates about z and shifts the points a little; the boxes
the plugin finds are mapped back through the inverse transform. 2D: each pass flips the images
horizontally (every other pass) and scales them; boxes are mapped back likewise. Pass 0 is always the
untouched input. The transforms are drawn from a seed, so a run is repeatable.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from annotator.core.cuboids.rotation import wrap_angles
from annotator.ml.protocol import Detections, FrameInput

logger = logging.getLogger(__name__)

MAX_ROTATION = math.radians(10.0)
SHIFT_SIGMA = 0.15
SCALES = (1.0, 0.85, 1.15, 0.75, 1.25)


@dataclass(frozen=True)
class CloudTransform:
    """Points -> mirror y (if ``mirror``) -> rotate by ``angle`` about z -> shift by ``shift`` (x, y)."""

    mirror: bool = False
    angle: float = 0.0
    shift: tuple[float, float] = (0.0, 0.0)

    def apply_points(self, points: np.ndarray) -> np.ndarray:
        """The transformed copy of (N, >=3) points (extra columns kept)."""
        out = np.array(points, dtype=np.float32, copy=True)
        if self.mirror:
            out[:, 1] = -out[:, 1]
        c, s = math.cos(self.angle), math.sin(self.angle)
        x, y = out[:, 0].copy(), out[:, 1].copy()
        out[:, 0] = c * x - s * y + self.shift[0]
        out[:, 1] = s * x + c * y + self.shift[1]
        return out

    def invert_boxes(self, boxes: np.ndarray) -> np.ndarray:
        """Boxes found in the transformed cloud, (N, 7) or (N, 9), mapped back to the original frame."""
        out = np.array(boxes, dtype=np.float64, copy=True)
        if len(out) == 0:
            return out
        c, s = math.cos(-self.angle), math.sin(-self.angle)
        x, y = out[:, 0] - self.shift[0], out[:, 1] - self.shift[1]
        out[:, 0], out[:, 1] = c * x - s * y, s * x + c * y
        out[:, 6] = out[:, 6] - self.angle
        if self.mirror:
            out[:, 1] = -out[:, 1]
            out[:, 6] = -out[:, 6]
            if out.shape[1] == 9:
                out[:, 8] = -out[:, 8]  # roll changes sign under the mirror, pitch does not
        out[:, 6:] = wrap_angles(out[:, 6:])
        return out


@dataclass(frozen=True)
class ImageTransform:
    """Image -> flip horizontally (if ``flip``) -> scale by ``scale``."""

    flip: bool = False
    scale: float = 1.0

    def apply_image(self, image: np.ndarray) -> np.ndarray:
        """The transformed image (uint8 H x W x 3)."""
        out = image[:, ::-1] if self.flip else image
        if self.scale != 1.0:
            height, width = out.shape[:2]
            size = (max(1, round(width * self.scale)), max(1, round(height * self.scale)))
            out = np.asarray(Image.fromarray(np.ascontiguousarray(out)).resize(size, Image.BILINEAR))
        return np.ascontiguousarray(out)

    def invert_boxes(self, boxes: np.ndarray, width: int) -> np.ndarray:
        """Boxes (N, 4) found in the transformed image mapped back to the original of ``width`` pixels."""
        out = np.array(boxes, dtype=np.float64, copy=True) / self.scale
        if self.flip and len(out):
            out[:, [0, 2]] = width - out[:, [2, 0]]
        return out


def cloud_transforms(passes: int, seed: int = 0) -> list[CloudTransform]:
    """``passes`` transforms: the identity, then alternating mirrors with small rotations and shifts."""
    rng = np.random.default_rng(seed)
    transforms = [CloudTransform()]
    for k in range(1, passes):
        angle = float(rng.uniform(-MAX_ROTATION, MAX_ROTATION))
        shift = tuple(float(v) for v in rng.normal(0.0, SHIFT_SIGMA, 2))
        transforms.append(CloudTransform(k % 2 == 1, angle, shift))  # type: ignore[arg-type]
    return transforms[:passes]


def image_transforms(passes: int) -> list[ImageTransform]:
    """``passes`` transforms: the identity, then flips and scales in turn."""
    return [
        ImageTransform(k % 2 == 1, SCALES[(k // 2 + k % 2) % len(SCALES)] if k else 1.0)
        for k in range(passes)
    ]


def transformed_cloud_input(frame: FrameInput, transform: CloudTransform) -> FrameInput:
    """The frame with transformed points (cameras dropped: they no longer fit the points)."""
    points = None if frame.points is None else transform.apply_points(frame.points)
    return FrameInput(frame.name, points)


def transformed_image_input(frame: FrameInput, transform: ImageTransform) -> FrameInput:
    """The frame with transformed images (no points, no calibration: they no longer fit)."""
    return FrameInput(
        frame.name, None, {name: transform.apply_image(img) for name, img in frame.images.items()}
    )


def map_back(result: Detections, boxes: np.ndarray) -> Detections:
    """``result`` with its boxes replaced by ``boxes`` (already mapped back)."""
    return Detections(
        boxes,
        result.labels,
        result.scores,
        result.class_names,
        result.model_version,
        result.probabilities,
        result.camera,
    )
