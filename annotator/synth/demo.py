"""The demo dataset: a generated sequence written as a KITTI dataset with its reference labels.

Layout of a demo dataset folder ``DATA`` (a demo project keeps it at ``DIR/data``)::

    DATA/velodyne/000000.bin    point clouds, images, calibration (KITTI layout)
    DATA/image_2/000000.png
    DATA/calib/000000.txt
    DATA/label_2/000000.txt     ground truth in KITTI's camera convention
    DATA/ground_truth.json      reference labels (`annotator.io.reference_labels`): exact 9-DoF LiDAR-frame
                                cuboids, tracks, 2D boxes, timestamps

The generator's job ends here: making a project over the dataset belongs to the entry points
(`annotator.cli.demo_project`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from annotator.synth.scene import SceneConfig
from annotator.synth.writer import write_kitti_dataset

logger = logging.getLogger(__name__)

DATA_FOLDER = "data"
GROUND_TRUTH_FILE = "ground_truth.json"
DEFAULT_FRAMES = 10


def write_demo_dataset(data_dir: str | Path, frames: int = DEFAULT_FRAMES, seed: int = 0) -> Path:
    """Generate ``frames`` frames (seed ``seed``) into ``data_dir``; returns the reference-labels file."""
    if frames < 1:
        raise ValueError(f"a demo needs at least one frame, got {frames}")
    data = Path(data_dir)
    write_kitti_dataset(SceneConfig(seed=seed, n_frames=frames), data)
    return data / GROUND_TRUTH_FILE
