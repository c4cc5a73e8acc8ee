"""COCO object detection JSON: one file with ``images``, ``annotations`` and ``categories``.

Boxes are ``[x, y, width, height]`` in pixels from the top-left corner; category ids start at 1 in the
export's class order. Export writes ``annotations.json``; each image's ``file_name`` is the image's
absolute path (loaders join it onto their image root, which keeps an absolute path) and carries the
frame and camera it belongs to (``frame``, ``camera``) and each annotation its object id
(``attributes.track_id``), so an import restores frames, cameras and tracks.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from annotator.io.errors import FormatError
from annotator.io.formats.base import (
    BOX2D,
    Dataset,
    ExportContext,
    Exporter,
    FrameLabels,
    FrameOutput,
    LabelFormat,
)
from annotator.io.formats.boxes2d import box_object, camera_images, corner_box
from annotator.io.formats.files import (
    finite,
    format_number,
    integer,
    load_json,
    member,
    numbers,
    write_json_atomic,
)
from annotator.io.frames import DEFAULT_CAMERA

logger = logging.getLogger(__name__)

FILE_NAME = "annotations.json"
DECIMALS = 2


class CocoFormat(LabelFormat):
    """COCO detection JSON."""

    id = "coco"
    title = "COCO"
    kinds = (BOX2D,)
    layout = "one JSON (images, annotations, categories), boxes [x, y, w, h] in pixels"

    def read(self, source: Path, options: dict[str, str] | None = None) -> Dataset:
        """Read a COCO JSON file (or the only/``annotations.json`` JSON in a folder)."""
        path = _json_file(Path(source))
        data = load_json(path)
        categories: dict[int, str] = {}
        for i, category in enumerate(member(data, "categories", path, "", list)):
            field = f"categories[{i}]"
            categories[integer(member(category, "id", path, field), path, f"{field}.id")] = member(
                category, "name", path, field, str
            )
        dataset = Dataset("COCO", path, classes=dict.fromkeys(categories.values()))
        default_camera = (options or {}).get("camera") or DEFAULT_CAMERA
        images: dict[int, tuple[str, str]] = {}
        missing = 0
        for i, image in enumerate(member(data, "images", path, "", list)):
            image_id, frame_name, camera, image_path = _image(image, path, f"images[{i}]", default_camera)
            images[image_id] = (frame_name, camera)
            frame = dataset.frame(frame_name)
            if image_path is not None:
                frame.images[camera] = image_path
            else:
                missing += 1
        if missing:
            logger.warning("%s: %d of its images were not found; their frames have no image", path, missing)
        for i, entry in enumerate(member(data, "annotations", path, "", list)):
            try:
                frame_name, obj = _annotation(entry, path, f"annotations[{i}]", images, categories)
            except FormatError as error:
                dataset.problems.append(error)
                continue
            dataset.frame(frame_name).objects.append(obj)
        dataset.sort_frames()
        return dataset

    def exporter(self, context: ExportContext) -> Exporter:
        return CocoExporter(context)


def _json_file(source: Path) -> Path:
    if source.is_file():
        return source
    if not source.is_dir():
        raise FormatError(source, "no such file or folder")
    for candidate in (
        source / FILE_NAME,
        *sorted(source.glob("annotations/*.json")),
        *sorted(source.glob("*.json")),
    ):
        if candidate.is_file():
            return candidate
    raise FormatError(source, "no COCO JSON file in this folder")


def _image(image: Any, path: Path, field: str, default_camera: str) -> tuple[int, str, str, Path | None]:
    image_id = integer(member(image, "id", path, field), path, f"{field}.id")
    file_name = member(image, "file_name", path, field, str)
    candidates = (
        [Path(file_name)]
        if Path(file_name).is_absolute()
        else [
            path.parent / file_name,
            path.parent / "images" / file_name,
            path.parent.parent / "images" / file_name,
        ]
    )
    image_path = next((c for c in candidates if c.is_file()), None)
    frame_name = str(image.get("frame") or Path(file_name).stem)
    camera = str(image.get("camera") or default_camera)
    return image_id, frame_name, camera, image_path


def _annotation(
    entry: Any, path: Path, field: str, images: dict[int, tuple[str, str]], categories: dict[int, str]
) -> tuple[str, Any]:
    image_id = integer(member(entry, "image_id", path, field), path, f"{field}.image_id")
    if image_id not in images:
        raise FormatError(path, f"no image with id {image_id}", field=f"{field}.image_id")
    category_id = integer(member(entry, "category_id", path, field), path, f"{field}.category_id")
    if category_id not in categories:
        raise FormatError(path, f"no category with id {category_id}", field=f"{field}.category_id")
    x, y, w, h = numbers(member(entry, "bbox", path, field), 4, path, f"{field}.bbox")
    box = corner_box(x, y, x + w, y + h, path, f"{field}.bbox")
    attributes = entry.get("attributes") if isinstance(entry.get("attributes"), dict) else {}
    track = attributes.get("track_id", entry.get("track_id"))
    score = finite(entry["score"], path, f"{field}.score") if entry.get("score") is not None else None
    frame_name, camera = images[image_id]
    obj = box_object(categories[category_id], box, camera, None if track is None else str(track), score)
    return frame_name, obj


class CocoExporter(Exporter):
    """Collects images and annotations frame by frame; writes one JSON at the end."""

    def __init__(self, context: ExportContext) -> None:
        self.out = context.out
        self.category_ids = {name: i for i, name in enumerate(context.classes, start=1)}
        self.images: list[dict[str, Any]] = []
        self.annotations: list[dict[str, Any]] = []

    def render_frame(self, labels: FrameLabels) -> FrameOutput:
        """The frame's images, each with its annotation entries; ids are given in `accept`."""
        images, written = [], []
        for image in camera_images(labels):
            file_name = str(image.path) if image.path is not None else f"{labels.frame.name}_{image.camera}"
            record = {
                "file_name": file_name,
                "width": image.width,
                "height": image.height,
                "frame": labels.frame.name,
                "camera": image.camera,
            }
            entries = []
            for annotation in image.annotations:
                box = annotation.box2d
                bbox = [format_number(v, DECIMALS) for v in (box.x1, box.y1, box.width, box.height)]  # type: ignore[union-attr]
                entry: dict[str, Any] = {
                    "category_id": self.category_ids[annotation.class_name],
                    "bbox": bbox,
                    "area": format_number(bbox[2] * bbox[3], DECIMALS),
                    "iscrowd": 0,
                    "attributes": {"track_id": labels.track_name(annotation)},
                }
                if annotation.provenance.score is not None:
                    entry["score"] = annotation.provenance.score
                entries.append(entry)
                written.append(annotation)
            images.append((record, entries))
        return FrameOutput(labels.frame.name, written, partial=images)

    def accept(self, output: FrameOutput) -> None:
        for record, entries in output.partial:
            image_id = len(self.images) + 1
            self.images.append({"id": image_id, **record})
            for entry in entries:
                self.annotations.append({"id": len(self.annotations) + 1, "image_id": image_id, **entry})

    def finish(self) -> None:
        categories = [{"id": i, "name": name, "supercategory": ""} for name, i in self.category_ids.items()]
        data = {
            "info": {"description": "exported by annotator"},
            "images": self.images,
            "annotations": self.annotations,
            "categories": categories,
        }
        write_json_atomic(self.out / FILE_NAME, data, indent=None)
