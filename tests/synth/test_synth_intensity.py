"""The intensity model: reflectivity, incidence and range to what each sensor reports."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.synth import IntensityModel, sensor_preset


def test_diffuse_returns_fall_with_incidence_and_range() -> None:
    model = IntensityModel(ambient=0.25, falloff=300.0)
    head_on, grazing, slanted = model.strength(np.full(3, 0.4), np.array([1.0, 0.0, -0.5]), np.zeros(3))
    assert head_on == pytest.approx(0.4)
    assert grazing == pytest.approx(0.4 * 0.25)  # only the ambient share is left
    assert slanted == pytest.approx(0.4 * (0.25 + 0.75 * 0.5))  # the normal's side does not matter
    assert model.strength(0.4, 1.0, 300.0) == pytest.approx(0.4 / math.e)


def test_retro_reflectors_ignore_incidence() -> None:
    model = IntensityModel(ambient=0.2, retro_threshold=0.9)
    plate, paint = model.strength(np.array([0.95, 0.5]), np.array([0.2, 0.2]), np.zeros(2))
    assert plate == pytest.approx(0.95)
    assert paint == pytest.approx(0.5 * (0.2 + 0.8 * 0.2))


def test_reflectance_sensor_reports_zero_to_one() -> None:
    model = IntensityModel()
    assert model.report(np.array([-0.1, 0.3, 1.7])).tolist() == pytest.approx([0.0, 0.3, 1.0])


def test_byte_sensor_reports_whole_steps_through_its_response() -> None:
    model = IntensityModel(gamma=2.0, gain=2.0, scale=255.0, integer=True)
    # 2 * 0.5**2 = 0.5 -> 127.5 -> 128; 2 * 0.2**2 = 0.08 -> 20.4 -> 20; 2 * 0.9**2 > 1 -> 255
    assert model.report(np.array([0.5, 0.2, 0.9, 0.0])).tolist() == [128.0, 20.0, 255.0, 0.0]
    assert model.intensity(0.5, 1.0, 0.0) == 128.0


def test_presets_report_in_their_datasets_scale() -> None:
    kitti, argoverse = sensor_preset("hdl64e").intensity, sensor_preset("vlp32c").intensity
    strengths = np.linspace(0.0, 1.0, 101)
    assert kitti.report(strengths).max() <= 1.0 and not kitti.integer
    reported = argoverse.report(strengths)
    assert reported.max() == 255.0 and np.array_equal(reported, np.round(reported))
    assert np.all(np.diff(kitti.report(strengths)) >= 0) and np.all(np.diff(reported) >= 0)  # monotonic


@pytest.mark.parametrize(
    "changes", [{"ambient": 1.5}, {"gamma": 0.0}, {"scale": -1.0}, {"noise": -0.1}, {"weak_loss": 2.0}]
)
def test_bad_parameters_are_refused(changes: dict) -> None:
    with pytest.raises(ValueError):
        IntensityModel(**changes)
