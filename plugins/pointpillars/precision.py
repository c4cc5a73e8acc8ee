"""Inference precision on CPU: fp32, bf16/fp16 autocast, and int8 dynamic quantisation.

Dynamic quantisation in PyTorch covers linear (and recurrent) layers only; in this network that is the
pillar encoder's point-feature layer, while the 2D backbone and head (most of the work) stay fp32.
Autocast runs convolutions and linear layers in the half type and keeps the rest in fp32.
``int8-static`` quantises the whole network, ``fp16-gpu`` runs it on a CUDA GPU (`plugins.pointpillars.fast`).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import warnings
from collections.abc import Iterator

import torch
from torch import nn

logger = logging.getLogger(__name__)

PRECISIONS = ("fp32", "bf16", "fp16", "int8", "int8-static", "fp16-gpu")
_HALF = {"bf16": torch.bfloat16, "fp16": torch.float16}


@contextlib.contextmanager
def autocast(precision: str) -> Iterator[None]:
    """Autocast to the half type of ``precision`` on CPU (nothing for fp32, the int8 ones and fp16-gpu)."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r} (choose from {', '.join(PRECISIONS)})")
    if precision in _HALF:
        with torch.autocast("cpu", dtype=_HALF[precision]):
            yield
    else:
        yield


def quantized(net: nn.Module) -> nn.Module:
    """An int8 dynamically quantised copy of ``net`` (its linear layers), for inference."""
    with warnings.catch_warnings():  # torch announces that eager-mode quantisation moves to torchao
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return torch.ao.quantization.quantize_dynamic(
            copy.deepcopy(net).eval(), {nn.Linear}, dtype=torch.qint8
        )
