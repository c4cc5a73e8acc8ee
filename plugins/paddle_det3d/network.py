"""The PointPillars network of `plugins.pointpillars` in PaddlePaddle, its layers named as Paddle3D names them.

Parameter names (see `plugins.paddle_det3d.layout` for the mapping from the PyTorch plugin):

- ``pillar_encoder.pfn_layers.0.linear`` / ``.norm``: Paddle3D's ``PillarFeatureNet`` with one layer (the
  same 9 point features; Paddle3D max-pools over a padded point buffer, this over the pillar's real points);
- ``backbone.blocks.{i}.{3j}`` convolution and ``.{3j+1}`` batch norm: Paddle3D's ``SecondBackbone``;
- ``neck.deblocks.{i}.0`` transposed convolution and ``.1`` batch norm for the coarser levels i >= 1: its
  ``SecondFPN`` (level 0 goes to the concatenation as it is, so it has no deblock);
- ``bbox_head.shared_conv.conv`` / ``.bn`` and ``bbox_head.task_heads.0.{heatmap,reg,height,dim,rot}.0``:
  CenterPoint's ``CenterHead`` with one task and a single 1x1 output convolution per head, plus ``dir``
  (one heading-direction logit; ``rot`` holds sin and cos of TWICE the yaw, see `plugins.pointpillars.peaks`).

The raw output is the PyTorch network's: per cell the class logits, then reg (2), height, dim (3, log
sizes), rot (2) and dir, so decoding, NMS and training targets are shared.
"""

from __future__ import annotations

import logging
import math

import paddle
import paddle.nn.functional as F
from paddle import nn

from plugins.pointpillars.config import PillarConfig
from plugins.pointpillars.points import POINT_FEATURES

logger = logging.getLogger(__name__)

#: Batch norm epsilon and momentum of every layer (as the PyTorch network: eps 1e-3, torch momentum 0.01).
EPSILON, MOMENTUM = 1e-3, 0.99
#: The box heads in output order with their channels.
BOX_HEADS = (("reg", 2), ("height", 1), ("dim", 3), ("rot", 2), ("dir", 1))
HEATMAP_PRIOR = 0.05


def _norm2d(channels: int) -> nn.BatchNorm2D:
    return nn.BatchNorm2D(channels, momentum=MOMENTUM, epsilon=EPSILON)


class PFNLayer(nn.Layer):
    """Linear (no bias), batch norm, ReLU per point; the maximum over each pillar's points."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.linear = nn.Linear(POINT_FEATURES, channels, bias_attr=False)
        self.norm = nn.BatchNorm1D(channels, momentum=MOMENTUM, epsilon=EPSILON)

    def forward(self, features: paddle.Tensor, pillar: paddle.Tensor) -> paddle.Tensor:
        """(N, 9) features of points sorted by ``pillar`` (N,) -> (P, channels)."""
        encoded = F.relu(self.norm(self.linear(features)))
        return paddle.geometric.segment_max(encoded, pillar)


class PillarFeatureNet(nn.Layer):
    """Point features to a (B, C + 1, NX, NY) pseudo-image (pillar features and the log point count)."""

    def __init__(self, config: PillarConfig) -> None:
        super().__init__()
        self.config = config
        self.pfn_layers = nn.LayerList([PFNLayer(config.pillar_channels)])

    @property
    def out_channels(self) -> int:
        """Channels of the pseudo-image."""
        return self.config.pillar_channels + 1

    def forward(
        self,
        features: paddle.Tensor,
        pillar: paddle.Tensor,
        cells: paddle.Tensor,
        counts: paddle.Tensor,
        batch_size: int,
    ) -> paddle.Tensor:
        """Grouped points (`plugins.pointpillars.points.pillar_groups`) to the pseudo-image."""
        nx, ny = self.config.grid_shape
        channels = self.out_channels
        if features.shape[0] == 0:
            return paddle.zeros([batch_size, channels, nx, ny], dtype="float32")
        pooled = self.pfn_layers[0](features, pillar)
        pooled = paddle.concat([pooled, paddle.log1p(counts.astype("float32")).unsqueeze(1)], axis=1)
        canvas = paddle.zeros([batch_size * nx * ny, channels], dtype=pooled.dtype)
        canvas = paddle.scatter(canvas, cells, pooled, overwrite=True)
        return canvas.reshape([batch_size, nx, ny, channels]).transpose([0, 3, 1, 2])


class SecondBackbone(nn.Layer):
    """Stages at strides 2, 4, 8, ...: a stride-2 conv-BN-ReLU and ``layers`` stride-1 ones, flat."""

    def __init__(self, inputs: int, channels: tuple[int, ...], layers: tuple[int, ...]) -> None:
        super().__init__()
        widths = (inputs, *channels)
        blocks = []
        for k, count in enumerate(layers):
            block: list[nn.Layer] = []
            for j in range(count + 1):
                block += [
                    nn.Conv2D(widths[k] if j == 0 else channels[k], channels[k], 3, 2 if j == 0 else 1, 1,
                              bias_attr=False),
                    _norm2d(channels[k]),
                    nn.ReLU(),
                ]  # fmt: skip
            blocks.append(nn.Sequential(*block))
        self.blocks = nn.LayerList(blocks)

    def forward(self, image: paddle.Tensor) -> list[paddle.Tensor]:
        """Every stage's output."""
        outputs = []
        for block in self.blocks:
            image = block(image)
            outputs.append(image)
        return outputs


