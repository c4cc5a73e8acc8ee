"""Points to pillars: crop to the grid, a simplified PointNet per pillar, scatter to a BEV pseudo-image.

Pillars are dynamic (every point of a pillar is used, no fixed sampling): each point gets 9 features
(x, y, z, intensity, offsets from its pillar's mean and from the pillar's centre), a shared linear layer
with batch norm and ReLU, and a max over the pillar's points; the log of the point count is appended.
"""

from __future__ import annotations

import logging

import torch
from torch import nn

from plugins.pointpillars.config import PillarConfig
from plugins.pointpillars.points import POINT_FEATURES, crop_points

logger = logging.getLogger(__name__)

__all__ = ["POINT_FEATURES", "PillarEncoder", "crop_points"]


def occupied(key: torch.Tensor, cells: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``torch.unique(key, return_inverse=True, return_counts=True)`` for keys in [0, cells), by counting
    instead of sorting (4x faster on a 115k-point KITTI frame)."""
    histogram = torch.bincount(key, minlength=cells)
    pillars = torch.nonzero(histogram).squeeze(1)
    index = torch.empty(cells, dtype=torch.int64, device=key.device)
    index[pillars] = torch.arange(len(pillars), device=key.device)
    return pillars, index[key], histogram[pillars]


class PillarEncoder(nn.Module):
    """Batched points (with a batch index per point) to a (B, C + 1, NX, NY) pseudo-image."""

    def __init__(self, config: PillarConfig) -> None:
        super().__init__()
        self.config = config
        self.linear = nn.Linear(POINT_FEATURES, config.pillar_channels, bias=False)
        self.norm = nn.BatchNorm1d(config.pillar_channels, eps=1e-3, momentum=0.01)

    @property
    def out_channels(self) -> int:
        """Channels of the pseudo-image (pillar features plus the log point count)."""
        return self.config.pillar_channels + 1

    def forward(self, points: torch.Tensor, batch: torch.Tensor, batch_size: int) -> torch.Tensor:
        """``points`` (N, 4) already cropped (`crop_points`), ``batch`` (N,) int64 frame of each point."""
        config = self.config
        nx, ny = config.grid_shape
        if len(points) == 0:
            return torch.zeros(
                batch_size, self.out_channels, nx, ny, dtype=points.dtype, device=points.device
            )
        x0, y0 = config.x_range[0], config.y_range[0]
        ix = ((points[:, 0] - x0) / config.cell).long().clamp_(0, nx - 1)
        iy = ((points[:, 1] - y0) / config.cell).long().clamp_(0, ny - 1)
        key = (batch * nx + ix) * ny + iy
        pillars, inverse, counts = occupied(key, batch_size * nx * ny)
        sums = torch.zeros(len(pillars), 3, dtype=points.dtype, device=points.device).index_add_(
            0, inverse, points[:, :3]
        )
        mean = sums / counts[:, None].to(points.dtype)
        centre = torch.stack([(ix + 0.5) * config.cell + x0, (iy + 0.5) * config.cell + y0], dim=1)
        features = torch.cat([points, points[:, :3] - mean[inverse], points[:, :2] - centre], dim=1)
        encoded = torch.relu(self.norm(self.linear(features)))
        channels = encoded.shape[1]
        pooled = torch.zeros(len(pillars), channels, dtype=encoded.dtype, device=encoded.device)
        pooled = pooled.scatter_reduce(0, inverse[:, None].expand(-1, channels), encoded, "amax")
        pooled = torch.cat([pooled, torch.log1p(counts.to(encoded.dtype))[:, None]], dim=1)
        # Channels first, so that one frame's image is a view (no copy of the whole grid).
        canvas = torch.zeros(channels + 1, batch_size * nx * ny, dtype=encoded.dtype, device=encoded.device)
        canvas[:, pillars] = pooled.t()
        return canvas.view(channels + 1, batch_size, nx, ny).transpose(0, 1).contiguous()
