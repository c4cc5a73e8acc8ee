"""LiDAR presets of real sensors as the public datasets mount them (elevation tables, mounting, intensity).

- ``hdl64e``: Velodyne HDL-64E S2 on KITTI: 64 beams, +2 .. -24.8 deg (upper block of 32 at about 1/3 deg,
  lower block of 32 at about 1/2 deg), 1.73 m above ground, points in the sensor frame, reflectance 0..1.
- ``vlp32c``: Argoverse 1's roof rig: two VLP-32C (32 beams, +15 .. -25 deg, non-uniform), one of them
  mounted upside down 0.11 m below the other, fired together; points in the ego frame (origin at the rear axle, 0.33 m above the
  ground, the sensors 1.35 m ahead of it), intensity 0..255.
- ``pandar128``: a 128-beam sensor (Hesai Pandar128-like): +15 .. -25 deg, 0.125 deg between -6 and +2
  deg, 1.9 m above ground, sensor frame, intensity 0..255.
- ``pandar40``: Hesai Pandar40 as in SUSTechPOINTS: 40 beams, +7 .. -16 deg (1/3 deg between -6 and +2),
  a generic 2 m mount (not measured on those frames), sensor frame, intensity 0..255.
- ``vlp16``: Velodyne VLP-16 (Puck): 16 beams every 2 deg over +-15 deg, 1.8 m above ground, sensor
  frame, intensity 0..255.

The intensity models' response curves were set so the generated intensity histograms approach the real
ones (see ``benchmarks/synth_vs_real.py``, tuned on Argoverse sweeps 0-29 and KITTI 000000).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from annotator.synth.intensity import IntensityModel
from annotator.synth.lidar import LidarConfig

logger = logging.getLogger(__name__)

#: Velodyne VLP-32C laser elevations (deg), from its user manual, ascending.
VLP32C_TABLE = (
    -25.0, -15.639, -11.31, -8.843, -7.254, -6.148, -5.333, -4.667, -4.0, -3.667, -3.333, -3.0, -2.667,
    -2.333, -2.0, -1.667, -1.333, -1.0, -0.667, -0.333, 0.0, 0.333, 0.667, 1.0, 1.333, 1.667, 2.333,
    3.333, 4.667, 7.0, 10.333, 15.0,
)  # fmt: skip


def _round(values: np.ndarray) -> tuple[float, ...]:
    return tuple(round(float(v), 3) for v in values)


def hdl64e_table() -> tuple[float, ...]:
    """HDL-64E elevations (deg), ascending: 32 lower lasers -24.8 .. -8.83, 32 upper -8.33 .. +2."""
    lower = np.linspace(-24.8, -8.833, 32)
    upper = np.linspace(-8.333, 2.0, 32)
    return _round(np.concatenate([lower, upper]))


def vlp16_table() -> tuple[float, ...]:
    """VLP-16 elevations (deg), ascending: every 2 deg from -15 to +15."""
    return _round(np.arange(-15.0, 16.0, 2.0))


def pandar40_table() -> tuple[float, ...]:
    """Hesai Pandar40 elevations (deg), ascending: -16 .. -7 every 1, -6 .. +2 every 1/3, +3 .. +7 every 1."""
    return _round(
        np.concatenate([np.arange(-16.0, -6.5, 1.0), np.linspace(-6.0, 2.0, 25), np.arange(3.0, 7.5, 1.0)])
    )


def pandar128_table() -> tuple[float, ...]:
    """128 elevations (deg), ascending: 64 every 0.125 deg from -6 to +1.875, widening towards both ends."""
    fine = np.arange(64) * 0.125 - 6.0
    steps_below = np.cumsum(np.linspace(0.25, 1.0, 36))
    below = -6.0 - 19.0 * steps_below / steps_below[-1]  # down to -25
    steps_above = np.cumsum(np.linspace(0.25, 0.75, 28))
    above = 1.875 + 13.125 * steps_above / steps_above[-1]  # up to +15
    return _round(np.sort(np.concatenate([below, fine, above])))


def hdl64e() -> LidarConfig:
    """KITTI's Velodyne HDL-64E: sensor frame, reflectance 0..1."""
    return LidarConfig(
        beams=64,
        fov_up=2.0,
        fov_down=-24.8,
        azimuth_step=0.17,
        max_range=120.0,
        min_range=2.5,
        height=1.73,
        range_noise=0.02,
        dropout=0.03,
        elevation_table=hdl64e_table(),
        intensity=IntensityModel(ambient=0.3, gamma=0.55, gain=0.95, noise=0.02),
        spin_period=0.1,
        name="hdl64e",
    )


