"""nuScenes-style annotations: ``sample_annotation.json`` records, in the LiDAR frame here.

Each record has ``sample_token`` (the frame), ``instance_token`` (the object across frames),
``translation`` (box centre), ``size`` as **width, length, height** and ``rotation`` as a quaternion
**w, x, y, z**. By default the boxes are in each frame's LiDAR frame; with ``-o boxes=world`` they are in
the world (global) frame of the ego poses, as in real nuScenes. The class is ``category_name`` (or
``detection_name``, or found through ``instance.json`` and ``category.json`` when present).

Ego poses: ``ego_pose.json`` records (``token``, ``timestamp``, ``rotation`` w x y z, ``translation``). A
sample finds its pose through its own ``ego_pose_token`` (what an export writes: the LiDAR -> world pose,
the LiDAR taken as the ego frame), or as in real nuScenes through the key-frame LiDAR record of
``sample_data.json`` (``ego_pose_token``, ``calibrated_sensor_token``), the LiDAR pose then being the
ego pose composed with ``calibrated_sensor.json``'s LiDAR -> ego transform.

Export writes ``sample_annotation.json`` (with ``prev``/``next`` linking each instance's records),
``instance.json``, ``sample.json`` (token = frame name, timestamp, ``lidar_path``, ``ego_pose_token``) and
``ego_pose.json`` for the frames with a pose; import reads ``sample.json``'s ``lidar_path`` back as the
frame's cloud. Importing world boxes (``-o boxes=world``) brings them into each frame's LiDAR frame; a
frame without a pose then skips its boxes (reported).
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import uuid
from pathlib import Path
from typing import Any

from annotator.core.pose import Pose
from annotator.core.world import from_world, to_world
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
from annotator.io.formats.files import (
    checked_cuboid,
    finite,
    format_number,
    load_json,
    member,
    natural_key,
    numbers,
    write_json_atomic,
)
from annotator.io.formats.poses import WORLD, box_frame, pose_from_parts, pose_parts
from annotator.io.formats.rotation import euler_from_quaternion, quaternion_from_euler, quaternion_from_matrix

logger = logging.getLogger(__name__)

ANNOTATIONS = "sample_annotation.json"
DECIMALS = 6
_TOKENS = uuid.UUID("5f1d7a8e-6c43-4d0a-9a51-0d6f1f0c2b7e")  # namespace of the tokens an export makes
_KEPT = ("attribute_tokens", "visibility_token", "num_lidar_pts", "num_radar_pts")


class NuScenesFormat(LabelFormat):
    """nuScenes ``sample_annotation`` records in the LiDAR frame (or the world frame of the ego poses)."""

    id = "nuscenes"
    title = "nuScenes"
    kinds = (CUBOID,)
    layout = (
        "sample_annotation.json (translation, size w l h, rotation w x y z, instance_token), LiDAR frame "
        "(-o boxes=world: world frame); ego_pose.json, sample.json"
    )

    def read(self, source: Path, options: dict[str, str] | None = None) -> Dataset:
        """Read ``sample_annotation.json`` (the file, or a folder holding it and its companions)."""
        path = Path(source)
        if path.is_dir():
            path = path / ANNOTATIONS
        records = load_json(path)
        if not isinstance(records, list):
            raise FormatError(path, "expected a list of sample_annotation records")
        folder = path.parent
        categories = _instance_categories(folder)
        dataset = Dataset("nuScenes", path)
        for token, sample in _samples(folder).items():
            frame = dataset.frame(token)
            stamp = sample.get("timestamp")
            frame.timestamp = (
                float(stamp) if isinstance(stamp, int | float) and not isinstance(stamp, bool) else None
            )
            if isinstance(sample.get("lidar_path"), str) and sample["lidar_path"]:
                cloud = Path(sample["lidar_path"])
                frame.cloud = cloud if cloud.is_absolute() else folder / cloud
        world = box_frame(options, self.id) == WORLD
        poses = _poses(folder, dataset)
        for index, record in enumerate(records):
            field = f"[{index}]"
            try:
                sample_token = str(member(record, "sample_token", path, field))
                obj = _object(record, path, field, categories)
                if world:
                    obj = _from_world(obj, poses.get(sample_token), path, field)
            except FormatError as error:
                dataset.problems.append(error)
                continue
            dataset.frame(sample_token).objects.append(obj)
        for sample_token, pose in poses.items():
            dataset.frame(sample_token).pose = pose
        dataset.sort_frames()
        return dataset

    def exporter(self, context: ExportContext) -> Exporter:
        return NuScenesExporter(context)


def _samples(folder: Path) -> dict[str, dict[str, Any]]:
    path = folder / "sample.json"
    if not path.is_file():
        return {}
    samples = load_json(path)
    if not isinstance(samples, list):
        raise FormatError(path, "expected a list of sample records")
    result = {}
    for index, sample in enumerate(samples):
        token = str(member(sample, "token", path, f"[{index}]"))
        result[token] = sample
    return dict(sorted(result.items(), key=lambda item: natural_key(item[0])))


def _records(path: Path) -> dict[str, dict[str, Any]]:
    """A nuScenes table (a list of records) by token; empty when the file is absent."""
    if not path.is_file():
        return {}
    records = load_json(path)
    if not isinstance(records, list):
        raise FormatError(path, "expected a list of records")
    return {str(r.get("token")): r for r in records if isinstance(r, dict)}


def _poses(folder: Path, dataset: Dataset) -> dict[str, Pose]:
    """Sample token -> LiDAR pose, from ``ego_pose.json`` through the samples or ``sample_data.json``."""
    try:
        ego_poses = _records(folder / "ego_pose.json")
        if not ego_poses:
            return {}
        sensors = _records(folder / "calibrated_sensor.json")
        links: dict[str, tuple[str, str | None]] = {}
        for record in _records(folder / "sample_data.json").values():
            lidar = "LIDAR" in str(record.get("filename", "")).upper() or record.get("fileformat") == "pcd"
            if record.get("is_key_frame") and lidar and record.get("sample_token"):
                links[str(record["sample_token"])] = (
                    str(record.get("ego_pose_token")),
                    record.get("calibrated_sensor_token"),
                )
        for sample_token, sample in _samples(folder).items():
            if sample.get("ego_pose_token"):
                links[sample_token] = (str(sample["ego_pose_token"]), None)
    except FormatError as error:
        dataset.problems.append(error)
        return {}
    poses = {}
    for sample_token, (ego_token, sensor_token) in links.items():
        path = folder / "ego_pose.json"
        try:
            ego = ego_poses.get(ego_token)
            if ego is None:
                raise FormatError(path, f"no ego_pose {ego_token!r} (sample {sample_token!r})")
            pose = pose_from_parts(ego.get("rotation"), ego.get("translation"), path, f"[{ego_token}]")
            sensor = sensors.get(str(sensor_token)) if sensor_token else None
            if sensor is not None:
                path = folder / "calibrated_sensor.json"
                mount = pose_from_parts(
                    sensor.get("rotation"), sensor.get("translation"), path, f"[{sensor_token}]"
                )
                matrix = pose.matrix @ mount.matrix
                pose = Pose(quaternion_from_matrix(matrix[:3, :3]), tuple(matrix[:3, 3]))
        except FormatError as error:
            dataset.problems.append(error)
            continue
        poses[sample_token] = pose
    return poses


def _from_world(obj: SourceObject, pose: Pose | None, path: Path, field: str) -> SourceObject:
    """A world-frame object brought into its frame's LiDAR frame."""
    if pose is None or obj.cuboid is None:
        raise FormatError(
            path, "a world-frame box (-o boxes=world) in a sample without an ego pose", field=field
        )
    return dataclasses.replace(obj, cuboid=from_world(obj.cuboid, pose))


