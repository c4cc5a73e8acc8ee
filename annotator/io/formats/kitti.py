"""KITTI object detection: ``label_2/<frame>.txt`` in the rectified camera frame, through ``calib/``.

Built on `annotator.io.kitti` (calibration and label-line parsing and formatting); the cuboid
conversions are `annotator.io.kitti`'s, vectorised per frame in `kitti_objects`.
Import reads the training layout (``velodyne/``, ``label_2/``, ``calib/``, ``image_2/``); each frame's
calibration becomes its camera ``image_2`` (``P2``, ``R0_rect @ Tr_velo_to_cam``, image size from the
image header). Every imported object keeps its KITTI numbers in ``attributes["kitti"]`` together with
the cuboid they gave; an export of an unchanged cuboid (within 1e-6) writes those numbers back as they
came, so bbox, truncation, occlusion and alpha survive. ``DontCare`` rows are kept in the frame's
``meta["kitti"]`` with their place among the rows, and written back there (with the calibration, an
imported frame exports to the same files). Other cuboids get alpha computed, the 2D box of the projected
corners clipped to the image, truncation estimated as the share of that box outside the image, and
occlusion from the ``occluded`` attribute (else 0). Pitch and roll are dropped (KITTI is 7-DoF).

Ego poses (`kitti_poses`): KITTI odometry's ``poses.txt`` or KITTI raw's ``oxts/`` are read when given;
export writes ``poses.txt`` when every frame written has a pose (else none, with a warning).

Export writes ``label_2/<frame>.txt`` and the calibration it used in ``calib/<frame>.txt``. Options:
``camera`` (default ``image_2``, else the frame's only camera) and ``calib=synthetic`` to give frames
without a calibration the usual KITTI mounting (see `synthetic_calibration`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from annotator.core.camera import CameraCalibration
from annotator.core.model.records import Frame
from annotator.io.errors import FormatError
from annotator.io.formats.base import (
    CUBOID,
    Dataset,
    ExportContext,
    Exporter,
    FrameError,
    FrameLabels,
    FrameOutput,
    LabelFormat,
    SourceObject,
)
from annotator.io.formats.boxes2d import image_size
from annotator.io.formats.files import (
    checked_cuboid,
    natural_key,
    read_text,
    safe_file_name,
    write_text_atomic,
)
from annotator.io.formats.kitti_objects import (
    CAMERA,
    KITTI_IMAGE_SIZE,
    calib_for_camera,
    calib_from_data,
    calib_to_data,
    kitti_objects,
    lidar_boxes,
    synthetic_calibration,
)
from annotator.io.formats.kitti_poses import POSES, read_poses
from annotator.io.formats.poses import camera_pose
from annotator.io.frames import IMAGE_SUFFIXES
from annotator.io.kitti import (
    KittiCalibration,
    KittiObject,
    format_calib,
    format_label_line,
    parse_calib,
    parse_label_line,
)

logger = logging.getLogger(__name__)

DONT_CARE = "DontCare"


class KittiFormat(LabelFormat):
    """KITTI 3D object labels with per-frame calibration."""

    id = "kitti"
    title = "KITTI"
    kinds = (CUBOID,)
    layout = "label_2/<frame>.txt (camera frame, h w l, rotation_y) + calib/<frame>.txt; velodyne/, image_2/"

    def read(self, source: Path, options: dict[str, str] | None = None) -> Dataset:
        """Read a KITTI object folder (``training/`` or one holding ``label_2``/``velodyne``)."""
        root = Path(source)
        if not (root / "label_2").is_dir() and (root / "training").is_dir():
            root = root / "training"
        if not root.is_dir() or not any((root / d).is_dir() for d in ("label_2", "velodyne", "image_2")):
            raise FormatError(root, "not a KITTI object folder (no label_2/, velodyne/ or image_2/)")
        dataset = Dataset("KITTI", Path(source))
        suffixes = {
            "velodyne": (".bin",),
            "image_2": IMAGE_SUFFIXES,
            "calib": (".txt",),
            "label_2": (".txt",),
        }
        files = {folder: _by_stem(root / folder, allowed) for folder, allowed in suffixes.items()}
        stems = set(files["velodyne"]) | set(files["image_2"]) | set(files["label_2"])
        for stem in sorted(stems, key=natural_key):
            _read_frame(dataset, stem, {folder: found.get(stem) for folder, found in files.items()})
        read_poses(dataset, root, (options or {}).get("poses"))
        return dataset

    def exporter(self, context: ExportContext) -> Exporter:
        return KittiExporter(context)


def _by_stem(folder: Path, suffixes: tuple[str, ...]) -> dict[str, Path]:
    """The files of a folder with one of ``suffixes``, by stem (one listing, not a look-up per frame)."""
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.iterdir()) if p.suffix.lower() in suffixes and p.is_file()}


def _read_frame(dataset: Dataset, stem: str, paths: dict[str, Path | None]) -> None:
    frame = dataset.frame(stem)
    frame.cloud = (
        paths["velodyne"] if paths["velodyne"] is not None and paths["velodyne"].suffix == ".bin" else None
    )
    image = paths["image_2"]
    if image is not None:
        frame.images[CAMERA] = image
    camera = None
    calib_path = paths["calib"]
    if calib_path is not None:
        calib = parse_calib(read_text(calib_path), calib_path)
        if "P2" not in calib.projections:
            raise FormatError(calib_path, "missing P2 (the camera of image_2)")
        width, height = image_size(image) if image is not None else (0, 0)
        camera = _named(calib.camera("P2", width, height), CAMERA)
        frame.cameras[CAMERA] = camera
        frame.meta["kitti"] = {"calib": calib_to_data(calib)}
    label_path = paths["label_2"]
    if label_path is None:
        return
    rows, dont_care = [], []
    for number, line in enumerate(read_text(label_path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = parse_label_line(line, label_path, number)
        except FormatError as error:
            dataset.problems.append(error)
            continue
        if obj.type == DONT_CARE:  # kept as written, with its place among the rows
            dont_care.append([len(rows) + len(dont_care), line.strip()])
        elif camera is None:
            dataset.problems.append(FormatError(label_path, f"no calibration calib/{stem}.txt", line=number))
        else:
            rows.append((number, obj))
    if rows:
        assert camera is not None
        boxes = lidar_boxes([obj for _, obj in rows], camera)
        for (number, obj), box in zip(rows, boxes):
            try:
                frame.objects.append(_source_object(obj, box, label_path, number))
            except FormatError as error:
                dataset.problems.append(error)
    if dont_care:
        frame.meta.setdefault("kitti", {})["dontcare"] = dont_care


def _source_object(obj: KittiObject, box: np.ndarray, path: Path, number: int) -> SourceObject:
    cuboid = checked_cuboid(box[0:3], box[3:6], (float(box[6]), 0.0, 0.0), path, "dimensions", number)
    kept: dict[str, Any] = {
        "truncated": obj.truncated,
        "occluded": obj.occluded,
        "alpha": obj.alpha,
        "bbox": list(obj.bbox),
        "dimensions": list(obj.dimensions),
        "location": list(obj.location),
        "rotation_y": obj.rotation_y,
        "cuboid": cuboid.to_array(nine_dof=True).tolist(),
    }
    attributes = {"kitti": kept, "occluded": str(obj.occluded)}
    return SourceObject(
        obj.type, cuboid=cuboid, attributes=attributes, score=obj.score, source_id=f"row {number}"
    )


def _named(camera: CameraCalibration, name: str) -> CameraCalibration:
    return CameraCalibration(name, camera.projection, camera.lidar_to_camera, camera.width, camera.height)


# -- export --------------------------------------------------------------------------------------------
class KittiExporter(Exporter):
    """Writes ``label_2/<frame>.txt`` and ``calib/<frame>.txt`` per frame."""

    def __init__(self, context: ExportContext) -> None:
        self.out = context.out
        self.camera_name = context.options.get("camera")
        self.synthetic = context.options.get("calib") == "synthetic"
        self.poses: list[str | None] = []  # poses.txt lines of the frames written (None: no pose)

    def render_frame(self, labels: FrameLabels) -> FrameOutput:
        frame = labels.frame
        name = safe_file_name(frame.name)
        camera, calib, imported = self._calibration(labels)
        annotations = labels.cuboids()
        lines = [format_label_line(obj) for obj in kitti_objects(annotations, camera, reuse=imported)]
        for position, line in _kitti_meta(frame).get("dontcare", []):
            lines.insert(min(int(position), len(lines)), str(line))
        pose = frame.pose
        rows = None if pose is None else camera_pose(pose, calib.lidar_to_rect())[:3]
        files = [
            (self.out / "calib" / f"{name}.txt", format_calib(calib).encode("utf-8")),
            (self.out / "label_2" / f"{name}.txt", "".join(line + "\n" for line in lines).encode("utf-8")),
        ]
        pose_line = None if rows is None else " ".join(f"{v:.9e}" for v in np.ravel(rows))
        return FrameOutput(frame.name, annotations, files, partial=pose_line)

    def accept(self, output: FrameOutput) -> None:
        super().accept(output)
        self.poses.append(output.partial)

    def finish(self) -> None:
        if self.poses and all(line is not None for line in self.poses):
            write_text_atomic(self.out / POSES, "".join(f"{line}\n" for line in self.poses))
        elif any(line is not None for line in self.poses):
            logger.warning("kitti: some frames have no ego pose, so no %s was written", POSES)

    def _calibration(self, labels: FrameLabels) -> tuple[CameraCalibration, KittiCalibration, bool]:
        """The camera and calibration file to use, and whether they are the ones imported with the frame."""
        frame = labels.frame
        camera = _export_camera(frame, self.camera_name)
        if camera is None:
            if not self.synthetic:
                raise FrameError("no camera calibration (import one, or use -o calib=synthetic)")
            camera = synthetic_calibration()
        if not camera.width or not camera.height:
            image = labels.images.get(camera.name)
            width, height = image_size(image) if image is not None else KITTI_IMAGE_SIZE
            camera = CameraCalibration(camera.name, camera.projection, camera.lidar_to_camera, width, height)
        kept = _kitti_meta(frame).get("calib")
        if kept is not None:
            calib = calib_from_data(kept)
            if "P2" in calib.projections and _same_camera(calib.camera("P2"), camera):
                return camera, calib, True
        return camera, calib_for_camera(camera), False


def _kitti_meta(frame: Frame) -> dict[str, Any]:
    """What an import kept in the frame's meta (calibration numbers, DontCare rows)."""
    kept = frame.meta.get("kitti")
    return kept if isinstance(kept, dict) else {}


def _export_camera(frame: Frame, wanted: str | None) -> CameraCalibration | None:
    if wanted:
        if wanted not in frame.cameras:
            raise FrameError(f"no camera {wanted!r} (cameras: {', '.join(sorted(frame.cameras)) or 'none'})")
        return frame.cameras[wanted]
    if CAMERA in frame.cameras:
        return frame.cameras[CAMERA]
    if len(frame.cameras) > 1:
        raise FrameError(f"several cameras ({', '.join(sorted(frame.cameras))}); choose one with --camera")
    return next(iter(frame.cameras.values()), None)


def _same_camera(a: CameraCalibration, b: CameraCalibration) -> bool:
    return np.allclose(a.projection_matrix, b.projection_matrix, atol=1e-9) and np.allclose(
        a.extrinsic_matrix, b.extrinsic_matrix, atol=1e-9
    )
