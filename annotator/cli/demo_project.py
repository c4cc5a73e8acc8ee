"""Make the demo project: the generator writes a dataset under ``DIR/data``, a project is made over its frames.

The dataset's reference labels (``DIR/data/ground_truth.json``) stay apart from the project's annotations so
that they serve as an oracle; nothing is annotated in the new project.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from annotator.io.errors import ProjectError
from annotator.io.importers import apply_dataset, read_source
from annotator.io.reference_labels import read_reference_labels
from annotator.io.store import DATABASE_NAME
from annotator.io.workspace import Workspace
from annotator.synth.demo import DATA_FOLDER, DEFAULT_FRAMES, write_demo_dataset

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_FRAMES", "DemoProject", "create_demo_project", "is_project"]


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
    reference = read_reference_labels(write_demo_dataset(data, frames, seed))
    dataset = read_source("kitti", data)
    for frame in dataset.frames:  # the labels are the oracle's, not the annotator's
        frame.objects.clear()
        frame.meta.get("kitti", {}).pop("dontcare", None)
        frame.timestamp = reference.timestamps.get(frame.name)
    dataset.problems.clear()
    with Workspace.create(root) as workspace:
        apply_dataset(workspace, dataset)
    objects = sum(len(found) for found in reference.frames.values())
    seconds = time.perf_counter() - started
    logger.info("demo project %s: %d frames, %d objects in %.1f s", root, frames, objects, seconds)
    return DemoProject(root, frames, objects, seconds)