def _instance_categories(folder: Path) -> dict[str, str]:
    """instance token -> category name, from ``instance.json`` (+ ``category.json``) when present."""
    path = folder / "instance.json"
    if not path.is_file():
        return {}
    names = {}
    category_path = folder / "category.json"
    if category_path.is_file():
        names = {
            str(c.get("token")): str(c.get("name")) for c in load_json(category_path) if isinstance(c, dict)
        }
    result = {}
    for instance in load_json(path):
        if not isinstance(instance, dict):
            continue
        name = instance.get("category_name") or names.get(str(instance.get("category_token")))
        if name:
            result[str(instance.get("token"))] = str(name)
    return result


def _object(record: Any, path: Path, field: str, categories: dict[str, str]) -> SourceObject:
    translation = numbers(member(record, "translation", path, field), 3, path, f"{field}.translation")
    width, length, height = numbers(member(record, "size", path, field), 3, path, f"{field}.size")
    w, x, y, z = numbers(member(record, "rotation", path, field), 4, path, f"{field}.rotation")
    try:
        rotation = euler_from_quaternion(w, x, y, z)
    except ValueError as error:
        raise FormatError(path, str(error), field=f"{field}.rotation") from None
    cuboid = checked_cuboid(translation, (length, width, height), rotation, path, field)
    instance = record.get("instance_token")
    track_key = str(instance) if instance not in (None, "") else None
    class_name = record.get("category_name") or record.get("detection_name") or categories.get(str(instance))
    if not class_name:
        raise FormatError(path, "no category_name (nor one through instance.json)", field=field)
    score = record.get("detection_score")
    kept = {key: record[key] for key in _KEPT if key in record}
    return SourceObject(
        str(class_name),
        cuboid=cuboid,
        track_key=track_key,
        attributes={"nuscenes": kept} if kept else {},
        score=finite(score, path, f"{field}.detection_score") if score is not None else None,
    )


