"""Generate a sequence of frames (LiDAR sweep, camera image, calibration, ground truth) from a config."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from annotator.core.camera import CameraCalibration
from annotator.io.kitti import KittiCalibration
from annotator.synth.camera import make_calibration, render
from annotator.synth.ground_truth import GroundTruthObject, ground_truth
from annotator.synth.lidar import scan
from annotator.synth.scene import Scene, SceneConfig

logger = logging.getLogger(__name__)


@dataclass
class Frame:
    """One generated frame. ``points``: (N, 4) float32 x, y, z, intensity in the LiDAR frame; ``image``:
    (H, W, 3) uint8 RGB; ``lidar_pose``: 4x4 world-from-LiDAR (the ego's odometry). The LiDAR frame is the
    sensor's or the ego car's, as ``SceneConfig.lidar.frame`` says; cuboids and calibration use the same."""

    index: int
    timestamp: float
    points: np.ndarray
    image: np.ndarray
    calibration: CameraCalibration
    kitti_calibration: KittiCalibration
    objects: list[GroundTruthObject]
    lidar_pose: np.ndarray


@dataclass
class Sequence:
    """Frames generated from one config."""

    config: SceneConfig
    frames: list[Frame]

    def __len__(self) -> int:
        return len(self.frames)

    def __iter__(self) -> Iterator[Frame]:
        return iter(self.frames)

    def __getitem__(self, index: int) -> Frame:
        return self.frames[index]


def iter_frames(config: SceneConfig, render_images: bool = True) -> Iterator[Frame]:
    """Generate the frames of ``config`` one by one (same config, same frames; nothing is cached)."""
    scene = Scene(config)
    rng = np.random.default_rng([config.seed, 1])
    kitti = make_calibration(config.camera, rng, config.lidar.mount())
    camera = kitti.camera("P2", config.camera.width, config.camera.height)
    for index in range(config.n_frames):
        frame_rng = np.random.default_rng([config.seed, 2, index])
        state = scene.state(index)
        sweep = scan(state, scene.ground, config.lidar, config.noise, frame_rng)
        if render_images:
            image = render(state, scene.ground, camera, config.camera)
        else:
            image = np.zeros((camera.height, camera.width, 3), dtype=np.uint8)
        objects = ground_truth(state, sweep, camera)
        logger.debug("frame %d: %d points, %d objects", index, len(sweep.points), len(objects))
        yield Frame(index, state.time, sweep.points, image, camera, kitti, objects, state.lidar_pose)


def generate_sequence(config: SceneConfig | None = None, render_images: bool = True) -> Sequence:
    """All frames of ``config`` (default: `SceneConfig()`) in memory."""
    config = config or SceneConfig()
    return Sequence(config, list(iter_frames(config, render_images)))
