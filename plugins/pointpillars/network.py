"""The network: pillar encoder, a multi-scale 2D CNN backbone, and a CenterPoint-style head.

`PointPillarsNet.forward_features` runs everything up to the head's first dropout site (the expensive
part: encoder and backbone) once; `PointPillarsNet.forward_head` maps those features to the raw output and
can be run again with the dropout sites active, for Monte-Carlo dropout samples that share one backbone
pass. The raw output has, per heatmap cell, ``C`` class logits, the `REGRESSION_CHANNELS` box values
and one heading-direction logit (see `plugins.pointpillars.decode`).
"""

from __future__ import annotations

import logging
import math

import torch
import torch.nn.functional as F
from torch import nn

from plugins.pointpillars.config import REGRESSION_CHANNELS, PillarConfig
from plugins.pointpillars.pillars import PillarEncoder

logger = logging.getLogger(__name__)

#: Initial heatmap probability (the logits' bias), so that training starts with few false alarms.
HEATMAP_PRIOR = 0.05


def conv_block(inputs: int, outputs: int, stride: int = 1) -> nn.Sequential:
    """3x3 convolution, batch norm, ReLU."""
    return nn.Sequential(
        nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False),
        nn.BatchNorm2d(outputs, eps=1e-3, momentum=0.01),
        nn.ReLU(inplace=True),
    )


def stage(inputs: int, outputs: int, layers: int) -> nn.Sequential:
    """A stride-2 block followed by ``layers`` stride-1 blocks."""
    return nn.Sequential(
        conv_block(inputs, outputs, 2), *(conv_block(outputs, outputs) for _ in range(layers))
    )


class Backbone(nn.Module):
    """Stages at strides 2, 4, 8, ... of the pillar grid; every stage's output is brought back to stride 2
    (transposed convolution) and all are concatenated."""

    def __init__(self, inputs: int, channels: tuple[int, ...], layers: tuple[int, ...]) -> None:
        super().__init__()
        widths = (inputs, *channels)
        self.stages = nn.ModuleList(stage(widths[k], widths[k + 1], layers[k]) for k in range(len(channels)))
        fine = channels[0]
        self.ups = nn.ModuleList(
            nn.Sequential(
                nn.ConvTranspose2d(channels[k], fine, 2**k, 2**k, bias=False),
                nn.BatchNorm2d(fine, eps=1e-3, momentum=0.01),
                nn.ReLU(inplace=True),
            )
            for k in range(1, len(channels))
        )
        self.out_channels = fine * len(channels)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """(B, inputs, NX, NY) -> (B, fine * stages, NX / 2, NY / 2)."""
        outputs = []
        for block in self.stages:
            image = block(image)
            outputs.append(image)
        return torch.cat([outputs[0], *(up(x) for up, x in zip(self.ups, outputs[1:]))], dim=1)


class Head(nn.Module):
    """Dropout, shared 3x3 convolution, dropout, then 1x1 outputs (class logits, box values, direction)."""

    def __init__(self, inputs: int, channels: int, classes: int) -> None:
        super().__init__()
        self.shared = conv_block(inputs, channels)
        self.heatmap = nn.Conv2d(channels, classes, 1)
        self.boxes = nn.Conv2d(channels, REGRESSION_CHANNELS + 1, 1)
        nn.init.constant_(self.heatmap.bias, -math.log((1.0 - HEATMAP_PRIOR) / HEATMAP_PRIOR))

    def forward(self, features: torch.Tensor, dropout: float) -> torch.Tensor:
        """Raw output (B, classes + 9, H, W); ``dropout`` is the rate at both dropout sites (0: none)."""
        active = dropout > 0.0
        hidden = self.shared(F.dropout(features, dropout, training=active))
        hidden = F.dropout(hidden, dropout, training=active)
        return torch.cat([self.heatmap(hidden), self.boxes(hidden)], dim=1)


class PointPillarsNet(nn.Module):
    """Encoder + backbone (`forward_features`) and head (`forward_head`)."""

    def __init__(self, config: PillarConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = PillarEncoder(config)
        self.backbone = Backbone(self.encoder.out_channels, config.channels, config.layers)
        self.head = Head(self.backbone.out_channels, config.head_channels, len(config.classes))

    def forward_features(self, points: torch.Tensor, batch: torch.Tensor, batch_size: int) -> torch.Tensor:
        """BEV features (B, F, H, W) of cropped points (N, 4) with their frame index ``batch`` (N,)."""
        return self.backbone(self.encoder(points, batch, batch_size))

    def forward_head(self, features: torch.Tensor, dropout: float = 0.0) -> torch.Tensor:
        """Raw output from features; with ``dropout`` > 0 every call draws new dropout masks (MC dropout)."""
        return self.head(features, dropout)

    def forward(
        self, points: torch.Tensor, batch: torch.Tensor, batch_size: int, dropout: float = 0.0
    ) -> torch.Tensor:
        """Raw output of a batch of frames."""
        return self.forward_head(self.forward_features(points, batch, batch_size), dropout)
