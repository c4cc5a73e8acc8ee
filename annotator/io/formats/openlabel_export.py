"""Writing ASAM OpenLABEL 1.0.0: one ``openlabel.json`` with every exported frame (see `openlabel`)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from annotator import __version__
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.world import to_world
from annotator.io.formats.base import ExportContext, Exporter, FrameError, FrameLabels, FrameOutput
from annotator.io.formats.files import format_number, write_json_atomic
from annotator.io.formats.poses import box_frame
from annotator.io.formats.rotation import quaternion_from_euler

logger = logging.getLogger(__name__)

FILE_NAME = "openlabel.json"
LIDAR = "lidar"
#: The coordinate system the frames' ego poses map into (a ``scene_cs``; present only when a frame has a pose).
WORLD = "world"
DECIMALS = 6


def cuboid_val(cuboid: Cuboid) -> list[float]:
    """The 10-value quaternion form ``x y z qx qy qz qw sx sy sz``."""
    w, x, y, z = quaternion_from_euler(cuboid.yaw, cuboid.pitch, cuboid.roll)
    values = [*cuboid.center, x, y, z, w, *cuboid.size]
    return [format_number(v, DECIMALS if i < 3 or i > 6 else 9) for i, v in enumerate(values)]


class OpenLabelExporter(Exporter):
    """Collects frames and objects; writes one document at the end."""

    def __init__(self, context: ExportContext) -> None:
        self.out = context.out
        self.frames: dict[str, Any] = {}
        self.objects: dict[str, dict[str, Any]] = {}
        self.cameras: set[str] = set()
        self.posed = False
        self.boxes = box_frame(context.options, "openlabel")  # cuboids in the LiDAR or the world frame

    def render_frame(self, labels: FrameLabels) -> FrameOutput:
        """The frame's objects and properties; frame numbers and object intervals are given in `accept`."""
        pose = labels.frame.pose
        world = self.boxes == WORLD
        if world and pose is None:
            raise FrameError("no ego pose, so no world-frame boxes (-o boxes=world)")
        objects: dict[str, Any] = {}
        members, written = [], []  # (uid, class) per annotation
        cameras = set(labels.images) | set(labels.frame.cameras)
        for annotation in labels.annotations:
            uid = labels.track_name(annotation)
            data = objects.setdefault(uid, {"object_data": {}})["object_data"]
            if annotation.cuboid is not None:
                cuboid = to_world(annotation.cuboid, pose) if world else annotation.cuboid
                entry = {"name": "box3d", "coordinate_system": self.boxes, "val": cuboid_val(cuboid)}
                data.setdefault("cuboid", []).append(entry)
            else:
                box = annotation.box2d
                assert box is not None
                cx, cy = box.center
                val = [format_number(v, 2) for v in (cx, cy, box.width, box.height)]
                data.setdefault("bbox", []).append(
                    {"name": "box2d", "coordinate_system": annotation.camera, "val": val}
                )
                cameras.add(str(annotation.camera))
            written.append(annotation)
            members.append((uid, annotation.class_name))
        frame = {"objects": objects, "frame_properties": _properties(labels)}
        return FrameOutput(labels.frame.name, written, partial=(frame, members, cameras, pose is not None))

    def accept(self, output: FrameOutput) -> None:
        frame, members, cameras, posed = output.partial
        number = len(self.frames)
        self.frames[str(number)] = frame
        for uid, class_name in members:
            self.objects.setdefault(uid, {"name": uid, "type": class_name, "frames": []})["frames"].append(
                number
            )
        self.cameras |= cameras
        self.posed = self.posed or posed

    def finish(self) -> None:
        cameras = sorted(self.cameras)
        coordinate_systems: dict[str, Any] = {LIDAR: {"type": "sensor_cs", "parent": "", "children": cameras}}
        if self.posed:  # the ego poses put every frame's LiDAR into one world frame
            coordinate_systems = {
                WORLD: {"type": "scene_cs", "parent": "", "children": [LIDAR]}
            } | coordinate_systems
            coordinate_systems[LIDAR]["parent"] = WORLD
        streams: dict[str, Any] = {LIDAR: {"type": "lidar", "description": "point clouds"}}
        for name in cameras:
            coordinate_systems[name] = {"type": "sensor_cs", "parent": LIDAR, "children": []}
            streams[name] = {"type": "camera", "description": f"camera {name}"}
        objects = {}
        for uid, obj in self.objects.items():
            objects[uid] = {
                "name": obj["name"],
                "type": obj["type"],
                "frame_intervals": _intervals(obj["frames"]),
            }
        document = {
            "openlabel": {
                "metadata": {"schema_version": "1.0.0", "annotator": f"annotator {__version__}"},
                "coordinate_systems": coordinate_systems,
                "streams": streams,
                "objects": objects,
                "frames": self.frames,
                "frame_intervals": _intervals(range(len(self.frames))),
            }
        }
        write_json_atomic(self.out / FILE_NAME, document, indent=None)


def _properties(labels: FrameLabels) -> dict[str, Any]:
    """A frame's ``frame_properties``: its streams (cloud, images, cameras), transforms and timestamp."""
    frame = labels.frame
    streams: dict[str, Any] = {}
    transforms: dict[str, Any] = {}
    if labels.cloud is not None:
        streams[LIDAR] = {"uri": str(labels.cloud)}
    for name in sorted(set(labels.images) | set(frame.cameras)):
        stream: dict[str, Any] = {}
        if name in labels.images:
            stream["uri"] = str(labels.images[name])
        camera = frame.cameras.get(name)
        if camera is not None:
            stream["stream_properties"] = {
                "intrinsics_pinhole": {
                    "camera_matrix_3x4": np.ravel(camera.projection_matrix).tolist(),
                    "width_px": camera.width,
                    "height_px": camera.height,
                    "distortion_coeffs_1xN": [],
                }
            }
            transforms[f"{LIDAR}_to_{name}"] = {
                "src": LIDAR,
                "dst": name,
                "transform_src_to_dst": {"matrix4x4": np.ravel(camera.extrinsic_matrix).tolist()},
            }
        streams[name] = stream
    if frame.pose is not None:
        transforms[f"{LIDAR}_to_{WORLD}"] = {
            "src": LIDAR,
            "dst": WORLD,
            "transform_src_to_dst": {"matrix4x4": np.ravel(frame.pose.matrix).tolist()},
        }
    properties: dict[str, Any] = {"name": frame.name, "streams": streams}
    if transforms:
        properties["transforms"] = transforms
    if frame.timestamp is not None:
        properties["timestamp"] = frame.timestamp
    return properties


def _intervals(numbers_: Any) -> list[dict[str, int]]:
    intervals: list[dict[str, int]] = []
    for n in sorted(set(numbers_)):
        if intervals and intervals[-1]["frame_end"] == n - 1:
            intervals[-1]["frame_end"] = n
        else:
            intervals.append({"frame_start": n, "frame_end": n})
    return intervals
