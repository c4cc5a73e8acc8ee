"""Write generated sequences as KITTI-layout datasets, plus the full ground truth as JSON.

Layout under the output folder: ``velodyne/NNNNNN.bin`` (float32 x, y, z, intensity), ``image_2/NNNNNN.png``,
``calib/NNNNNN.txt``, ``label_2/NNNNNN.txt`` (objects seen in the image, KITTI camera convention; those
with too few LiDAR points as ``DontCare`` regions), and ``ground_truth.json`` with every object of every frame in the LiDAR frame (9-DoF cuboids,
track ids, point counts, occlusion, truncation, 2D boxes, velocities) for use as an oracle.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from annotator.io.errors import FormatError
from annotator.io.kitti import KittiObject, dont_care, format_calib, format_label_line, kitti_from_cuboid
from annotator.synth.ground_truth import GroundTruthObject
from annotator.synth.scene import SceneConfig
from annotator.synth.sequence import Frame, Sequence, iter_frames

logger = logging.getLogger(__name__)

GROUND_TRUTH_FORMAT = "annotator-synth-ground-truth"
GROUND_TRUTH_VERSION = 1


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
    records = []
    for frame in frames:
        written += write_frame(frame, out, min_points)
        records.append(_frame_record(frame))
    gt_path = out / "ground_truth.json"
    document = {
        "format": GROUND_TRUTH_FORMAT,
        "version": GROUND_TRUTH_VERSION,
        "convention": "LiDAR frame: x forward, y left, z up; cuboid = x, y, z, l, w, h, yaw, pitch, roll",
        "config": _jsonable(dataclasses.asdict(config)),
        "frames": records,
    }
    gt_path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    written.append(gt_path)
    logger.info("wrote %d frames to %s", len(records), out)
    return written


def _frame_record(frame: Frame) -> dict:
    return {
        "name": frame_name(frame.index),
        "index": frame.index,
        "timestamp": round(frame.timestamp, 6),
        "num_points": len(frame.points),
        "lidar_pose": [[round(float(v), 9) for v in row] for row in frame.lidar_pose],
        "objects": [obj.to_dict() for obj in frame.objects],
    }


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
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    if document.get("format") != GROUND_TRUTH_FORMAT:
        raise FormatError(path, f"not a {GROUND_TRUTH_FORMAT} file")
    return {f["name"]: [GroundTruthObject.from_dict(o) for o in f["objects"]] for f in document["frames"]}
