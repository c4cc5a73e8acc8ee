"""SUSTechPOINTS scenes: ``lidar/*.pcd``, ``label/*.json`` (psr boxes), ``camera/<cam>/*``, ``calib/``.

Labels are in the LiDAR frame: ``psr.position`` is the box centre, ``psr.scale`` its length, width and
height, ``psr.rotation`` the angles of ``Rx(x) @ Ry(y) @ Rz(z)`` in radians (converted to the core's
yaw/pitch/roll); ``obj_id`` is the object's identity across frames. A label file is a list of objects
or, in newer versions, ``{"objs": [...]}``. ``calib/camera/<cam>.json`` holds ``extrinsic`` (4x4
LiDAR-to-camera, row-major) and ``intrinsic`` (3x3); the image size comes from the camera's images.
Export writes ``label/<frame>.json`` and ``calib/camera/<cam>.json`` for the cameras the frames have, and
``lidar_pose/<frame>.json`` and ``ego_pose/<frame>.json`` for frames with an ego pose. ``lidar_pose`` is
SUSTechPOINTS' own LiDAR pose file (``{"lidarPose": [16 numbers]}``, the 4x4 LiDAR -> world matrix,
row-major, as its tools/adjust_ego_pose.py writes it); ``ego_pose`` holds SUSTechPOINTS' ``x``, ``y``,
``z`` (m), ``roll``, ``pitch``, ``azimuth`` (degrees; azimuth is the yaw) plus the exact ``rotation``
quaternion (w, x, y, z) and ``translation``. Import reads a frame's pose from ``lidar_pose/``, else from
the exact fields of ``ego_pose/`` (SUSTechPOINTS' own ego_pose, an INS pose in a rig-specific
convention without them, is not the LiDAR's pose and is left alone).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np

from annotator.core.camera import CameraCalibration
from annotator.core.model.records import Annotation
from annotator.core.pose import Pose
from annotator.io.errors import FormatError
from annotator.io.formats.base import (
    CUBOID,
    Dataset,
    ExportContext,
    Exporter,
    FrameLabels,
    FrameOutput,
    LabelFormat,
    SourceObject,
)
from annotator.io.formats.boxes2d import find_image, image_size
from annotator.io.formats.files import (
    checked_cuboid,
    finite,
    format_number,
    json_bytes,
    load_json,
    member,
    natural_key,
    numbers,
    safe_file_name,
    write_json_atomic,
)
from annotator.io.formats.poses import matrix_rows, pose_from_matrix, pose_from_parts, pose_parts
from annotator.io.formats.rotation import euler_from_quaternion, euler_from_xyz, xyz_from_euler
from annotator.io.frames import cloud_suffix, frame_stem

logger = logging.getLogger(__name__)

DECIMALS = 6
_KNOWN_KEYS = {"psr", "obj_type", "obj_id"}


class SustechFormat(LabelFormat):
    """SUSTechPOINTS scene folders."""

    id = "sustech"
    title = "SUSTechPOINTS"
    kinds = (CUBOID,)
    layout = (
        "label/<frame>.json (psr: position, scale, rotation; obj_id) + lidar/, camera/<cam>/, calib/camera/"
    )

    def read(self, source: Path, options: dict[str, str] | None = None) -> Dataset:
        """Read one scene folder."""
        root = Path(source)
        if not (root / "lidar").is_dir() and not (root / "label").is_dir():
            raise FormatError(root, "not a SUSTechPOINTS scene (no lidar/ or label/ folder)")
        dataset = Dataset("SUSTechPOINTS", root)
        clouds = {frame_stem(p): p for p in _files(root / "lidar") if cloud_suffix(p)}
        labels = {p.stem: p for p in _files(root / "label") if p.suffix == ".json"}
        cameras = _cameras(root)
        for stem in sorted(set(clouds) | set(labels), key=natural_key):
            frame = dataset.frame(stem)
            frame.cloud = clouds.get(stem)
            for name, camera in cameras.items():
                image = find_image(stem, [root / "camera" / name])
                if image is not None:
                    frame.images[name] = image
                    frame.cameras[name] = camera
            if stem in labels:
                _read_label(dataset, labels[stem], frame.objects)
            try:
                frame.pose = _read_pose(root, stem)
            except FormatError as error:
                dataset.problems.append(error)
        return dataset

    def exporter(self, context: ExportContext) -> Exporter:
        return SustechExporter(context)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def _cameras(root: Path) -> dict[str, CameraCalibration]:
    cameras = {}
    for path in _files(root / "calib" / "camera"):
        if path.suffix != ".json":
            continue
        data = load_json(path)
        extrinsic = np.reshape(numbers(member(data, "extrinsic", path, ""), 16, path, "extrinsic"), (4, 4))
        intrinsic = np.reshape(numbers(member(data, "intrinsic", path, ""), 9, path, "intrinsic"), (3, 3))
        images = [
            p for p in _files(root / "camera" / path.stem) if p.suffix.lower() in (".jpg", ".jpeg", ".png")
        ]
        width, height = image_size(images[0]) if images else (0, 0)
        try:
            cameras[path.stem] = CameraCalibration(path.stem, intrinsic, extrinsic, width, height)
        except ValueError as error:
            raise FormatError(path, str(error)) from None
    return cameras


def _read_pose(root: Path, stem: str) -> Pose | None:
    """The frame's LiDAR pose: ``lidar_pose/<stem>.json``, else the exact fields of ``ego_pose/<stem>.json``."""
    path = root / "lidar_pose" / f"{stem}.json"
    if path.is_file():
        return pose_from_matrix(member(load_json(path), "lidarPose", path, ""), path, "lidarPose")
    path = root / "ego_pose" / f"{stem}.json"
    if path.is_file():
        data = load_json(path)
        if isinstance(data, dict) and "rotation" in data and "translation" in data:
            return pose_from_parts(data["rotation"], data["translation"], path, "")
    return None


