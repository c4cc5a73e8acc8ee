"""Argoverse 1.1 tracking logs (import): ``lidar/PC_<ts>.ply``, ``per_sweep_annotations_amodal/
tracked_object_labels_<ts>.json``, ``poses/city_SE3_egovehicle_<ts>.json``.

Everything is in the ego-vehicle frame (x forward, y left, z up, metres), which is the core's LiDAR frame.
A label is an amodal cuboid: ``center`` (box centre), ``rotation`` (quaternion w, x, y, z), ``length``,
``width``, ``height``, ``track_label_uuid`` (the object's identity: objects with one uuid become one track)
and ``label_class``. A pose (``rotation`` [qw, qx, qy, qz], ``translation``) maps the sweep into the city
frame and is stored with the frame. ``<ts>`` is the sweep's time in nanoseconds (the frame's timestamp, in
seconds). Classes map to the default schema (`CLASS_MAP`); others keep their Argoverse name.

Options: ``max_range=M`` keeps the labels whose centre lies within M metres (bird's-eye view) and
``min_points=N`` those holding at least N points of their sweep: amodal logs also label far and fully
occluded objects that an annotator would never draw. Problems are reported per file and the rest imports:
a sweep whose label file is missing or malformed is skipped; a missing or malformed pose leaves its frame
without a pose.
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path
from typing import Any

from annotator.core.cuboids.point_index import PointIndex
from annotator.core.errors import AnnotatorError
from annotator.core.pose import Pose
from annotator.io.errors import FormatError
from annotator.io.formats.base import CUBOID, Dataset, LabelFormat, SourceFrame, SourceObject
from annotator.io.formats.files import checked_cuboid, finite, load_json, member, numbers
from annotator.io.formats.rotation import euler_from_quaternion
from annotator.io.pointcloud import read_point_cloud

logger = logging.getLogger(__name__)

#: Argoverse classes with a counterpart in the default schema; the others keep their own name.
CLASS_MAP = {
    "VEHICLE": "Car",
    "LARGE_VEHICLE": "Truck",
    "BUS": "Truck",
    "PEDESTRIAN": "Pedestrian",
    "BICYCLIST": "Cyclist",
    "MOTORCYCLIST": "Cyclist",
}
LIDAR, LABELS, POSES = "lidar", "per_sweep_annotations_amodal", "poses"
_SWEEP = re.compile(r"^PC_(\d+)\.ply$")
_LABEL = re.compile(r"^tracked_object_labels_(\d+)\.json$")
_POSE = re.compile(r"^city_SE3_egovehicle_(\d+)\.json$")


class ArgoverseFormat(LabelFormat):
    """Argoverse 1.1 tracking logs (one log folder)."""

    id = "argoverse"
    title = "Argoverse 1.1"
    kinds = (CUBOID,)
    layout = "lidar/PC_<ts>.ply + per_sweep_annotations_amodal/*.json (amodal cuboids, track uuids) + poses/"
    can_export = False

    def read(self, source: Path, options: dict[str, str] | None = None) -> Dataset:
        """Read one log folder (import only)."""
        root = Path(source)
        if not (root / LIDAR).is_dir():
            raise FormatError(root, f"not an Argoverse log (no {LIDAR}/ folder)")
        max_range, min_points = _filters(options or {})
        dataset = Dataset("Argoverse", root)
        sweeps = _by_timestamp(root / LIDAR, _SWEEP)
        labels = _by_timestamp(root / LABELS, _LABEL)
        poses = _by_timestamp(root / POSES, _POSE)
        for stamp in sorted(sweeps):
            if stamp not in labels:
                dataset.problems.append(FormatError(sweeps[stamp], "sweep without labels: skipped"))
                continue
            try:
                objects = _read_labels(labels[stamp], dataset)
            except FormatError as error:
                dataset.problems.append(
                    FormatError(error.path, f"{error.problem}; sweep skipped", field=error.field)
                )
                continue
            frame = dataset.frame(sweeps[stamp].stem)
            frame.cloud = sweeps[stamp]
            frame.timestamp = stamp / 1e9
            frame.meta["argoverse_timestamp"] = str(stamp)
            frame.pose = _read_pose(poses.get(stamp), root / POSES, stamp, dataset)
            frame.objects = _filtered(objects, frame, max_range, min_points, dataset)
        for stamp in sorted(set(labels) - set(sweeps)):
            dataset.problems.append(FormatError(labels[stamp], "labels without a sweep: skipped"))
        return dataset


def _filters(options: dict[str, str]) -> tuple[float | None, int | None]:
    """``max_range`` (m) and ``min_points`` from the options (None when not given)."""
    unknown = set(options) - {"max_range", "min_points", "variant", "camera"}
    if unknown:
        raise AnnotatorError(f"format argoverse: unknown option(s) {', '.join(sorted(unknown))}; "
                             "known: max_range=M, min_points=N")  # fmt: skip
    try:
        max_range = float(options["max_range"]) if "max_range" in options else None
        min_points = int(options["min_points"]) if "min_points" in options else None
    except ValueError as error:
        raise AnnotatorError(f"format argoverse: bad option value ({error})") from None
    if max_range is not None and not (math.isfinite(max_range) and max_range > 0):
        raise AnnotatorError("format argoverse: max_range must be a positive number of metres")
    if min_points is not None and min_points < 0:
        raise AnnotatorError("format argoverse: min_points must be >= 0")
    return max_range, min_points


def _by_timestamp(folder: Path, pattern: re.Pattern[str]) -> dict[int, Path]:
    """Files of ``folder`` whose name matches ``pattern``, by the timestamp in their name."""
    if not folder.is_dir():
        return {}
    found = {}
    for path in folder.iterdir():
        match = pattern.match(path.name)
        if match and path.is_file():
            found[int(match.group(1))] = path
    return found


def _read_labels(path: Path, dataset: Dataset) -> list[SourceObject]:
    """The objects of one label file (malformed objects go to ``dataset.problems``)."""
    data = load_json(path)
    if not isinstance(data, list):
        raise FormatError(path, "expected a list of labelled objects")
    objects = []
    for index, entry in enumerate(data):
        try:
            objects.append(_object(entry, path, f"[{index}]"))
        except FormatError as error:
            dataset.problems.append(error)
    return objects


def _object(entry: Any, path: Path, field: str) -> SourceObject:
    centre = member(entry, "center", path, field, dict)
    position = [finite(centre.get(axis), path, f"{field}.center.{axis}") for axis in "xyz"]
    rotation = member(entry, "rotation", path, field, dict)
    quaternion = [finite(rotation.get(axis), path, f"{field}.rotation.{axis}") for axis in "wxyz"]
    if math.hypot(*quaternion) < 1e-9:
        raise FormatError(path, "zero quaternion", field=f"{field}.rotation")
    size = [
        finite(member(entry, key, path, field), path, f"{field}.{key}")
        for key in ("length", "width", "height")
    ]
    cuboid = checked_cuboid(position, size, euler_from_quaternion(*quaternion), path, field)
    source_class = str(member(entry, "label_class", path, field)).strip()
    if not source_class:
        raise FormatError(path, "empty class", field=f"{field}.label_class")
    uuid = entry.get("track_label_uuid")
    attributes = {"argoverse_class": source_class} if source_class in CLASS_MAP else {}
    return SourceObject(
        CLASS_MAP.get(source_class, source_class),
        cuboid=cuboid,
        track_key=str(uuid) if uuid not in (None, "") else None,
        attributes=attributes,
    )


def _read_pose(path: Path | None, folder: Path, stamp: int, dataset: Dataset) -> Pose | None:
    """The sweep's ego pose, or None with a problem reported."""
    if path is None:
        dataset.problems.append(FormatError(folder / f"city_SE3_egovehicle_{stamp}.json", "missing pose"))
        return None
    try:
        data = load_json(path)
        rotation = numbers(member(data, "rotation", path, ""), 4, path, "rotation")
        translation = numbers(member(data, "translation", path, ""), 3, path, "translation")
        return Pose(tuple(rotation), tuple(translation))
    except FormatError as error:
        dataset.problems.append(error)
    except ValueError as error:
        dataset.problems.append(FormatError(path, str(error)))
    return None


def _filtered(
    objects: list[SourceObject],
    frame: SourceFrame,
    max_range: float | None,
    min_points: int | None,
    dataset: Dataset,
) -> list[SourceObject]:
    """``objects`` within ``max_range`` and holding at least ``min_points`` points of the frame's sweep."""
    kept = objects
    if max_range is not None:
        kept = [o for o in kept if o.cuboid is not None and math.hypot(*o.cuboid.center[:2]) <= max_range]
    if min_points and kept:
        assert frame.cloud is not None
        try:
            points = read_point_cloud(frame.cloud).xyz
        except FormatError as error:
            dataset.problems.append(error)
            return kept
        index = PointIndex(points)
        kept = [o for o in kept if o.cuboid is not None and index.count_inside(o.cuboid) >= min_points]
    return kept
