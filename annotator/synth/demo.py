"""The demo project: a generated sequence written as a KITTI dataset, and a project over its frames.

Layout of a demo directory ``DIR``::

    DIR/annotator.sqlite            the project (frames only: nothing is annotated yet)
    DIR/data/velodyne/000000.bin    point clouds, images, calibration (KITTI layout)
    DIR/data/image_2/000000.png
    DIR/data/calib/000000.txt
    DIR/data/label_2/000000.txt     ground truth in KITTI's camera convention
    DIR/data/ground_truth.json      exact ground truth (9-DoF LiDAR-frame cuboids, tracks, 2D boxes)

The ground truth stays apart from the project's annotations so that it can serve as an oracle
(evaluation, simulated annotators); `load_demo_ground_truth` reads it back by frame name.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from annotator.io.errors import ProjectError
from annotator.io.importers import apply_dataset, read_source
from annotator.io.store import DATABASE_NAME
from annotator.io.workspace import Workspace
from annotator.synth.ground_truth import GroundTruthObject
from annotator.synth.scene import SceneConfig
from annotator.synth.writer import load_ground_truth, write_kitti_dataset

logger = logging.getLogger(__name__)

DATA_FOLDER = "data"
GROUND_TRUTH_FILE = "ground_truth.json"
DEFAULT_FRAMES = 10


@dataclass(frozen=True)
class DemoProject:
    """What `create_demo_project` made: where, how many frames and objects, and how long it took."""

    root: Path
    frames: int
    objects: int
    seconds: float


def is_project(directory: Path) -> bool:
    """Whether ``directory`` already holds a project."""
    return (directory / DATABASE_NAME).is_file()


def create_demo_project(directory: str | Path, frames: int = DEFAULT_FRAMES, seed: int = 0) -> DemoProject:
    """Generate ``frames`` frames (seed ``seed``) into ``directory``/data and create a project over them.

    ``directory`` must be new or empty. The frames are registered with their clouds, images and
    calibration (paths relative to the project) and timestamps; no annotation is added.
    """
    if frames < 1:
        raise ValueError(f"a demo needs at least one frame, got {frames}")
    root = Path(directory)
    if root.exists() and any(root.iterdir()):
        raise ProjectError(f"{root}: not empty and not a project: choose a new or empty directory")
    started = time.perf_counter()
    data = root / DATA_FOLDER
    write_kitti_dataset(SceneConfig(seed=seed, n_frames=frames), data)
    truth = load_ground_truth(data / GROUND_TRUTH_FILE)
    timestamps = _timestamps(data / GROUND_TRUTH_FILE)
    dataset = read_source("kitti", data)
    for frame in dataset.frames:  # the labels are the oracle's, not the annotator's
        frame.objects.clear()
        frame.meta.get("kitti", {}).pop("dontcare", None)
        frame.timestamp = timestamps.get(frame.name)
    dataset.problems.clear()
    with Workspace.create(root) as workspace:
        apply_dataset(workspace, dataset)
    objects = sum(len(found) for found in truth.values())
    seconds = time.perf_counter() - started
    logger.info("demo project %s: %d frames, %d objects in %.1f s", root, frames, objects, seconds)
    return DemoProject(root, frames, objects, seconds)


def _timestamps(path: Path) -> dict[str, float]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return {record["name"]: float(record["timestamp"]) for record in document["frames"]}


def ground_truth_path(project_dir: str | Path) -> Path:
    """Where a demo project keeps its exact ground truth."""
    return Path(project_dir) / DATA_FOLDER / GROUND_TRUTH_FILE


def load_demo_ground_truth(project_dir: str | Path) -> dict[str, list[GroundTruthObject]]:
    """The ground-truth objects per frame name of a demo project.

    Raises `ProjectError` when the project has no generated ground truth.
    """
    path = ground_truth_path(project_dir)
    if not path.is_file():
        raise ProjectError(f"{project_dir}: no generated ground truth ({path} is missing)")
    return load_ground_truth(path)