def _read_label(dataset: Dataset, path: Path, objects: list[SourceObject]) -> None:
    data = load_json(path)
    entries = data.get("objs") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise FormatError(path, "expected a list of objects (or an object with 'objs')")
    for index, entry in enumerate(entries):
        try:
            objects.append(_object(entry, path, f"[{index}]"))
        except FormatError as error:
            dataset.problems.append(error)


def _xyz(psr: Any, key: str, path: Path, field: str) -> list[float]:
    value = member(psr, key, path, field, dict)
    return [finite(value.get(axis), path, f"{field}.{key}.{axis}") for axis in "xyz"]


def _object(entry: Any, path: Path, field: str) -> SourceObject:
    psr = member(entry, "psr", path, field, dict)
    class_name = str(member(entry, "obj_type", path, field)).strip()
    if not class_name:
        raise FormatError(path, "empty class", field=f"{field}.obj_type")
    position = _xyz(psr, "position", path, f"{field}.psr")
    scale = _xyz(psr, "scale", path, f"{field}.psr")
    rotation = euler_from_xyz(*_xyz(psr, "rotation", path, f"{field}.psr"))
    cuboid = checked_cuboid(position, scale, rotation, path, f"{field}.psr")
    extras = {key: value for key, value in entry.items() if key not in _KNOWN_KEYS}
    obj_id = entry.get("obj_id")
    track_key = None if obj_id in (None, "") else str(obj_id)
    return SourceObject(
        class_name, cuboid=cuboid, track_key=track_key, attributes={"sustech": extras} if extras else {}
    )


class SustechExporter(Exporter):
    """Writes ``label/<frame>.json`` per frame and each camera's calibration once."""

    def __init__(self, context: ExportContext) -> None:
        self.out = context.out
        self.calibrations: dict[str, dict[str, list[float]]] = {}

    def render_frame(self, labels: FrameLabels) -> FrameOutput:
        """The frame's label file and poses; its cameras' calibrations as the partial (kept once each)."""
        annotations = labels.cuboids()
        entries = [self._entry(a, labels) for a in annotations]
        name = f"{safe_file_name(labels.frame.name)}.json"
        files = [(self.out / "label" / name, json_bytes(entries))]
        pose = labels.frame.pose
        if pose is not None:
            files.append((self.out / "lidar_pose" / name, json_bytes({"lidarPose": matrix_rows(pose)})))
            files.append((self.out / "ego_pose" / name, json_bytes(pose_data(pose))))
        calibrations = {camera: calibration_data(c) for camera, c in labels.frame.cameras.items()}
        return FrameOutput(labels.frame.name, annotations, files, partial=calibrations)

    def accept(self, output: FrameOutput) -> None:
        super().accept(output)
        for camera, data in output.partial.items():
            self.calibrations.setdefault(camera, data)

    @staticmethod
    def _entry(annotation: Annotation, labels: FrameLabels) -> dict[str, Any]:
        cuboid = annotation.cuboid
        assert cuboid is not None
        rx, ry, rz = xyz_from_euler(cuboid.yaw, cuboid.pitch, cuboid.roll)

        def xyz(values: tuple[float, float, float] | list[float]) -> dict[str, float]:
            return {axis: format_number(v, DECIMALS) for axis, v in zip("xyz", values)}

        entry: dict[str, Any] = {
            "psr": {"position": xyz(cuboid.center), "scale": xyz(cuboid.size), "rotation": xyz([rx, ry, rz])},
            "obj_type": annotation.class_name,
            "obj_id": labels.track_name(annotation),
        }
        kept = annotation.attributes.get("sustech")
        if isinstance(kept, dict):
            entry.update({k: v for k, v in kept.items() if k not in _KNOWN_KEYS})
        return entry

    def finish(self) -> None:
        for name, data in self.calibrations.items():
            write_json_atomic(self.out / "calib" / "camera" / f"{safe_file_name(name)}.json", data)


def pose_data(pose: Pose) -> dict[str, Any]:
    """An ego pose as SUSTechPOINTS' ``ego_pose`` fields (angles in degrees) plus the exact quaternion."""
    yaw, pitch, roll = euler_from_quaternion(*pose.rotation)
    x, y, z = pose.translation
    return {
        "x": x, "y": y, "z": z,
        "roll": math.degrees(roll), "pitch": math.degrees(pitch), "azimuth": math.degrees(yaw),
        **pose_parts(pose),
    }  # fmt: skip


def calibration_data(camera: CameraCalibration) -> dict[str, list[float]]:
    """A camera as SUSTech's ``extrinsic``/``intrinsic`` (a projection's 4th column folded into the extrinsic)."""
    projection = camera.projection_matrix
    intrinsic = projection[:, :3]
    shift = np.eye(4)
    shift[:3, 3] = np.linalg.solve(intrinsic, projection[:, 3])
    extrinsic = shift @ camera.extrinsic_matrix
    return {"extrinsic": np.ravel(extrinsic).tolist(), "intrinsic": np.ravel(intrinsic).tolist()}
