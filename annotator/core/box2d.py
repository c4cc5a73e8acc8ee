"""Axis-aligned image boxes in pixels and their pairwise IoU."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


# -- 2D boxes --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Box2D:
    """An axis-aligned image box in pixels: ``x1 <= x2``, ``y1 <= y2`` (corners are normalised)."""

    x1: float
    y1: float
    x2: float
    y2: float

    def __post_init__(self) -> None:
        x1, x2 = sorted((float(self.x1), float(self.x2)))
        y1, y2 = sorted((float(self.y1), float(self.y2)))
        if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
            raise ValueError("a 2D box needs finite numbers")
        object.__setattr__(self, "x1", x1)
        object.__setattr__(self, "y1", y1)
        object.__setattr__(self, "x2", x2)
        object.__setattr__(self, "y2", y2)

    @property
    def width(self) -> float:
        """Width in pixels."""
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        """Height in pixels."""
        return self.y2 - self.y1

    @property
    def area(self) -> float:
        """Area in square pixels."""
        return self.width * self.height

    @property
    def center(self) -> tuple[float, float]:
        """Centre in pixels."""
        return (self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0

    def to_array(self) -> np.ndarray:
        """``[x1, y1, x2, y2]``."""
        return np.array([self.x1, self.y1, self.x2, self.y2], dtype=np.float64)

    def clipped(self, width: float, height: float) -> Box2D | None:
        """The part inside an image of the given size, or None when nothing is left."""
        x1, y1 = max(0.0, self.x1), max(0.0, self.y1)
        x2, y2 = min(float(width), self.x2), min(float(height), self.y2)
        if x2 <= x1 or y2 <= y1:
            return None
        return Box2D(x1, y1, x2, y2)

    def iou(self, other: Box2D) -> float:
        """Intersection-over-union with another box."""
        iw = min(self.x2, other.x2) - max(self.x1, other.x1)
        ih = min(self.y2, other.y2) - max(self.y1, other.y1)
        if iw <= 0 or ih <= 0:
            return 0.0
        inter = iw * ih
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0


def box2d_iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of (N, 4) and (M, 4) arrays of x1, y1, x2, y2 boxes."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    iw = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
