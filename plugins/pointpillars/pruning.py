"""Structured channel pruning: a narrower copy of a trained network, then a short fine-tune.

Every layer keeps the share ``keep`` of its output channels whose batch-norm scale is largest in magnitude
(a channel whose scale is near 0 contributes near nothing after normalisation), and the layers reading
those channels keep the matching inputs: the pillar encoder, every backbone convolution, the upsampling
branches, the head's shared convolution and its output convolutions. The result is an ordinary
`PointPillarsNet` with a smaller config (fewer FLOPs, no sparse kernels needed), which
``python -m plugins.pointpillars.prune`` fine-tunes on generated frames and saves as a checkpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

import torch
from torch import nn

from plugins.pointpillars.network import PointPillarsNet

logger = logging.getLogger(__name__)


def strongest(norm: nn.Module, count: int) -> torch.Tensor:
    """Indices (ascending) of the ``count`` channels of a batch norm with the largest |scale|."""
    return torch.sort(torch.topk(norm.weight.detach().abs(), count).indices).values


def _norm(target: nn.Module, source: nn.Module, kept: torch.Tensor) -> None:
    for name in ("weight", "bias", "running_mean", "running_var"):
        getattr(target, name).data.copy_(getattr(source, name).detach()[kept])


def _conv(target: nn.Module, source: nn.Module, outputs: torch.Tensor, inputs: torch.Tensor) -> None:
    """Copy a convolution's kept outputs and inputs (transposed convolutions store inputs first)."""
    weight = source.weight.detach()
    if isinstance(source, nn.ConvTranspose2d):
        target.weight.data.copy_(weight[inputs][:, outputs])
    else:
        target.weight.data.copy_(weight[outputs][:, inputs])
    if source.bias is not None:
        target.bias.data.copy_(source.bias.detach()[outputs])


def pruned(
    net: PointPillarsNet,
    keep: float,
    head_keep: float | None = None,
    stage_keep: Sequence[float] | None = None,
) -> PointPillarsNet:
    """A copy of ``net`` keeping the share ``keep`` (0-1] of every layer's channels (at least 4), or
    ``stage_keep`` (one share per backbone stage, its upsampling branch keeping the first stage's) and
    ``head_keep`` of the head's shared convolution, the costliest layer (it runs at the finest output
    stride on every stage's upsampled channels)."""
    config = net.config
    head_keep = keep if head_keep is None else head_keep
    stage_keep = tuple(stage_keep) if stage_keep else (keep,) * len(config.channels)
    if len(stage_keep) != len(config.channels):
        raise ValueError(f"stage_keep needs {len(config.channels)} shares, got {len(stage_keep)}")
    for name, share in (("keep", keep), ("head_keep", head_keep), *(("stage_keep", s) for s in stage_keep)):
        if not 0.0 < share <= 1.0:
            raise ValueError(f"{name} must be in (0, 1], got {share}")

    def width(channels: int, share: float = keep) -> int:
        return max(4, round(channels * share))

    small = PointPillarsNet(
        replace(
            config,
            pillar_channels=width(config.pillar_channels),
            channels=tuple(width(c, k) for c, k in zip(config.channels, stage_keep)),
            head_channels=width(config.head_channels, head_keep),
        )
    ).eval()
    with torch.no_grad():
        kept = strongest(net.encoder.norm, small.config.pillar_channels)
        small.encoder.linear.weight.copy_(net.encoder.linear.weight[kept])
        _norm(small.encoder.norm, net.encoder.norm, kept)
        inputs = torch.cat([kept, torch.tensor([config.pillar_channels])])  # + the log point count
        stage_outputs = []
        for big_stage, small_stage in zip(net.backbone.stages, small.backbone.stages):
            for big, little in zip(big_stage, small_stage):
                outputs = strongest(big[1], little[1].num_features)
                _conv(little[0], big[0], outputs, inputs)
                _norm(little[1], big[1], outputs)
                inputs = outputs
            stage_outputs.append(inputs)
        fine = config.channels[0]
        head_inputs = [stage_outputs[0]]
        for k, (big, little) in enumerate(zip(net.backbone.ups, small.backbone.ups), start=1):
            outputs = strongest(big[1], little[1].num_features)
            _conv(little[0], big[0], outputs, stage_outputs[k])
            _norm(little[1], big[1], outputs)
            head_inputs.append(outputs + k * fine)
        inputs = torch.cat(head_inputs)
        outputs = strongest(net.head.shared[1], small.config.head_channels)
        _conv(small.head.shared[0], net.head.shared[0], outputs, inputs)
        _norm(small.head.shared[1], net.head.shared[1], outputs)
        for name in ("heatmap", "boxes"):
            big, little = getattr(net.head, name), getattr(small.head, name)
            _conv(little, big, torch.arange(big.out_channels), outputs)
    return small
