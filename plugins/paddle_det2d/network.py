"""The network: a small conv backbone with a top-down pyramid to stride 4, and a dropout-carrying head.

`forward_features` runs the backbone and pyramid once; `forward_head` maps those features to a per-class
centre heatmap (logits) and four box-side distances per cell. The head has dropout sites that are active
when ``dropout > 0`` is passed explicitly, independent of train/eval mode, so MC-dropout sampling reuses
one set of features and keeps batch norm in inference mode.
"""

from __future__ import annotations

import itertools
import logging
import math

import paddle
import paddle.nn.functional as F
from paddle import nn

from plugins.paddle_det2d.config import DetectorConfig

logger = logging.getLogger(__name__)

#: Initial heatmap bias: every cell starts with a 1% chance of being an object centre (focal loss prior).
HEATMAP_PRIOR = 0.01
#: Box-side distances (in output cells) are exp(raw), clipped to keep early training finite.
MAX_LOG_DISTANCE = 6.0


def _conv_bn(inputs: int, outputs: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2D(inputs, outputs, 3, stride=stride, padding=1, bias_attr=False),
        nn.BatchNorm2D(outputs),
        nn.ReLU(),
    )


class Backbone(nn.Layer):
    """Four stages (strides 2, 4, 8, 16); each after the first is a strided conv plus a plain conv."""

    def __init__(self, widths: tuple[int, ...]) -> None:
        super().__init__()
        stages = [_conv_bn(3, widths[0], 2)]
        for inputs, outputs in itertools.pairwise(widths):
            stages.append(nn.Sequential(_conv_bn(inputs, outputs, 2), _conv_bn(outputs, outputs)))
        self.stages = nn.LayerList(stages)

    def forward(self, x: paddle.Tensor) -> list[paddle.Tensor]:
        """Feature maps at strides 2, 4, 8 and 16."""
        outputs = []
        for stage in self.stages:
            x = stage(x)
            outputs.append(x)
        return outputs


class Pyramid(nn.Layer):
    """Top-down path: 1x1 laterals from strides 16, 8, 4 added after nearest upsampling, then a 3x3 conv."""

    def __init__(self, widths: tuple[int, ...], channels: int) -> None:
        super().__init__()
        self.laterals = nn.LayerList([nn.Conv2D(w, channels, 1) for w in widths[1:]])
        self.smooth = _conv_bn(channels, channels)

    def forward(self, levels: list[paddle.Tensor]) -> paddle.Tensor:
        """One map at stride 4."""
        x = self.laterals[-1](levels[-1])
        for lateral, level in zip(self.laterals[-2::-1], levels[-2:0:-1]):
            x = F.interpolate(x, scale_factor=2, mode="nearest") + lateral(level)
        return self.smooth(x)


class HeadBranch(nn.Layer):
    """1x1 conv, ReLU, dropout, 1x1 conv to ``outputs`` channels: cheap enough to re-run per MC sample
    (the spatial context comes from the pyramid's 3x3 convolutions)."""

    def __init__(self, inputs: int, channels: int, outputs: int, bias: float = 0.0) -> None:
        super().__init__()
        self.hidden = nn.Conv2D(inputs, channels, 1)
        self.out = nn.Conv2D(
            channels, outputs, 1, bias_attr=paddle.ParamAttr(initializer=nn.initializer.Constant(bias))
        )

    def forward(self, x: paddle.Tensor, dropout: float) -> paddle.Tensor:
        """The branch's output; dropout is applied only when ``dropout > 0``."""
        x = F.relu(self.hidden(x))
        if dropout > 0:
            x = F.dropout(x, p=dropout, training=True)
        return self.out(x)


class CenterDetector(nn.Layer):
    """Backbone + pyramid (`forward_features`) and the heatmap/box head (`forward_head`)."""

    def __init__(self, config: DetectorConfig) -> None:
        super().__init__()
        self.config = config
        self.backbone = Backbone(config.widths)
        self.pyramid = Pyramid(config.widths, config.neck_channels)
        prior = -math.log((1 - HEATMAP_PRIOR) / HEATMAP_PRIOR)
        self.heatmap = HeadBranch(config.neck_channels, config.head_channels, len(config.classes), prior)
        self.box = HeadBranch(config.neck_channels, config.head_channels, 4)

    def forward_features(self, images: paddle.Tensor) -> paddle.Tensor:
        """(B, 3, H, W) normalised images -> (B, neck_channels, H/4, W/4) features."""
        return self.pyramid(self.backbone(images))

    def forward_head(
        self, features: paddle.Tensor, dropout: float = 0.0
    ) -> tuple[paddle.Tensor, paddle.Tensor]:
        """Heatmap logits (B, C, h, w) and box-side distances (B, 4, h, w) in cells (left, top, right, bottom)."""
        logits = self.heatmap(features, dropout)
        distances = paddle.exp(paddle.clip(self.box(features, dropout), -MAX_LOG_DISTANCE, MAX_LOG_DISTANCE))
        return logits, distances

    def forward(self, images: paddle.Tensor, dropout: float = 0.0) -> tuple[paddle.Tensor, paddle.Tensor]:
        """`forward_head` of `forward_features`."""
        return self.forward_head(self.forward_features(images), dropout)
