"""Structured channel pruning: keeping every channel changes nothing; keeping half halves every layer."""

from __future__ import annotations

import pytest
import torch

from annotator.ml.protocol import CancelToken
from plugins.pointpillars.pillars import crop_points
from plugins.pointpillars.pruning import pruned


@pytest.fixture
def trained_net(detector, scenes):
    for _ in detector.fit(scenes[:2], {"epochs": 2, "batch_size": 2, "threads": 1}, CancelToken()):
        pass
    return detector.members[0]


def raw_output(net, points):
    cropped = torch.from_numpy(crop_points(points, net.config))
    with torch.inference_mode():
        return net(cropped, torch.zeros(len(cropped), dtype=torch.int64), 1)


def test_keeping_every_channel_gives_the_same_network(trained_net, scenes):
    points = scenes[0].frame.points
    torch.testing.assert_close(raw_output(pruned(trained_net, 1.0), points), raw_output(trained_net, points))


def test_keeping_half_halves_every_layer_and_still_runs(trained_net, scenes):
    small = pruned(trained_net, 0.5)
    config = trained_net.config
    assert small.config.channels == tuple(max(4, round(c / 2)) for c in config.channels)
    assert small.config.head_channels == max(4, round(config.head_channels / 2))
    assert sum(p.numel() for p in small.parameters()) < 0.4 * sum(p.numel() for p in trained_net.parameters())
    output = raw_output(small, scenes[0].frame.points)
    assert output.shape == raw_output(trained_net, scenes[0].frame.points).shape
    assert torch.isfinite(output).all()
    with pytest.raises(ValueError, match="keep"):
        pruned(trained_net, 0.0)


def test_the_head_and_each_stage_can_keep_a_share_of_their_own(trained_net, scenes):
    config = trained_net.config
    shares = (0.5,) * (len(config.channels) - 1) + (0.75,)
    small = pruned(trained_net, 0.5, head_keep=0.25, stage_keep=shares)
    assert small.config.channels == tuple(max(4, round(c * k)) for c, k in zip(config.channels, shares))
    assert small.config.head_channels == max(4, round(config.head_channels / 4))
    assert small.config.pillar_channels == max(4, round(config.pillar_channels / 2))
    assert torch.isfinite(raw_output(small, scenes[0].frame.points)).all()
    with pytest.raises(ValueError, match="head_keep"):
        pruned(trained_net, 0.5, head_keep=1.5)
    with pytest.raises(ValueError, match="stage_keep"):
        pruned(trained_net, 0.5, stage_keep=(0.5,))
