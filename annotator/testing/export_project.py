"""A generated project with everything an export writes: clouds, two cameras' images, one calibration,
ego poses, timestamps, tracks (one with a source id), cuboids and 2D boxes, reviewed and unreviewed.

Used by the export tests (every format, serial against Ray) and ``benchmarks/ray_batch.py --export``.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np

from annotator.core.box2d import Box2D
from annotator.core.camera import CameraCalibration
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames, AddTrack
from annotator.core.model.records import Annotation, Frame, Provenance, Review, Source
from annotator.core.pose import Pose
from annotator.io.workspace import Workspace

logger = logging.getLogger(__name__)

#: The calibrated camera (KITTI's name, so a KITTI export picks it) and an uncalibrated one.
CALIBRATED, PLAIN = "image_2", "front"
#: Image sizes (width, height) of the two cameras.
IMAGE_SIZES = {CALIBRATED: (96, 32), PLAIN: (40, 30)}
#: Tracks: class, source id (None: none) and where it starts (x, y).
TRACKS = (("Car", "car-7", (8.0, -2.0)), ("Pedestrian", None, (6.0, 3.0)), ("Cyclist", None, (12.0, 1.0)))
SIZES = {"Car": (4.2, 1.8, 1.5), "Pedestrian": (0.6, 0.6, 1.7), "Cyclist": (1.8, 0.6, 1.7)}
MODEL = Provenance(Source.MODEL, "example-model", "1", 0.75)


def camera(width: int, height: int) -> CameraCalibration:
    """A forward-looking camera (x right, y down, z forward from LiDAR x forward, y left, z up)."""
    extrinsic = np.eye(4)
    extrinsic[:3, :3] = [[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]]
    extrinsic[:3, 3] = (0.0, -0.1, -0.3)
    focal = width / 2.0
    projection = [[focal, 0.0, width / 2, 0.0], [0.0, focal, height / 2, 0.0], [0.0, 0.0, 1.0, 0.0]]
    return CameraCalibration(CALIBRATED, projection, extrinsic, width, height)


def write_png(path: Path, size: tuple[int, int], shade: int) -> None:
    """A small grey PNG."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (shade, shade, shade)).save(path)


def frame_record(root: Path, index: int, points: int, rng: np.random.Generator) -> Frame:
    """Frame ``index``: its cloud and images written under ``root``, a pose, a timestamp, a calibration."""
    name = f"{index:06d}"
    cloud = rng.uniform(-20, 20, (points, 4)).astype(np.float32)
    cloud.tofile(root / f"{name}.bin")
    images = {}
    for camera_name, size in IMAGE_SIZES.items():
        images[camera_name] = f"{camera_name}/{name}.png"
        write_png(root / images[camera_name], size, index % 256)
    yaw = 0.05 * index
    pose = Pose((math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)), (1.5 * index, 0.2 * index, 0.1))
    return Frame(
        0,
        name,
        index,
        cloud=f"{name}.bin",
        images=images,
        cameras={CALIBRATED: camera(*IMAGE_SIZES[CALIBRATED])},
        timestamp=1000.0 + 0.1 * index,
        pose=pose,
    )


def frame_annotations(frame_id: int, index: int, tracks: list[int]) -> list[Annotation]:
    """Per track a cuboid moving along x and a 2D box; an unreviewed proposal on odd frames."""
    annotations = []
    for position, ((class_name, _source, (x, y)), track) in enumerate(zip(TRACKS, tracks, strict=True)):
        cuboid = Cuboid((x + 0.5 * index, y, -0.8), SIZES[class_name], 0.1 * position - 0.02 * index)
        annotations.append(Annotation(0, frame_id, class_name, track, cuboid=cuboid))
        left = 4.0 + 20 * position + index % 5
        box = Box2D(left, 6.0, left + 12.5, 20.25)
        camera_name = PLAIN if position == 2 else CALIBRATED
        annotations.append(Annotation(0, frame_id, class_name, track, box2d=box, camera=camera_name))
    if index % 2:
        proposal = Cuboid((20.0 - index, -6.0, -0.9), SIZES["Car"], 0.3)
        annotations.append(
            Annotation(0, frame_id, "Car", cuboid=proposal, provenance=MODEL, review=Review.UNREVIEWED)
        )
        box = Box2D(60.0, 2.0, 90.0, 30.0)
        annotations.append(
            Annotation(
                0, frame_id, "Car", box2d=box, camera=CALIBRATED, provenance=MODEL, review=Review.UNREVIEWED
            )
        )
    return annotations


def labelled_project(root: Path, frames: int, points: int = 200, seed: int = 0) -> Path:
    """Create a project of ``frames`` labelled frames in ``root`` (new or empty); ``root``."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    with Workspace.create(root) as workspace:
        added = workspace.push(AddFrames([frame_record(root, i, points, rng) for i in range(frames)]))
        tracks = []
        for class_name, source, _start in TRACKS:
            track = workspace.push(AddTrack(class_name, {"source_id": source} if source else None))
            tracks.append(track.id)
        annotations = [
            annotation
            for index, frame_id in enumerate(added.ids)
            for annotation in frame_annotations(frame_id, index, tracks)
        ]
        workspace.push(AddAnnotations(annotations))
    return root
