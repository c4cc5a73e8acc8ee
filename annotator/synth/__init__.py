"""Generated street scenes: a simulated LiDAR sweep and camera image per frame with exact ground truth.

Nothing is downloaded: `generate_sequence` builds everything from a `SceneConfig` (same seed, same
bytes), and `write_kitti_dataset` writes it in KITTI's layout plus a ``ground_truth.json`` oracle.
"""

from __future__ import annotations

from annotator.synth.actors import DEFAULT_CLASSES, OOD_CLASSES
from annotator.synth.camera import CameraConfig
from annotator.synth.ground_truth import GroundTruthObject
from annotator.synth.intensity import IntensityModel
from annotator.synth.lidar import LidarConfig
from annotator.synth.scene import SceneConfig
from annotator.synth.sensors import sensor_preset, sensor_presets
from annotator.synth.sequence import Frame, Sequence, generate_sequence, iter_frames
from annotator.synth.writer import load_ground_truth, write_kitti_dataset

__all__ = [
    "DEFAULT_CLASSES",
    "OOD_CLASSES",
    "CameraConfig",
    "Frame",
    "GroundTruthObject",
    "IntensityModel",
    "LidarConfig",
    "SceneConfig",
    "Sequence",
    "generate_sequence",
    "iter_frames",
    "load_ground_truth",
    "sensor_preset",
    "sensor_presets",
    "write_kitti_dataset",
]
