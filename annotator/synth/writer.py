"""Write generated sequences as KITTI-layout datasets, plus the full ground truth as JSON.

Layout under the output folder: ``velodyne/NNNNNN.bin`` (float32 x, y, z, intensity), ``image_2/NNNNNN.png``,
``calib/NNNNNN.txt``, ``label_2/NNNNNN.txt`` (objects seen in the image, KITTI camera convention; those
with too few LiDAR points as ``DontCare`` regions), and ``ground_truth.json``: reference labels
(`annotator.io.reference_labels`) with every object of every frame
in the LiDAR frame (9-DoF cuboids, track ids, point counts, occlusion, truncation, 2D boxes, velocities) plus
the generator's config and the LiDAR poses, for use as an oracle.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from annotator.io.kitti import KittiObject, dont_care, format_calib, format_label_line, kitti_from_cuboid
from annotator.io.reference_labels import read_reference_labels, write_reference_labels
from annotator.synth.ground_truth import GroundTruthObject
from annotator.synth.scene import SceneConfig
from annotator.synth.sequence import Frame, Sequence, iter_frames

logger = logging.getLogger(__name__)

#: Names the generator in the reference labels it writes.
GENERATOR = "annotator-synth"


def frame_name(index: int) -> str:
    """KITTI file stem of frame ``index`` (``000042``)."""
    return f"{index:06d}"


def kitti_labels(frame: Frame, min_points: int = 5) -> list[KittiObject]:
    """KITTI labels of the objects of ``frame`` that show in the image.

    Objects with fewer than ``min_points`` LiDAR points inside become ``DontCare`` regions, as in KITTI
    (too hard to label, ignored in evaluation).
    """
    camera = frame.calibration
    labels = []
    for obj in frame.objects:
        if obj.box2d is None:
            continue
        bbox = tuple(float(v) for v in obj.box2d.to_array())
        if obj.num_points < min_points:
            labels.append(dont_care(bbox))  # type: ignore[arg-type]
            continue
        label = kitti_from_cuboid(
            obj.cuboid, camera, obj.label, truncated=obj.truncation, occluded=obj.occlusion
        )
        labels.append(dataclasses.replace(label, bbox=bbox))
    return labels


def write_frame(frame: Frame, out_dir: Path, min_points: int = 5) -> list[Path]:
    """Write one frame's four KITTI files; returns their paths."""
    name = frame_name(frame.index)
    paths = [
        out_dir / "velodyne" / f"{name}.bin",
        out_dir / "image_2" / f"{name}.png",
        out_dir / "calib" / f"{name}.txt",
        out_dir / "label_2" / f"{name}.txt",
    ]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
    frame.points.astype("<f4").tofile(paths[0])
    Image.fromarray(frame.image).save(paths[1], format="PNG")
    paths[2].write_text(format_calib(frame.kitti_calibration), encoding="ascii")
    labels = kitti_labels(frame, min_points)
    paths[3].write_text("".join(format_label_line(obj) + "\n" for obj in labels), encoding="ascii")
    return paths


def write_kitti_dataset(
    source: Sequence | SceneConfig, out_dir: str | Path, min_points: int = 5
) -> list[Path]:
    """Write a generated sequence (or generate one from a config, frame by frame) as a KITTI dataset.

    Returns the written paths; the same config always gives the same bytes.
    """
    out = Path(out_dir)
    config = source.config if isinstance(source, Sequence) else source
    frames: Iterable[Frame] = source.frames if isinstance(source, Sequence) else iter_frames(config)
    written: list[Path] = []
    objects: dict[str, list[GroundTruthObject]] = {}
    timestamps: dict[str, float] = {}
    poses: dict[str, dict] = {}
    for frame in frames:
        written += write_frame(frame, out, min_points)
        name = frame_name(frame.index)
        objects[name], timestamps[name] = frame.objects, frame.timestamp
        poses[name] = {
            "index": frame.index,
            "num_points": len(frame.points),
            "lidar_pose": [[round(float(v), 9) for v in row] for row in frame.lidar_pose],
        }
    extra = {"generator": GENERATOR, "config": _jsonable(dataclasses.asdict(config))}
    written.append(write_reference_labels(out / "ground_truth.json", objects, timestamps, extra, poses))
    logger.info("wrote %d frames to %s", len(objects), out)
    return written


def _jsonable(value: object) -> object:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def load_ground_truth(path: str | Path) -> dict[str, list[GroundTruthObject]]:
    """The objects per frame name of a ``ground_truth.json`` written by `write_kitti_dataset`."""
    return read_reference_labels(path).frames
