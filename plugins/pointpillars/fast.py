"""Fast inference variants of a trained network: static int8 quantisation of the whole network (CPU), and
fp16 on a CUDA GPU.

``int8-static``: the 2D backbone and the head (convolutions with their batch norms folded in, ReLUs, the
concatenation) run in int8 with activation ranges observed on calibration frames (PyTorch FX graph-mode
quantisation, x86 kernels, per-channel weights). Three kinds of layer stay fp32, each for a measured reason:
the transposed convolutions that bring coarse stages back to stride 2 (int8 has only per-tensor weights for
them, and with those only 33-40 % of the fp32 detections survived on Argoverse sweeps; fp32 there: 97-100 %),
the head's two 1x1 output convolutions (cheap, they carry scores and box values) and the pillar encoder
(dynamic int8 made its 9-to-32 linear layer 3x slower; grouping and scattering have no arithmetic to
quantise).
``fp16-gpu``: the encoder runs in fp32 on the GPU (its scatter and point-count features), the backbone and
head in fp16; without CUDA the variant is refused with a named error.
"""

from __future__ import annotations

import copy
import logging
import warnings
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from plugins.pointpillars.network import PointPillarsNet
from plugins.pointpillars.pillars import crop_points

logger = logging.getLogger(__name__)

#: Modules left in fp32 (see the module's docstring).
FP32_MODULES = ("backbone.ups", "head.heatmap", "head.boxes")
#: Generated frames observed to calibrate activation ranges (about 4 s each to generate).
CALIBRATION_FRAMES = 2


class _Dense(nn.Module):
    """Backbone and head without dropout: the part FX quantises."""

    def __init__(self, net: PointPillarsNet) -> None:
        super().__init__()
        self.backbone, self.head = net.backbone, net.head

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(image), 0.0)


class QuantizedPillarsNet(nn.Module):
    """A network with the interface of `PointPillarsNet` for inference: the fp32 encoder, then the
    statically quantised backbone and head."""

    def __init__(self, encoder: nn.Module, dense: nn.Module, config) -> None:
        super().__init__()
        self.encoder, self.dense, self.config = encoder, dense, config

    def forward(
        self, points: torch.Tensor, batch: torch.Tensor, batch_size: int, dropout: float = 0.0
    ) -> torch.Tensor:
        """Raw output (B, C + 9, H, W); dropout is not available in int8 (``dropout`` must be 0)."""
        if dropout:
            raise ValueError("a quantised network has no dropout sites")
        return self.dense(self.encoder(points, batch, batch_size))


def calibration_images(net: PointPillarsNet, clouds: Sequence[np.ndarray]) -> list[torch.Tensor]:
    """The pseudo-images of ``clouds`` (points already ground-levelled as the model feeds them)."""
    images = []
    with torch.inference_mode():
        for cloud in clouds:
            points = torch.from_numpy(crop_points(cloud, net.config))
            images.append(net.encoder(points, torch.zeros(len(points), dtype=torch.int64), 1))
    return images


def static_int8(net: PointPillarsNet, clouds: Sequence[np.ndarray]) -> QuantizedPillarsNet:
    """An int8 copy of ``net`` calibrated on ``clouds`` (a few typical frames' points)."""
    from torch.ao.quantization import QConfigMapping, get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    if not clouds:
        raise ValueError("static quantisation needs at least one calibration frame")
    net = copy.deepcopy(net).eval()
    images = calibration_images(net, clouds)
    torch.backends.quantized.engine = "x86"
    mapping: QConfigMapping = get_default_qconfig_mapping("x86")
    for name in FP32_MODULES:
        mapping = mapping.set_module_name(name, None)
    with warnings.catch_warnings():  # torch announces that FX quantisation moves to torchao
        warnings.simplefilter("ignore")
        prepared = prepare_fx(_Dense(net).eval(), mapping, (images[0],))
        with torch.inference_mode():
            for image in images:
                prepared(image)
        dense = convert_fx(prepared)
    logger.info("pointpillars: int8 network calibrated on %d frames", len(images))
    return QuantizedPillarsNet(net.encoder, dense, net.config).eval()


class GpuHalfNet(nn.Module):
    """A network with the interface of `PointPillarsNet` on the first CUDA GPU: fp32 encoder, fp16 rest;
    inputs and output stay on the CPU."""

    def __init__(self, net: PointPillarsNet) -> None:
        super().__init__()
        if not torch.cuda.is_available():
            raise RuntimeError("fp16-gpu needs a CUDA GPU, and torch sees none")
        net = copy.deepcopy(net).eval()
        self.config = net.config
        self.encoder = net.encoder.cuda()
        self.dense = _Dense(net).cuda().half()

    def forward(
        self, points: torch.Tensor, batch: torch.Tensor, batch_size: int, dropout: float = 0.0
    ) -> torch.Tensor:
        """Raw output (B, C + 9, H, W) in fp32 on the CPU; no dropout (``dropout`` must be 0)."""
        if dropout:
            raise ValueError("the fp16 GPU copy has no dropout sites")
        image = self.encoder(points.cuda(), batch.cuda(), batch_size)
        return self.dense(image.half()).float().cpu()