class SecondFPN(nn.Layer):
    """Coarser levels back to stride 2 (transposed convolution, BN, ReLU), concatenated with level 0."""

    def __init__(self, channels: tuple[int, ...]) -> None:
        super().__init__()
        fine = channels[0]
        self.deblocks = nn.LayerDict(
            {
                str(k): nn.Sequential(
                    nn.Conv2DTranspose(channels[k], fine, 2**k, 2**k, bias_attr=False),
                    _norm2d(fine),
                    nn.ReLU(),
                )
                for k in range(1, len(channels))
            }
        )
        self.out_channels = fine * len(channels)

    def forward(self, levels: list[paddle.Tensor]) -> paddle.Tensor:
        """One map at stride 2."""
        ups = [self.deblocks[str(k)](level) for k, level in enumerate(levels) if k > 0]
        return paddle.concat([levels[0], *ups], axis=1)


class ConvModule(nn.Layer):
    """3x3 convolution (no bias), batch norm, ReLU (Paddle3D's ``ConvModule`` names)."""

    def __init__(self, inputs: int, outputs: int) -> None:
        super().__init__()
        self.conv = nn.Conv2D(inputs, outputs, 3, 1, 1, bias_attr=False)
        self.bn = _norm2d(outputs)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        """conv, bn, relu."""
        return F.relu(self.bn(self.conv(x)))


class TaskHead(nn.Layer):
    """One 1x1 output convolution per head: ``heatmap`` (class logits) and the `BOX_HEADS`."""

    def __init__(self, channels: int, classes: int) -> None:
        super().__init__()
        prior = -math.log((1.0 - HEATMAP_PRIOR) / HEATMAP_PRIOR)
        bias = paddle.ParamAttr(initializer=nn.initializer.Constant(prior))
        self.heatmap = nn.Sequential(nn.Conv2D(channels, classes, 1, bias_attr=bias))
        for name, outputs in BOX_HEADS:
            setattr(self, name, nn.Sequential(nn.Conv2D(channels, outputs, 1)))

    def forward(self, hidden: paddle.Tensor) -> paddle.Tensor:
        """(B, classes + 9, H, W) in the order heatmap, reg, height, dim, rot, dir."""
        return paddle.concat(
            [self.heatmap(hidden), *(getattr(self, n)(hidden) for n, _ in BOX_HEADS)], axis=1
        )


class CenterHead(nn.Layer):
    """Dropout, the shared 3x3 convolution, dropout, the task head."""

    def __init__(self, inputs: int, channels: int, classes: int) -> None:
        super().__init__()
        self.shared_conv = ConvModule(inputs, channels)
        self.task_heads = nn.LayerList([TaskHead(channels, classes)])

    def forward(self, features: paddle.Tensor, dropout: float) -> paddle.Tensor:
        """Raw output; ``dropout`` is the rate at both dropout sites (0: none, whatever the mode)."""
        active = dropout > 0.0
        hidden = self.shared_conv(F.dropout(features, dropout, training=active) if active else features)
        if active:
            hidden = F.dropout(hidden, dropout, training=True)
        return self.task_heads[0](hidden)


class PaddlePillarsNet(nn.Layer):
    """Encoder + backbone + neck (`forward_features`) and head (`forward_head`)."""

    def __init__(self, config: PillarConfig) -> None:
        super().__init__()
        self.config = config
        self.pillar_encoder = PillarFeatureNet(config)
        self.backbone = SecondBackbone(self.pillar_encoder.out_channels, config.channels, config.layers)
        self.neck = SecondFPN(config.channels)
        self.bbox_head = CenterHead(self.neck.out_channels, config.head_channels, len(config.classes))

    def forward_features(self, inputs: tuple[paddle.Tensor, ...], batch_size: int) -> paddle.Tensor:
        """BEV features (B, F, H, W) of grouped points (features, pillar, cells, counts)."""
        return self.neck(self.backbone(self.pillar_encoder(*inputs, batch_size)))

    def forward_head(self, features: paddle.Tensor, dropout: float = 0.0) -> paddle.Tensor:
        """Raw output from features; with ``dropout`` > 0 every call draws new masks (MC dropout)."""
        return self.bbox_head(features, dropout)

    def forward(
        self, inputs: tuple[paddle.Tensor, ...], batch_size: int, dropout: float = 0.0
    ) -> paddle.Tensor:
        """Raw output of a batch of frames."""
        return self.forward_head(self.forward_features(inputs, batch_size), dropout)


def network_inputs(groups) -> tuple[paddle.Tensor, ...]:
    """`plugins.pointpillars.points.PillarGroups` as the encoder's tensors."""
    return (
        paddle.to_tensor(groups.features),
        paddle.to_tensor(groups.pillar.astype("int32")),
        paddle.to_tensor(groups.cells.astype("int64")),
        paddle.to_tensor(groups.counts.astype("float32")),
    )
