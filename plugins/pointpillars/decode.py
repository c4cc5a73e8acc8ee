"""Raw PyTorch network output to boxes: the numpy decoding of `plugins.pointpillars.peaks` on a tensor.

Peaks are taken class-agnostically (the best class per cell, local maxima of a 3x3 window), so one object
gives one candidate even when two classes light up; its per-class probabilities are the class sigmoids at
that cell normalised to sum to 1, its score the best sigmoid.
"""

from __future__ import annotations

import logging

import torch

from plugins.pointpillars.config import PillarConfig
from plugins.pointpillars.peaks import LOG_SIZE_BOUNDS, Candidates, decode_arrays

logger = logging.getLogger(__name__)

__all__ = ["LOG_SIZE_BOUNDS", "Candidates", "decode"]


def decode(output: torch.Tensor, config: PillarConfig, threshold: float, limit: int) -> list[Candidates]:
    """Candidates of every frame of a raw output (B, C + 9, H, W), best first, at most ``limit`` each."""
    return decode_arrays(output.detach().float().cpu().numpy(), config, threshold, limit)