def vlp32c() -> LidarConfig:
    """Argoverse 1's two stacked VLP-32C (one upside down): ego frame, intensity 0..255."""
    return LidarConfig(
        beams=32,
        fov_up=15.0,
        fov_down=-25.0,
        azimuth_step=0.2,
        max_range=200.0,
        min_range=1.0,
        height=1.93,
        range_noise=0.03,
        dropout=0.03,
        elevation_table=VLP32C_TABLE,
        stacked=True,
        stack_gap=0.11,
        intensity=IntensityModel(ambient=0.2, gamma=1.6, gain=1.2, scale=255.0, integer=True, noise=0.01),
        spin_period=0.1,
        frame="ego",
        mount_x=1.35,
        ego_height=0.33,
        name="vlp32c",
    )


def pandar128() -> LidarConfig:
    """A 128-beam sensor (Hesai Pandar128-like): sensor frame, intensity 0..255."""
    return LidarConfig(
        beams=128,
        fov_up=15.0,
        fov_down=-25.0,
        azimuth_step=0.2,
        max_range=200.0,
        min_range=0.5,
        height=1.9,
        range_noise=0.02,
        dropout=0.02,
        elevation_table=pandar128_table(),
        intensity=IntensityModel(ambient=0.2, gamma=1.3, gain=1.2, scale=255.0, integer=True),
        spin_period=0.1,
        name="pandar128",
    )


def pandar40() -> LidarConfig:
    """Hesai Pandar40 (the SUSTechPOINTS sensor): sensor frame, intensity 0..255, a generic 2 m mount."""
    return LidarConfig(
        beams=40,
        fov_up=7.0,
        fov_down=-16.0,
        azimuth_step=0.2,
        max_range=200.0,
        min_range=0.3,
        height=2.0,
        range_noise=0.02,
        dropout=0.02,
        elevation_table=pandar40_table(),
        intensity=IntensityModel(ambient=0.2, gamma=1.3, gain=1.2, scale=255.0, integer=True),
        spin_period=0.1,
        name="pandar40",
    )


def vlp16() -> LidarConfig:
    """Velodyne VLP-16: sensor frame, intensity 0..255."""
    return LidarConfig(
        beams=16,
        fov_up=15.0,
        fov_down=-15.0,
        azimuth_step=0.2,
        max_range=100.0,
        min_range=0.5,
        height=1.8,
        range_noise=0.03,
        dropout=0.02,
        elevation_table=vlp16_table(),
        intensity=IntensityModel(ambient=0.2, gamma=1.3, gain=1.2, scale=255.0, integer=True),
        spin_period=0.1,
        name="vlp16",
    )


PRESETS: dict[str, Callable[[], LidarConfig]] = {
    "hdl64e": hdl64e,
    "vlp32c": vlp32c,
    "pandar128": pandar128,
    "vlp16": vlp16,
    "pandar40": pandar40,
}


def sensor_presets() -> tuple[str, ...]:
    """Names of the LiDAR presets, for `sensor_preset`."""
    return tuple(PRESETS)


def sensor_preset(name: str) -> LidarConfig:
    """The `LidarConfig` of a real sensor by preset name (see `sensor_presets`); ValueError when unknown."""
    maker = PRESETS.get(name.strip().lower())
    if maker is None:
        raise ValueError(f"unknown LiDAR preset {name!r}; known: {', '.join(PRESETS)}")
    return maker()
