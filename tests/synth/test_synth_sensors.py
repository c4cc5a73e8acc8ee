"""LiDAR presets of real sensors: elevation tables, mounting, frame conventions, rolling shutter."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from annotator.synth import CameraConfig, LidarConfig, SceneConfig, iter_frames, sensor_preset, sensor_presets
from annotator.synth.scene import Scene


def degrees(config: LidarConfig) -> np.ndarray:
    return np.degrees(config.elevations())


def test_the_four_required_sensors_are_presets() -> None:
    assert {"hdl64e", "vlp32c", "pandar128", "vlp16"} <= set(sensor_presets())
    assert sensor_preset(" HDL64E ").name == "hdl64e"
    with pytest.raises(ValueError, match=r"unknown LiDAR preset .hdl32.*vlp16"):
        sensor_preset("hdl32")


def test_hdl64e_is_kittis_sensor() -> None:
    config = sensor_preset("hdl64e")
    angles = degrees(config)
    assert config.beams == 64 and len(angles) == 64
    assert angles[0] == pytest.approx(-24.8) and angles[-1] == pytest.approx(2.0)
    steps = np.diff(angles)
    assert np.all(steps > 0)
    assert np.median(steps[32:]) == pytest.approx(1 / 3, abs=0.01)  # upper block
    assert np.median(steps[:31]) == pytest.approx(0.515, abs=0.01)  # lower block
    assert config.height == 1.73 and config.frame == "sensor"
    assert config.intensity.scale == 1.0 and not config.intensity.integer  # reflectance 0..1


def test_vlp32c_is_argoverses_two_stacked_sensors() -> None:
    config = sensor_preset("vlp32c")
    table = np.array(config.elevation_table)
    assert config.beams == 32 and len(table) == 32
    assert table.min() == -25.0 and table.max() == 15.0
    assert np.diff(table).min() == pytest.approx(0.333, abs=0.001) and np.diff(table).max() > 4  # non-uniform
    angles = degrees(config)
    assert len(angles) == 64 and angles[0] == -25.0 and angles[-1] == 25.0  # the upside-down head mirrors
    offsets = config.beam_offsets()
    assert offsets is not None and offsets.shape == (64 * config.columns, 3)
    assert np.count_nonzero(offsets[:, 2]) == 32 * config.columns  # one head sits stack_gap lower
    assert config.frame == "ego" and config.intensity.scale == 255.0 and config.intensity.integer


@pytest.mark.parametrize(
    ("name", "beams", "low", "high"), [("pandar128", 128, -25, 15), ("vlp16", 16, -15, 15)]
)
def test_other_presets_have_their_beam_counts_and_fields(
    name: str, beams: int, low: float, high: float
) -> None:
    angles = degrees(sensor_preset(name))
    assert len(angles) == beams and np.all(np.diff(angles) > 0)
    assert angles[0] == pytest.approx(low) and angles[-1] == pytest.approx(high)


def test_pandar128_is_finest_near_the_horizon() -> None:
    steps = np.diff(degrees(sensor_preset("pandar128")))
    assert steps.min() == pytest.approx(0.125, abs=1e-3) and steps.max() > 0.5


def test_vlp16_beams_are_two_degrees_apart() -> None:
    assert np.diff(degrees(sensor_preset("vlp16"))) == pytest.approx(np.full(15, 2.0))


def test_a_table_must_match_the_beam_count() -> None:
    with pytest.raises(ValueError, match="3 angles for 4 beams"):
        LidarConfig(beams=4, elevation_table=(-1.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="frame"):
        LidarConfig(frame="camera")


def small(name: str, **changes: object) -> LidarConfig:
    """A preset with coarse columns (fast tests; geometry unchanged)."""
    return replace(sensor_preset(name), azimuth_step=1.0, **changes)


def near_ground_z(points: np.ndarray) -> float:
    near = points[np.hypot(points[:, 0], points[:, 1]) < 10.0]
    return float(np.percentile(near[:, 2], 10))


def test_kitti_points_are_in_the_sensor_frame_and_argoverse_points_in_the_ego_frame() -> None:
    kitti = next(iter_frames(SceneConfig(seed=3, n_frames=1, lidar=small("hdl64e")), render_images=False))
    argo = next(iter_frames(SceneConfig(seed=3, n_frames=1, lidar=small("vlp32c")), render_images=False))
    assert near_ground_z(kitti.points) == pytest.approx(-1.73, abs=0.15)
    assert near_ground_z(argo.points) == pytest.approx(-0.33, abs=0.15)
    assert argo.points[:, 3].max() > 1.0 and np.all(argo.points[:, 3] == np.round(argo.points[:, 3]))
    for frame in (kitti, argo):  # labels follow the points' frame: objects stand on the ground there
        bottoms = [o.cuboid.center[2] - o.cuboid.size[2] / 2 for o in frame.objects if o.num_points >= 20]
        assert np.median(bottoms) == pytest.approx(near_ground_z(frame.points), abs=0.2)


def test_ego_frame_keeps_the_camera_on_the_same_pixels() -> None:
    base = SceneConfig(seed=4, n_frames=1, object_range=30.0, camera=CameraConfig(render_scale=0.2))
    sensor = next(iter_frames(replace(base, lidar=small("hdl64e", spin_period=0.0))))
    ego = small("hdl64e", spin_period=0.0, frame="ego", mount_x=1.2, ego_height=0.3)
    moved = next(iter_frames(replace(base, lidar=ego)))
    assert np.array_equal(sensor.image, moved.image)
    offset = ego.mount().astype(np.float32)
    assert moved.points[:, :3] == pytest.approx(sensor.points[:, :3] + offset, abs=1e-4)


def test_rolling_shutter_smears_the_sweep_by_the_ego_motion() -> None:
    still = small("vlp16", spin_period=0.0, range_noise=0.0, dropout=0.0)
    config = SceneConfig(seed=5, n_frames=1, ego_speed=10.0, noise=0.0, lidar=still)
    scene = Scene(config)
    velocity = scene.state(0).ego_velocity
    assert velocity[0] == pytest.approx(10.0, abs=0.05)  # along the street, following the ground
    times = replace(still, spin_period=0.1).fire_times()
    azimuth = np.arange(still.columns) * math.radians(still.azimuth_step)
    assert times[0] == 0.0 and times[np.argmin(np.abs(azimuth - math.pi / 2))] == pytest.approx(-0.025)
    assert times.min() >= -0.05 and times.max() <= 0.05
    instant = next(iter_frames(config, render_images=False)).points
    spun = next(
        iter_frames(replace(config, lidar=replace(still, spin_period=0.1)), render_images=False)
    ).points
    assert len(spun) != len(instant) or not np.array_equal(spun, instant)
    # straight behind the car the seam shows the 1 m the car drove in the sweep (-0.05 s and +0.05 s)
    behind = np.abs(np.arctan2(spun[:, 1], -spun[:, 0])) < math.radians(1.5)
    ground_behind = spun[behind & (spun[:, 2] < -1.5)]
    assert len(ground_behind) > 4


def test_same_preset_and_seed_give_the_same_bytes() -> None:
    config = SceneConfig(seed=6, n_frames=1, object_range=30.0, lidar=small("vlp32c"))
    first = next(iter_frames(config, render_images=False))
    again = next(iter_frames(config, render_images=False))
    assert first.points.tobytes() == again.points.tobytes()
    other = next(iter_frames(replace(config, seed=7), render_images=False))
    assert first.points.tobytes() != other.points.tobytes()
