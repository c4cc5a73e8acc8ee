"""The detector's architecture settings (stored with every checkpoint) and thread capping."""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, fields
from typing import Any

logger = logging.getLogger(__name__)

#: Output stride of the heatmap and box maps relative to the network's (resized) input.
STRIDE = 4
#: Network inputs are padded to a multiple of this (the coarsest feature map's stride).
PAD_MULTIPLE = 16
#: Per-channel mean and spread used to normalise RGB images in [0, 1].
PIXEL_MEAN = (0.45, 0.45, 0.45)
PIXEL_STD = (0.25, 0.25, 0.25)


@dataclass(frozen=True)
class DetectorConfig:
    """What decides the network's shape; saved in checkpoints so `load` rebuilds the same network."""

    classes: tuple[str, ...] = ("Car", "Van", "Truck", "Pedestrian", "Cyclist")
    widths: tuple[int, ...] = (16, 32, 64, 96)  # channels at strides 2, 4, 8, 16
    neck_channels: int = 48
    head_channels: int = 64
    train_scale: float = 0.5  # the input_scale of the last fit (informational)

    def to_dict(self) -> dict[str, Any]:
        """Plain values for a checkpoint."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DetectorConfig:
        """Inverse of `to_dict` (unknown keys ignored)."""
        known = {f.name for f in fields(cls)}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
        return cls(**values)


def thread_count(requested: int) -> int:
    """Threads to use: ``requested``, or all cores but one when it is 0."""
    return requested if requested > 0 else max(1, (os.cpu_count() or 2) - 1)


def cap_threads(requested: int) -> int:
    """Limit paddle's CPU threads (call inside predict/fit, never at import); returns the count set."""
    import paddle

    count = thread_count(requested)
    paddle.base.core.set_num_threads(count)
    return count
