"""ASAM OpenLABEL 1.0.0 JSON: coordinate systems, streams, objects (by uid) and frames.

Cuboids are read in both forms of ``val``: 9 values ``x y z rx ry rz sx sy sz`` (Euler angles,
``Rz(rz) @ Ry(ry) @ Rx(rx)``: the core's yaw = rz, pitch = ry, roll = rx) and 10 values
``x y z qx qy qz qw sx sy sz``; export writes the 10-value quaternion form. ``sx sy sz`` are length,
width and height. 2D ``bbox`` values are ``cx cy w h`` in the image of the camera stream named by
``coordinate_system``. Cuboids are taken as they are in the coordinate system they name (the LiDAR's);
a frame's transform from a LiDAR stream to a ``scene_cs`` coordinate system is its ego pose, and cuboids
in such a scene system are brought into the frame's LiDAR coordinates with it (export ``-o boxes=world``
writes them so).
An object's uid is its identity across frames (one track). Object data outside ``frames`` (static
data) belongs to every frame; a file without frames gives one frame named after the file.

Each malformed cuboid or box is reported as its own `FormatError` (naming the file, the object and the
field) and skipped; the rest of the file imports. Export writes ``openlabel.json``: per frame its
``frame_properties`` hold the frame name, timestamp, stream URIs (cloud, images), each camera's
intrinsics (``camera_matrix_3x4``, image size) and its LiDAR-to-camera transform (``matrix4x4``,
row-major, mapping LiDAR points into the camera frame), which an import reads back.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from annotator.core.camera import CameraCalibration
from annotator.core.pose import Pose
from annotator.core.world import from_world
from annotator.io.errors import FormatError
from annotator.io.formats.base import (
    Dataset,
    ExportContext,
    Exporter,
    LabelFormat,
    SourceFrame,
    SourceObject,
)
from annotator.io.formats.boxes2d import corner_box
from annotator.io.formats.files import (
    checked_cuboid,
    load_json,
    member,
    natural_key,
    numbers,
)
from annotator.io.formats.openlabel_export import FILE_NAME, OpenLabelExporter
from annotator.io.formats.rotation import euler_from_quaternion, quaternion_from_matrix
from annotator.io.frames import DEFAULT_CAMERA

logger = logging.getLogger(__name__)

_CUBOID_KEYS = {"name", "val", "coordinate_system", "attributes"}
_CUBOID_FORMS = "9 numbers (x y z rx ry rz sx sy sz) or 10 (x y z qx qy qz qw sx sy sz)"


class OpenLabelFormat(LabelFormat):
    """ASAM OpenLABEL 1.0.0 (cuboids and 2D boxes)."""

    id = "openlabel"
    title = "OpenLABEL"
    kinds = ("cuboid", "box2d")
    layout = "one JSON (openlabel: objects, frames, streams); cuboid val 10-value quaternion form"

    def read(self, source: Path, options: dict[str, str] | None = None) -> Dataset:
        """Read an OpenLABEL JSON file (or the only/``openlabel.json`` JSON in a folder)."""
        path = _json_file(Path(source))
        root = member(load_json(path), "openlabel", path, "", dict)
        reader = _Reader(path, root, (options or {}).get("camera") or DEFAULT_CAMERA)
        return reader.read()

    def exporter(self, context: ExportContext) -> Exporter:
        return OpenLabelExporter(context)


def _json_file(source: Path) -> Path:
    if source.is_file():
        return source
    candidates = [source / FILE_NAME] if (source / FILE_NAME).is_file() else sorted(source.glob("*.json"))
    if len(candidates) != 1:
        raise FormatError(source, "expected one OpenLABEL JSON file here (or openlabel.json)")
    return candidates[0]


class _Reader:
    """Reads one OpenLABEL document into a `Dataset`, collecting per-object problems."""

    def __init__(self, path: Path, root: dict[str, Any], default_camera: str) -> None:
        self.path = path
        self.root = root
        self.default_camera = default_camera
        self.dataset = Dataset("OpenLABEL", path)
        self.objects = _mapping(root, "objects", path, "openlabel")
        self.streams = _mapping(root, "streams", path, "openlabel")
        systems = root.get("coordinate_systems")
        self.scenes = {
            str(name)
            for name, system in (systems.items() if isinstance(systems, dict) else ())
            if isinstance(system, dict) and system.get("type") == "scene_cs"
        }

    def read(self) -> Dataset:
        frames = _mapping(self.root, "frames", self.path, "openlabel")
        for obj in self.objects.values():
            if isinstance(obj, dict) and obj.get("type"):
                self.dataset.classes.setdefault(str(obj["type"]), None)
        ordered = sorted(frames, key=natural_key)
        targets = [self._frame(key, frames[key]) for key in ordered] or [self.dataset.frame(self.path.stem)]
        for uid, obj in self.objects.items():  # static object data: in every frame
            if isinstance(obj, dict) and isinstance(obj.get("object_data"), dict):
                for frame in targets:
                    self._object_data(frame, uid, obj["object_data"], f"openlabel.objects.{uid}.object_data")
        return self.dataset

    def _frame(self, key: str, data: Any) -> SourceFrame:
        field = f"openlabel.frames.{key}"
        properties = data.get("frame_properties") if isinstance(data, dict) else None
        properties = properties if isinstance(properties, dict) else {}
        streams = properties.get("streams") if isinstance(properties.get("streams"), dict) else {}
        name = properties.get("name") or _lidar_stem(streams, self.streams) or key
        frame = self.dataset.frame(str(name))
        stamp = properties.get("timestamp")
        if isinstance(stamp, int | float) and not isinstance(stamp, bool):
            frame.timestamp = float(stamp)
        self._streams(frame, streams, properties.get("transforms"), field)
        frame.pose = self._pose(properties.get("transforms"), field) or frame.pose
        objects = data.get("objects") if isinstance(data, dict) else None
        for uid, entry in (objects or {}).items() if isinstance(objects, dict) else ():
            if isinstance(entry, dict) and isinstance(entry.get("object_data"), dict):
                self._object_data(frame, str(uid), entry["object_data"], f"{field}.objects.{uid}.object_data")
        return frame

    def _streams(self, frame: SourceFrame, streams: dict[str, Any], transforms: Any, field: str) -> None:
        for name, stream in streams.items():
            kind = (
                str((self.streams.get(name) or {}).get("type", ""))
                if isinstance(self.streams.get(name), dict)
                else ""
            )
            uri = stream.get("uri") if isinstance(stream, dict) else None
            if isinstance(uri, str) and uri:
                target = Path(uri) if Path(uri).is_absolute() else self.path.parent / uri
                if kind == "lidar":
                    frame.cloud = target
                elif kind == "camera":
                    frame.images[name] = target
            camera = self._camera(name, stream, transforms, f"{field}.frame_properties.streams.{name}")
            if camera is not None:
                frame.cameras[name] = camera

    def _pose(self, transforms: Any, field: str) -> Pose | None:
        """The ego pose: a transform from a LiDAR stream into a scene coordinate system."""
        for key, transform in transforms.items() if isinstance(transforms, dict) else ():
            if not isinstance(transform, dict) or transform.get("dst") not in self.scenes:
                continue
            source = self.streams.get(transform.get("src"))
            if not isinstance(source, dict) or source.get("type") != "lidar":
                continue
            where = f"{field}.frame_properties.transforms.{key}.matrix4x4"
            values = (transform.get("transform_src_to_dst") or {}).get("matrix4x4")
            matrix = np.reshape(numbers(values, 16, self.path, where), (4, 4))
            try:
                return Pose(quaternion_from_matrix(matrix[:3, :3]), tuple(matrix[:3, 3]))
            except ValueError as error:
                raise FormatError(self.path, str(error), field=where) from None
        return None

    def _camera(self, name: str, stream: Any, transforms: Any, field: str) -> CameraCalibration | None:
        properties = stream.get("stream_properties") if isinstance(stream, dict) else None
        pinhole = properties.get("intrinsics_pinhole") if isinstance(properties, dict) else None
        if not isinstance(pinhole, dict):
            return None
        matrix = numbers(pinhole.get("camera_matrix_3x4"), 12, self.path, f"{field}.camera_matrix_3x4")
        extrinsic = np.eye(4)
        for transform in (transforms or {}).values() if isinstance(transforms, dict) else ():
            if isinstance(transform, dict) and transform.get("dst") == name:
                values = (transform.get("transform_src_to_dst") or {}).get("matrix4x4")
                extrinsic = np.reshape(numbers(values, 16, self.path, f"{field}.matrix4x4"), (4, 4))
        width, height = int(pinhole.get("width_px") or 0), int(pinhole.get("height_px") or 0)
        try:
            return CameraCalibration(name, np.reshape(matrix, (3, 4)), extrinsic, width, height)
        except ValueError as error:
            raise FormatError(self.path, str(error), field=field) from None

    def _object_data(self, frame: SourceFrame, uid: str, data: dict[str, Any], field: str) -> None:
        obj = self.objects.get(uid)
        label = f'object "{uid}"' + (f" ({obj['name']})" if isinstance(obj, dict) and obj.get("name") else "")
        for kind, parse in (("cuboid", self._cuboid), ("bbox", self._bbox)):
            entries = data.get(kind) or []
            for index, entry in enumerate(entries if isinstance(entries, list) else [entries]):
                where = f"{field}.{kind}[{index}]"
                try:
                    if not isinstance(obj, dict) or not obj.get("type"):
                        raise FormatError(
                            self.path, "not in openlabel.objects or without a type", field=where
                        )
                    found = parse(entry, str(obj["type"]), uid, where)
                    frame.objects.append(self._in_lidar(frame, found, entry, where))
                except FormatError as error:  # name the object in every message
                    self.dataset.problems.append(
                        FormatError(
                            self.path, f"{label}: {error.problem}", line=error.line, field=error.field
                        )
                    )

    def _in_lidar(self, frame: SourceFrame, found: SourceObject, entry: Any, field: str) -> SourceObject:
        """A cuboid written in a scene (world) coordinate system, brought into the frame's LiDAR one."""
        system = entry.get("coordinate_system") if isinstance(entry, dict) else None
        if found.cuboid is None or system not in self.scenes:
            return found
        if frame.pose is None:
            raise FormatError(
                self.path, f"a cuboid in {system!r} in a frame without a LiDAR pose", field=field
            )
        return dataclasses.replace(found, cuboid=from_world(found.cuboid, frame.pose))

    def _cuboid(self, entry: Any, class_name: str, uid: str, field: str) -> SourceObject:
        val = entry.get("val") if isinstance(entry, dict) else None
        if not isinstance(val, list) or len(val) not in (9, 10):
            unknown = sorted(set(entry) - _CUBOID_KEYS) if isinstance(entry, dict) else []
            extra = f"; unexpected keys: {', '.join(unknown)}" if unknown else ""
            got = f"has {len(val)} values" if isinstance(val, list) else f"is {json.dumps(val)}"
            raise FormatError(
                self.path, f"val {got}; a cuboid needs {_CUBOID_FORMS}{extra}", field=f"{field}.val"
            )
        values = numbers(val, (9, 10), self.path, f"{field}.val")
        if len(values) == 9:
            rotation = (values[5], values[4], values[3])
        else:
            qx, qy, qz, qw = values[3:7]
            try:
                rotation = euler_from_quaternion(qw, qx, qy, qz)
            except ValueError as error:
                raise FormatError(self.path, str(error), field=f"{field}.val") from None
        cuboid = checked_cuboid(values[0:3], values[-3:], rotation, self.path, f"{field}.val")
        return SourceObject(class_name, cuboid=cuboid, track_key=uid, track_attributes=self._names(uid))

    def _bbox(self, entry: Any, class_name: str, uid: str, field: str) -> SourceObject:
        val = entry.get("val") if isinstance(entry, dict) else None
        cx, cy, w, h = numbers(val, 4, self.path, f"{field}.val")
        box = corner_box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, self.path, f"{field}.val")
        camera = str(entry.get("coordinate_system") or self.default_camera)
        return SourceObject(
            class_name, box2d=box, camera=camera, track_key=uid, track_attributes=self._names(uid)
        )

    def _names(self, uid: str) -> dict[str, Any]:
        obj = self.objects.get(uid)
        return {"name": obj["name"]} if isinstance(obj, dict) and obj.get("name") else {}


def _mapping(data: dict[str, Any], key: str, path: Path, field: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FormatError(path, "expected an object keyed by id", field=f"{field}.{key}")
    return value


def _lidar_stem(frame_streams: dict[str, Any], streams: dict[str, Any]) -> str | None:
    for name, stream in frame_streams.items():
        declared = streams.get(name)
        if isinstance(declared, dict) and declared.get("type") == "lidar" and isinstance(stream, dict):
            uri = stream.get("uri")
            if isinstance(uri, str) and uri:
                return Path(uri).name.split(".")[0]
    return None