def token(*parts: object) -> str:
    """A stable 32-hex token for an export's record."""
    return uuid.uuid5(_TOKENS, "/".join(str(p) for p in parts)).hex


class NuScenesExporter(Exporter):
    """Collects records frame by frame; links and writes them at the end."""

    def __init__(self, context: ExportContext) -> None:
        self.out = context.out
        self.world = box_frame(context.options, "nuscenes") == WORLD
        self.records: list[dict[str, Any]] = []
        self.samples: list[dict[str, Any]] = []
        self.ego_poses: list[dict[str, Any]] = []

    def render_frame(self, labels: FrameLabels) -> FrameOutput:
        """The frame's annotation records, its sample and its ego pose (linked in `finish`)."""
        frame = labels.frame
        pose = frame.pose
        if self.world and pose is None:
            raise FrameError("no ego pose, so no world-frame boxes (-o boxes=world)")
        annotations = labels.cuboids()
        records = []
        for annotation in annotations:
            assert annotation.cuboid is not None
            cuboid = (
                to_world(annotation.cuboid, pose) if self.world and pose is not None else annotation.cuboid
            )
            length, width, height = cuboid.size
            record: dict[str, Any] = {
                "token": token(frame.name, annotation.id),
                "sample_token": frame.name,
                "instance_token": labels.track_name(annotation),
                "category_name": annotation.class_name,
                "translation": [format_number(v, DECIMALS) for v in cuboid.center],
                "size": [format_number(v, DECIMALS) for v in (width, length, height)],
                "rotation": [
                    format_number(v, 9) for v in quaternion_from_euler(cuboid.yaw, cuboid.pitch, cuboid.roll)
                ],
                "attribute_tokens": [],
                "visibility_token": "",
                "prev": "",
                "next": "",
            }
            kept = annotation.attributes.get("nuscenes")
            if isinstance(kept, dict):
                record.update({k: v for k, v in kept.items() if k in _KEPT})
            if annotation.provenance.score is not None:
                record["detection_score"] = annotation.provenance.score
            records.append(record)
        sample = {
            "token": frame.name,
            "timestamp": frame.timestamp,
            "scene_token": "",
            "lidar_path": str(labels.cloud) if labels.cloud is not None else "",
            "prev": "",
            "next": "",
        }
        ego_pose = None
        if pose is not None:
            sample["ego_pose_token"] = token("ego_pose", frame.name)
            ego_pose = {"token": sample["ego_pose_token"], "timestamp": frame.timestamp, **pose_parts(pose)}
        return FrameOutput(frame.name, annotations, partial=(records, sample, ego_pose))

    def accept(self, output: FrameOutput) -> None:
        records, sample, ego_pose = output.partial
        self.records.extend(records)
        self.samples.append(sample)
        if ego_pose is not None:
            self.ego_poses.append(ego_pose)

    def finish(self) -> None:
        instances: dict[str, list[dict[str, Any]]] = {}
        for record in self.records:
            instances.setdefault(record["instance_token"], []).append(record)
        for chain in (*instances.values(), self.samples):
            for earlier, later in itertools.pairwise(chain):
                earlier["next"], later["prev"] = later["token"], earlier["token"]
        instance_records = [
            {
                "token": name,
                "category_name": chain[0]["category_name"],
                "nbr_annotations": len(chain),
                "first_annotation_token": chain[0]["token"],
                "last_annotation_token": chain[-1]["token"],
            }
            for name, chain in instances.items()
        ]
        write_json_atomic(self.out / ANNOTATIONS, self.records, indent=1)
        write_json_atomic(self.out / "instance.json", instance_records, indent=1)
        write_json_atomic(self.out / "sample.json", self.samples, indent=1)
        if self.ego_poses:
            write_json_atomic(self.out / "ego_pose.json", self.ego_poses, indent=1)
