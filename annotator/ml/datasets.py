"""What a training run learns from and is measured on: labelled frames from a project, split in two.

Labels come either from the annotations a human confirmed (``verified``) or, in a generated demo
project, from the generator's exact ground truth (``ground-truth``). The held-apart frames are a block
at the end of the sequence, not a random draw, so that the neighbours of a training frame (nearly the
same scene a fraction of a second later) do not leak into the measurement.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from annotator.core.model.project import Project
from annotator.core.model.records import Frame
from annotator.io.reference_labels import LOCATIONS, project_reference_labels
from annotator.ml.preannotate import frame_input
from annotator.ml.protocol import Detections, LabelledFrame
from annotator.ml.quality import HeldApartFrame
from annotator.ml.registry import PluginError
from annotator.ml.training import labelled_frames

logger = logging.getLogger(__name__)

LABEL_SOURCES = ("verified", "ground-truth")
#: Generated objects with fewer LiDAR points are "don't care" when measuring (the benchmarks' rule); in
#: training every object with a point on it is a target.
MIN_POINTS_MEASURED = 10
#: Generated image boxes lower than this (pixels) or largely occluded are "don't care" in 2D.
MIN_BOX_HEIGHT = 12.0
TRUTH_VERSION = "ground-truth"


def split_frames(frames: Sequence[Frame], validation_share: float) -> tuple[list[Frame], list[Frame]]:
    """Training frames and held-apart frames: the last ``validation_share`` of the sequence.

    With a share above 0 at least one frame is held apart and at least one is left for training.
    """
    if not 0.0 <= validation_share < 1.0:
        raise PluginError(f"validation share must be in [0, 1), got {validation_share:g}")
    ordered = sorted(frames, key=lambda f: (f.index, f.id))
    if validation_share == 0.0:
        return ordered, []
    if len(ordered) < 2:
        raise PluginError(
            f"{len(ordered)} frame selected: holding frames apart for the quality needs at least 2 "
            "(or --validation-share 0)"
        )
    held = min(len(ordered) - 1, max(1, math.ceil(len(ordered) * validation_share)))
    return ordered[:-held], ordered[-held:]


def project_labels(
    project: Project, frames: Sequence[Frame], class_names: Sequence[str], task: str
) -> list[HeldApartFrame]:
    """The frames' human-confirmed labels (nothing to ignore)."""
    return [
        HeldApartFrame(f, _empty_ignore(task)) for f in labelled_frames(project, frames, class_names, task)
    ]


def ground_truth_labels(
    project: Project, frames: Sequence[Frame], class_names: Sequence[str], task: str, min_points: int = 1
) -> list[HeldApartFrame]:
    """The project's reference labels of its frames (matched by frame name, see
    `annotator.io.reference_labels`); 3D objects with fewer than ``min_points`` LiDAR points on them become
    "don't care" boxes."""
    if project.root is None:
        raise PluginError("ground-truth labels need a project directory with reference labels")
    reference = project_reference_labels(project.root)
    if reference is None:
        raise PluginError(f"{project.root}: no reference labels ({' or '.join(LOCATIONS)} is missing)")
    truth = reference.frames
    missing = [f.name for f in frames if f.name not in truth]
    if missing:
        raise PluginError(
            f"{reference.path}: no reference labels for frame(s) {', '.join(missing[:5])}"
            + (" ..." if len(missing) > 5 else "")
        )
    index = {name: i for i, name in enumerate(class_names)}
    result = []
    for frame in frames:
        inputs = frame_input(project, frame, task)
        objects = [o for o in truth[frame.name] if o.label in index]
        if task == "detect3d":
            kept = [o for o in objects if o.num_points >= min_points]
            ignored = [o for o in truth[frame.name] if o.label not in index or o.num_points < min_points]
            targets = _detections(
                [o.cuboid.to_array(nine_dof=False) for o in kept], [index[o.label] for o in kept], class_names
            )
            ignore = np.array([o.cuboid.to_array(nine_dof=False) for o in ignored]).reshape(-1, 7)
            result.append(HeldApartFrame(LabelledFrame(inputs, targets), ignore))
            continue
        boxed = [o for o in truth[frame.name] if o.box2d is not None]
        kept = [o for o in boxed if o.label in index and _visible_enough(o)]
        ignored = [o for o in boxed if o.label not in index or not _visible_enough(o)]
        for camera in inputs.images:  # a demo frame has one camera: the ground truth's boxes are in it
            targets = _detections(
                [o.box2d.to_array() for o in kept], [index[o.label] for o in kept], class_names, camera
            )
            ignore = np.array([o.box2d.to_array() for o in ignored]).reshape(-1, 4)
            result.append(HeldApartFrame(LabelledFrame(inputs, targets), ignore))
    return result


def load_labels(
    project: Project,
    frames: Sequence[Frame],
    class_names: Sequence[str],
    task: str,
    source: str,
    measuring: bool = False,
) -> list[HeldApartFrame]:
    """Labelled frames from ``source`` (`LABEL_SOURCES`) for training, or for ``measuring`` quality.

    Frames without any confirmed label are left out.
    """
    if source == "verified":
        return project_labels(project, frames, class_names, task)
    if source == "ground-truth":
        least = MIN_POINTS_MEASURED if measuring else 1
        return ground_truth_labels(project, frames, class_names, task, least)
    raise PluginError(f"unknown label source {source!r} (choose from {', '.join(LABEL_SOURCES)})")


def _visible_enough(obj: Any) -> bool:
    return obj.box2d.height >= MIN_BOX_HEIGHT and obj.occlusion <= 1


def _detections(
    boxes: list[np.ndarray], labels: list[int], class_names: Sequence[str], camera: str | None = None
) -> Detections:
    width = 7 if camera is None else 4
    return Detections(
        np.array(boxes).reshape(-1, width),
        labels,
        np.ones(len(labels)),
        tuple(class_names),
        TRUTH_VERSION,
        camera=camera,
    )


def _empty_ignore(task: str) -> np.ndarray:
    return np.zeros((0, 7 if task == "detect3d" else 4))
