"""labelCloud JSON labels: ``labels/<cloud stem>.json`` beside ``pointclouds/``, ``labels/_classes.json``.

Three variants, named in ``_classes.json`` (``format``), chosen with ``--variant``, or else guessed
per file (`guess_variant`):

- ``centroid_rel``: ``centroid``, ``dimensions`` (length, width, height) and ``rotations`` (x, y, z) in
  radians, -pi..pi (labelCloud's default);
- ``centroid_abs``: the same with rotations in degrees, 0..360;
- ``vertices``: the 8 corners (labelCloud's order: bottom ``-l-w, -l+w, +l+w, +l-w``, then the top).

labelCloud rotates ``Rz(z) @ Ry(y) @ Rx(x)`` (the core's yaw, pitch, roll). Class colours from
``_classes.json`` become the project's colours for classes it lacks.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np

from annotator import __version__
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.rotation import euler_from_matrix, wrap_angle
from annotator.core.model.records import Annotation
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
from annotator.io.formats.files import (
    checked_cuboid,
    finite,
    format_number,
    json_bytes,
    load_json,
    member,
    natural_key,
    numbers,
    write_json_atomic,
)
from annotator.io.frames import cloud_suffix, frame_stem

logger = logging.getLogger(__name__)

VARIANTS = ("centroid_rel", "centroid_abs", "vertices")
CLASSES_FILE = "_classes.json"
DECIMALS = 6
#: labelCloud's vertex order as signs of (length, width, height) halves.
VERTEX_SIGNS = np.array(
    [[-1, -1, -1], [-1, 1, -1], [1, 1, -1], [1, -1, -1], [-1, -1, 1], [-1, 1, 1], [1, 1, 1], [1, -1, 1]],
    dtype=np.float64,
)


class LabelCloudFormat(LabelFormat):
    """labelCloud object-detection labels."""

    id = "labelcloud"
    title = "labelCloud"
    kinds = (CUBOID,)
    layout = (
        "labels/<cloud>.json (centroid + dimensions + rotations, or vertices) + _classes.json; pointclouds/"
    )
    variants = VARIANTS

    def read(self, source: Path, options: dict[str, str] | None = None) -> Dataset:
        """Read a labelCloud folder (holding ``labels/`` and ``pointclouds/``) or its ``labels/`` folder."""
        root = Path(source)
        labels_dir = root / "labels" if (root / "labels").is_dir() else root
        clouds_dir = labels_dir.parent / "pointclouds"
        if not labels_dir.is_dir():
            raise FormatError(root, "not a labelCloud folder (no labels/)")
        classes, declared = _read_classes(labels_dir / CLASSES_FILE)
        variant = (options or {}).get("variant") or declared
        if variant is not None and variant not in VARIANTS:
            raise FormatError(labels_dir / CLASSES_FILE, f"unknown format {variant!r}", field="format")
        dataset = Dataset("labelCloud", root, classes=classes)
        clouds = (
            sorted(p for p in clouds_dir.iterdir() if p.is_file() and cloud_suffix(p))
            if clouds_dir.is_dir()
            else []
        )
        labels = {p.stem: p for p in labels_dir.glob("*.json") if p.name != CLASSES_FILE}
        found = [
            (frame_stem(p), p, labels.pop(p.stem, None) or labels.pop(frame_stem(p), None)) for p in clouds
        ]
        found += [(stem, None, path) for stem, path in labels.items()]  # labels whose cloud is elsewhere
        for name, cloud, label in sorted(found, key=lambda item: natural_key(item[0])):
            frame = dataset.frame(name)
            frame.cloud = cloud
            if label is not None:
                _read_label(dataset, label, variant, frame.objects)
        return dataset

    def exporter(self, context: ExportContext) -> Exporter:
        return LabelCloudExporter(context, self.variant(context.options))


def _read_classes(path: Path) -> tuple[dict[str, tuple[int, int, int] | None], str | None]:
    if not path.is_file():
        return {}, None
    data = load_json(path)
    classes: dict[str, tuple[int, int, int] | None] = {}
    for index, entry in enumerate(member(data, "classes", path, "", list)):
        name = member(entry, "name", path, f"classes[{index}]", str)
        classes[name] = _rgb(entry.get("color"))
    variant = data.get("format")
    return classes, str(variant) if variant is not None else None


def _rgb(color: Any) -> tuple[int, int, int] | None:
    if isinstance(color, str) and len(color) == 7 and color.startswith("#"):
        try:
            return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)
        except ValueError:
            return None
    return None


def _read_label(dataset: Dataset, path: Path, variant: str | None, objects: list[SourceObject]) -> None:
    data = load_json(path)
    entries = member(data, "objects", path, "", list)
    variant = variant or guess_variant(entries)
    for index, entry in enumerate(entries):
        field = f"objects[{index}]"
        try:
            name = member(entry, "name", path, field, str)
            if variant == "vertices":
                cuboid = cuboid_from_vertices(
                    member(entry, "vertices", path, field), path, f"{field}.vertices"
                )
            else:
                cuboid = _centroid_cuboid(entry, path, field, degrees=variant == "centroid_abs")
            objects.append(SourceObject(name, cuboid=cuboid))
        except FormatError as error:
            dataset.problems.append(error)


def guess_variant(entries: list[Any]) -> str:
    """The variant of a label file without ``_classes.json``: corners, else degrees when an angle > pi.

    labelCloud writes relative rotations in -pi..pi and absolute ones in 0..360 degrees, so an angle
    above pi can only be degrees; files whose angles are all small read the same either way for 0.
    """
    if any(isinstance(e, dict) and "vertices" in e for e in entries):
        return "vertices"
    for entry in entries:
        rotations = entry.get("rotations") if isinstance(entry, dict) else None
        values = rotations.values() if isinstance(rotations, dict) else ()
        if any(isinstance(v, int | float) and abs(v) > math.pi for v in values):
            return "centroid_abs"
    return "centroid_rel"


def _values(entry: Any, key: str, names: tuple[str, str, str], path: Path, field: str) -> list[float]:
    value = member(entry, key, path, field, dict)
    return [finite(value.get(name), path, f"{field}.{key}.{name}") for name in names]


def _centroid_cuboid(entry: Any, path: Path, field: str, degrees: bool) -> Cuboid:
    centre = _values(entry, "centroid", ("x", "y", "z"), path, field)
    size = _values(entry, "dimensions", ("length", "width", "height"), path, field)
    roll, pitch, yaw = _values(entry, "rotations", ("x", "y", "z"), path, field)
    if degrees:
        roll, pitch, yaw = (math.radians(a) for a in (roll, pitch, yaw))
    return checked_cuboid(centre, size, (yaw, pitch, roll), path, field)


def cuboid_from_vertices(value: Any, path: Path, field: str) -> Cuboid:
    """The cuboid of 8 corners in labelCloud's order (axes taken from the corners, re-orthogonalised)."""
    corners = np.reshape(
        [numbers(v, 3, path, f"{field}[{i}]") for i, v in enumerate(_eight(value, path, field))], (8, 3)
    )
    axes = np.stack([corners[3] - corners[0], corners[1] - corners[0], corners[4] - corners[0]], axis=1)
    size = np.linalg.norm(axes, axis=0)
    if np.any(size <= 0):
        raise FormatError(path, "corners 0, 1, 3 and 4 must differ (a flat box)", field=field)
    u, _, vt = np.linalg.svd(axes / size)
    rotation = u @ vt
    if np.linalg.det(rotation) < 0:
        raise FormatError(path, "corners are mirrored (not in labelCloud's order)", field=field)
    yaw, pitch, roll = euler_from_matrix(rotation)
    return checked_cuboid(corners.mean(axis=0), size, (yaw, pitch, roll), path, field)


