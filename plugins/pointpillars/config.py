"""The network's fixed shape: bird's-eye-view grid, channels and classes (stored in every checkpoint)."""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

CLASSES = ("Car", "Van", "Truck", "Pedestrian", "Cyclist")
#: Box regression channels: centre offset in the output cell (2), z, log size (3), sin/cos of twice the yaw.
REGRESSION_CHANNELS = 8
#: The network's output stride relative to the pillar grid.
OUTPUT_STRIDE = 2


@dataclass(frozen=True)
class PillarConfig:
    """Grid and network sizes. The grid spans ``x_range`` x ``y_range`` (metres, LiDAR frame) in square
    ``cell`` pillars; points outside ``z_range`` are ignored. The backbone has one stage per entry of
    ``channels`` (strides 2, 4, 8, ...); both grid sides must be multiples of 2 ** stages cells.
    ``ground_z``: each frame is shifted so that its estimated ground lies at this height (None: points as
    they come; see `plugins.pointpillars.ground`); ``intensity``: False feeds zeros instead of the sensor's
    intensity (which no two sensors scale alike).
    """

    x_range: tuple[float, float] = (-51.2, 51.2)
    y_range: tuple[float, float] = (-25.6, 25.6)
    z_range: tuple[float, float] = (-3.5, 2.5)
    cell: float = 0.32
    pillar_channels: int = 32
    channels: tuple[int, ...] = (32, 64, 128)
    layers: tuple[int, ...] = (2, 3, 3)
    head_channels: int = 64
    classes: tuple[str, ...] = CLASSES
    ground_z: float | None = None
    intensity: bool = True

    def __post_init__(self) -> None:
        for name in ("x_range", "y_range", "z_range", "channels", "layers", "classes"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        nx, ny = self.grid_shape
        step = 2 ** len(self.channels)
        if nx % step or ny % step or nx <= 0 or ny <= 0:
            raise ValueError(f"grid {nx} x {ny} cells: both sides must be positive multiples of {step}")
        if not self.channels or len(self.layers) != len(self.channels):
            raise ValueError("a backbone needs one layer count per stage")
        if not self.classes:
            raise ValueError("a detector needs at least one class")

    @property
    def grid_shape(self) -> tuple[int, int]:
        """Pillar cells along x and y."""
        return (
            round((self.x_range[1] - self.x_range[0]) / self.cell),
            round((self.y_range[1] - self.y_range[0]) / self.cell),
        )

    @property
    def output_shape(self) -> tuple[int, int]:
        """Heatmap cells along x and y."""
        nx, ny = self.grid_shape
        return nx // OUTPUT_STRIDE, ny // OUTPUT_STRIDE

    @property
    def output_cell(self) -> float:
        """Side of a heatmap cell (metres)."""
        return self.cell * OUTPUT_STRIDE

    def with_extent(self, x: float = 0.0, y: float = 0.0) -> PillarConfig:
        """The same network on a grid reaching ``x`` metres ahead and behind and ``y`` to each side
        (rounded up to whole backbone strides); 0 keeps that axis. The network is convolutional, so trained
        weights work on any grid."""
        stride = self.cell * 2 ** len(self.channels)

        def span(extent: float, current: tuple[float, float]) -> tuple[float, float]:
            if extent <= 0:
                return current
            half = math.ceil(extent / stride - 1e-9) * stride
            return (-round(half, 6), round(half, 6))

        return replace(self, x_range=span(x, self.x_range), y_range=span(y, self.y_range))

    def contains(self, xy: np.ndarray) -> np.ndarray:
        """Which (N, 2) bird's-eye-view positions lie on the grid."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        return (
            (xy[:, 0] >= self.x_range[0])
            & (xy[:, 0] < self.x_range[1])
            & (xy[:, 1] >= self.y_range[0])
            & (xy[:, 1] < self.y_range[1])
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain values (lists, numbers, strings) for a checkpoint."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PillarConfig:
        """Inverse of `to_dict`; unknown keys are ignored (newer checkpoints)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
