"""The pillar encoder's inputs and its folded inference path."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from plugins.pointpillars.config import PillarConfig
from plugins.pointpillars.pillars import PillarEncoder, crop_points
from plugins.pointpillars.precision import quantized


@pytest.fixture
def encoder() -> PillarEncoder:
    """An encoder whose batch norm has learned statistics, some of its scales negative."""
    torch.manual_seed(3)
    encoder = PillarEncoder(PillarConfig())
    with torch.no_grad():
        encoder.norm.weight.uniform_(-2.0, 2.0)
        encoder.norm.bias.uniform_(-1.0, 1.0)
        encoder.norm.running_mean.uniform_(-1.0, 1.0)
        encoder.norm.running_var.uniform_(0.1, 2.0)
    return encoder.eval()


def clouds(count: int, frames: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` points spread over the grid (dense enough that pillars hold several) in ``frames`` frames."""
    generator = torch.Generator().manual_seed(5)
    points = torch.rand(count, 4, generator=generator) * torch.tensor([20.0, 20.0, 3.0, 1.0])
    points -= torch.tensor([10.0, 10.0, 2.0, 0.0])
    return points, torch.randint(0, frames, (count,), generator=generator)


def test_the_folded_inference_path_gives_the_textbook_pillar_features(encoder):
    points, batch = clouds(20_000, frames=2)
    assert encoder.folds()
    with torch.no_grad():
        folded = encoder(points, batch, 2)
        encoder.folds = lambda: False  # the decorate-linear-norm-ReLU-max path training takes
        textbook = encoder(points, batch, 2)
    assert folded.shape == textbook.shape == (2, encoder.out_channels, *encoder.config.grid_shape)
    assert torch.count_nonzero(textbook[:, :-1]) > 1000  # channels are active, not all clipped by ReLU
    torch.testing.assert_close(folded, textbook, rtol=1e-5, atol=1e-4)


def test_training_and_a_quantised_copy_take_the_textbook_path(encoder):
    assert not encoder.train().folds()
    assert not quantized(encoder.eval()).folds()
    points, batch = clouds(2_000, frames=1)
    encoder.train()(points, batch, 1).sum().backward()
    assert encoder.linear.weight.grad is not None and encoder.norm.weight.grad is not None


def test_cropping_drops_points_off_the_grid_and_non_finite_ones():
    config = PillarConfig()
    inside = [1.0, 2.0, -1.0, 0.5]
    points = np.array(
        [
            inside,
            [config.x_range[1] + 1.0, 0.0, 0.0, 0.1],
            [0.0, 0.0, config.z_range[1] + 1.0, 0.1],
            [np.nan, 0.0, 0.0, 0.1],
            [np.inf, 0.0, 0.0, 0.1],
            [0.0, 0.0, 0.0, np.nan],
        ]
    )
    cropped = crop_points(points, config)
    assert cropped.dtype == np.float32 and cropped.flags.c_contiguous
    np.testing.assert_array_equal(cropped, np.array([inside], np.float32))


def test_cropping_pads_missing_intensity_and_zeroes_it_when_the_model_ignores_it():
    config = PillarConfig()
    np.testing.assert_array_equal(crop_points(np.array([[1.0, 2.0, -1.0]]), config), [[1.0, 2.0, -1.0, 0.0]])
    wide = np.array([[1.0, 2.0, -1.0, 0.5, 7.0]])  # extra columns (ring, time) are cut
    np.testing.assert_array_equal(crop_points(wide, config), [[1.0, 2.0, -1.0, 0.5]])
    blind = PillarConfig(intensity=False)
    np.testing.assert_array_equal(crop_points(wide, blind), [[1.0, 2.0, -1.0, 0.0]])
    with pytest.raises(ValueError, match="shape"):
        crop_points(np.zeros((3, 2)), config)