def _eight(value: Any, path: Path, field: str) -> list[Any]:
    if not isinstance(value, list) or len(value) != 8:
        raise FormatError(path, "expected a list of 8 corners", field=field)
    return value


def vertices_of(cuboid: Cuboid) -> np.ndarray:
    """The 8 corners of a cuboid in labelCloud's order."""
    return cuboid.box_to_world(VERTEX_SIGNS * (np.asarray(cuboid.size) / 2.0))


class LabelCloudExporter(Exporter):
    """Writes ``labels/<cloud stem>.json`` per frame and ``labels/_classes.json``."""

    def __init__(self, context: ExportContext, variant: str) -> None:
        self.variant = variant
        self.folder = context.out / "labels"
        schema = context.project.schema
        self.colors: dict[str, tuple[int, int, int]] = {}  # class name -> colour, in the export's class order
        for name in context.classes:
            label_class = schema.get(name)
            self.colors[name] = label_class.color if label_class is not None else (200, 200, 200)

    def render_frame(self, labels: FrameLabels) -> FrameOutput:
        cloud = labels.cloud
        stem = Path(cloud).stem if cloud is not None else labels.frame.name
        annotations = labels.cuboids()
        data = {
            "folder": cloud.parent.name if cloud is not None else "pointclouds",
            "filename": cloud.name if cloud is not None else "",
            "path": str(cloud) if cloud is not None else "",
            "objects": [self._object(a) for a in annotations],
        }
        file = (self.folder / f"{stem}.json", json_bytes(data, indent="\t"))
        return FrameOutput(labels.frame.name, annotations, [file])

    def _object(self, annotation: Annotation) -> dict[str, Any]:
        cuboid = annotation.cuboid
        assert cuboid is not None
        if self.variant == "vertices":
            corners = [[format_number(v, DECIMALS) for v in row] for row in vertices_of(cuboid).tolist()]
            return {"name": annotation.class_name, "vertices": corners}
        angles = (cuboid.roll, cuboid.pitch, cuboid.yaw)
        if self.variant == "centroid_abs":
            angles = tuple(math.degrees(a) % 360.0 for a in angles)
        else:
            angles = tuple(wrap_angle(a) for a in angles)
        return {
            "name": annotation.class_name,
            "centroid": {k: format_number(v, DECIMALS) for k, v in zip("xyz", cuboid.center)},
            "dimensions": {
                k: format_number(v, DECIMALS) for k, v in zip(("length", "width", "height"), cuboid.size)
            },
            "rotations": {k: format_number(v, DECIMALS) for k, v in zip("xyz", angles)},
        }

    def finish(self) -> None:
        classes = []
        for index, (name, (red, green, blue)) in enumerate(self.colors.items()):
            classes.append({"name": name, "id": index, "color": f"#{red:02x}{green:02x}{blue:02x}"})
        data = {
            "classes": classes,
            "default": 0,
            "type": "object_detection",
            "format": self.variant,
            "created_with": {"name": "annotator", "version": __version__},
        }
        write_json_atomic(self.folder / CLASSES_FILE, data, indent=4)
