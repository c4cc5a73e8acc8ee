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
        if self.folds():
            pooled = self._pooled_folded(points, inverse, mean, pillars)
        else:
            pooled = self._pooled(points, inverse, mean, ix, iy, len(pillars))
        channels = pooled.shape[1]
        pooled = torch.cat([pooled, torch.log1p(counts.to(pooled.dtype))[:, None]], dim=1)
        # Channels first, so that one frame's image is a view (no copy of the whole grid).
        canvas = torch.zeros(channels + 1, batch_size * nx * ny, dtype=pooled.dtype, device=pooled.device)
        canvas[:, pillars] = pooled.t()
        return canvas.view(channels + 1, batch_size, nx, ny).transpose(0, 1).contiguous()

    def folds(self) -> bool:
        """Whether `forward` may take the folded inference path: eval mode, a plain linear layer (not an
        int8 quantised one) and no autocast."""
        return (
            not self.training
            and type(self.linear) is nn.Linear
            and isinstance(self.norm, nn.BatchNorm1d)
            and self.norm.track_running_stats
            and not torch.is_autocast_enabled(self.linear.weight.device.type)
        )

    def _centres(self, ix: torch.Tensor, iy: torch.Tensor) -> torch.Tensor:
        """(K, 2) bird's-eye-view centres of the grid cells at column ``ix`` and row ``iy``."""
        config = self.config
        x0, y0 = config.x_range[0], config.y_range[0]
        return torch.stack([(ix + 0.5) * config.cell + x0, (iy + 0.5) * config.cell + y0], dim=1)

    def _pooled(
        self, points: torch.Tensor, inverse: torch.Tensor, mean: torch.Tensor, ix: torch.Tensor, iy: torch.Tensor,
        count: int,
    ) -> torch.Tensor:  # fmt: skip
        """(P, C) pillar features the textbook way: decorate each point, linear, norm, ReLU, max."""
        centre = self._centres(ix, iy)
        features = torch.cat([points, points[:, :3] - mean[inverse], points[:, :2] - centre], dim=1)
        encoded = torch.relu(self.norm(self.linear(features)))
        channels = encoded.shape[1]
        pooled = torch.zeros(count, channels, dtype=encoded.dtype, device=encoded.device)
        return pooled.scatter_reduce(0, inverse[:, None].expand(-1, channels), encoded, "amax")

    def _pooled_folded(
        self, points: torch.Tensor, inverse: torch.Tensor, mean: torch.Tensor, pillars: torch.Tensor
    ) -> torch.Tensor:
        """`_pooled` in eval mode with a quarter of the per-point work, the same values up to rounding.

        The decoration is linear in the point: ``W f = A p - W_mean m - W_centre c`` with the pillar's mean
        ``m`` and centre ``c`` the same for all its points. Eval-mode batch norm is ``s x + t`` per channel,
        so each channel's maximum over a pillar's points of ``s (A p) + s (...)`` is the maximum of the
        per-point ``(s A) p`` plus a per-pillar term, and ReLU commutes with the maximum. Per point this
        leaves one (4 -> C) product and the scatter-maximum: no 9 features, no norm, no ReLU."""
        nx, ny = self.config.grid_shape
        weight = self.linear.weight  # (C, 9): point (4), offset from the mean (3), offset from the centre (2)
        norm = self.norm
        scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
        shift = norm.bias - scale * norm.running_mean
        per_point = weight[:, :4].clone()
        per_point[:, :3] += weight[:, 4:7]
        per_point[:, :2] += weight[:, 7:9]
        encoded = points @ (scale[:, None] * per_point).t()
        channels = encoded.shape[1]
        highest = torch.full((len(pillars), channels), -torch.inf, dtype=encoded.dtype, device=encoded.device)
        highest = highest.scatter_reduce(0, inverse[:, None].expand(-1, channels), encoded, "amax")
        centre = self._centres((pillars // ny) % nx, pillars % ny)
        per_pillar = mean @ weight[:, 4:7].t() + centre.to(mean.dtype) @ weight[:, 7:9].t()
        return torch.relu(highest - scale * per_pillar + shift)
