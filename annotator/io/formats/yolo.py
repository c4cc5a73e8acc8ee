"""YOLO (Darknet / Ultralytics) 2D boxes: one ``labels/<image stem>.txt`` per image.

Each line is ``class cx cy w h`` with the centre and size normalised by the image size (an optional
sixth value is a score). Class names come from ``classes.txt`` (one per line) or ``data.yaml``
(``names:`` as a list or an ``index: name`` mapping). Export writes both, six decimals, boxes clipped to
the image; with several cameras each has its own ``<camera>/labels`` folder.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from annotator.core.model.records import Annotation
from annotator.io.errors import FormatError
from annotator.io.formats.base import (
    BOX2D,
    Dataset,
    ExportContext,
    Exporter,
    FrameLabels,
    FrameOutput,
    LabelFormat,
    SourceObject,
)
from annotator.io.formats.boxes2d import (
    CameraFilesExporter,
    CameraFolders,
    box_object,
    camera_images,
    corner_box,
    find_image,
    image_size,
)
from annotator.io.formats.files import finite, natural_key, read_text, write_text_atomic
from annotator.io.frames import DEFAULT_CAMERA

logger = logging.getLogger(__name__)

DECIMALS = 6


class YoloFormat(LabelFormat):
    """YOLO txt labels with ``classes.txt`` / ``data.yaml``."""

    id = "yolo"
    title = "YOLO"
    kinds = (BOX2D,)
    layout = "labels/<image>.txt (class cx cy w h, normalised) + classes.txt / data.yaml; images/ beside"

    def read(self, source: Path, options: dict[str, str] | None = None) -> Dataset:
        """Read a YOLO folder: ``labels/`` (or ``<camera>/labels/``, or the folder itself) and images."""
        source = Path(source)
        if not source.is_dir():
            raise FormatError(source, "expected a YOLO folder (labels/, images/, classes.txt or data.yaml)")
        names = read_class_names(source)
        dataset = Dataset("YOLO", source, classes=dict.fromkeys(names))
        default_camera = (options or {}).get("camera") or DEFAULT_CAMERA
        for camera, labels_dir in _label_folders(source, default_camera):
            for label_path in sorted(labels_dir.rglob("*.txt"), key=lambda p: natural_key(p.stem)):
                if label_path.name == "classes.txt":
                    continue
                _read_label_file(dataset, label_path, labels_dir, camera, names)
        dataset.sort_frames()
        return dataset

    def exporter(self, context: ExportContext) -> Exporter:
        return YoloExporter(context)


def _label_folders(source: Path, default_camera: str) -> list[tuple[str, Path]]:
    if (source / "labels").is_dir():
        return [(default_camera, source / "labels")]
    per_camera = sorted(p for p in source.iterdir() if (p / "labels").is_dir())
    if per_camera:
        return [(p.name, p / "labels") for p in per_camera]
    return [(default_camera, source)]


def _read_label_file(
    dataset: Dataset, label_path: Path, labels_dir: Path, camera: str, names: list[str]
) -> None:
    relative = label_path.relative_to(labels_dir).parent
    image_dirs = [labels_dir.parent / "images" / relative, label_path.parent, labels_dir.parent]
    image = find_image(label_path.stem, image_dirs)
    if image is None:
        raise FormatError(label_path, "no image of the same name found (needed for the image size)")
    width, height = image_size(image)
    frame = dataset.frame(label_path.stem)
    frame.images[camera] = image
    for number, line in enumerate(read_text(label_path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            frame.objects.append(_parse_line(line, label_path, number, camera, names, width, height))
        except FormatError as error:
            dataset.problems.append(error)


def _parse_line(
    line: str, path: Path, number: int, camera: str, names: list[str], width: int, height: int
) -> SourceObject:
    fields = line.split()
    if len(fields) not in (5, 6):
        raise FormatError(
            path, f"expected 5 or 6 values (class cx cy w h [score]), got {len(fields)}", line=number
        )
    try:
        class_id = int(fields[0])
    except ValueError:
        raise FormatError(
            path, f"class must be an integer, got {fields[0]!r}", line=number, field="class"
        ) from None
    if not 0 <= class_id < len(names):
        raise FormatError(path, f"class {class_id} is not in 0-{len(names) - 1}", line=number, field="class")
    cx, cy, w, h = (finite(v, path, key, number) for v, key in zip(fields[1:5], ("cx", "cy", "w", "h")))
    score = finite(fields[5], path, "score", number) if len(fields) == 6 else None
    box = corner_box(
        (cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height,
        path, "w h", number,
    )  # fmt: skip
    return box_object(names[class_id], box, camera, score=score)


def read_class_names(source: Path) -> list[str]:
    """Class names from ``classes.txt`` (or ``obj.names``) or ``data.yaml`` in ``source``."""
    for name in ("classes.txt", "obj.names"):
        if (source / name).is_file():
            return [line.strip() for line in read_text(source / name).splitlines() if line.strip()]
    for yaml_path in sorted(source.glob("*.yaml")) + sorted(source.glob("*.yml")):
        names = _yaml_names(yaml_path)
        if names is not None:
            return names
    raise FormatError(source, "no classes.txt, obj.names or data.yaml with 'names:' found")


_ITEM = re.compile(r"^\s+(?:-\s*(?P<item>.+)|(?P<key>\d+)\s*:\s*(?P<value>.+))$")


def _yaml_names(path: Path) -> list[str] | None:
    """``names`` of a YOLO data.yaml: a flow list, a block list or an ``index: name`` mapping."""
    lines = read_text(path).splitlines()
    for index, line in enumerate(lines):
        if not line.startswith("names:"):
            continue
        rest = line[len("names:") :].split("#")[0].strip()
        if rest.startswith("["):
            return [_unquote(part) for part in rest.strip("[]").split(",") if part.strip()]
        entries: dict[int, str] = {}
        for item_line in lines[index + 1 :]:
            if not item_line.strip() or item_line.lstrip().startswith("#"):
                continue
            match = _ITEM.match(item_line)
            if match is None:
                break
            if match["item"] is not None:
                entries[len(entries)] = _unquote(match["item"])
            else:
                entries[int(match["key"])] = _unquote(match["value"])
        if sorted(entries) != list(range(len(entries))):
            raise FormatError(path, "class indices must run 0, 1, 2, ... without gaps", field="names")
        return [entries[i] for i in range(len(entries))]
    return None


def _unquote(text: str) -> str:
    return text.split(" #")[0].strip().strip("'\"")


class YoloExporter(CameraFilesExporter):
    """Writes ``labels/<image stem>.txt`` per camera image, then ``classes.txt`` and ``data.yaml``."""

    def __init__(self, context: ExportContext) -> None:
        self.out = context.out
        self.classes = list(context.classes)
        self.folders = CameraFolders(context, "labels", "images")
        self.class_ids = {name: i for i, name in enumerate(context.classes)}

    def render_frame(self, labels: FrameLabels) -> FrameOutput:
        written: list[Annotation] = []
        files = []
        images = camera_images(labels)
        for image in images:
            lines = []
            for annotation in image.annotations:
                box = annotation.box2d.clipped(image.width, image.height)  # type: ignore[union-attr]
                if box is None:
                    continue
                cx, cy = box.center
                values = (
                    cx / image.width,
                    cy / image.height,
                    box.width / image.width,
                    box.height / image.height,
                )
                lines.append(
                    f"{self.class_ids[annotation.class_name]} "
                    + " ".join(f"{v:.{DECIMALS}f}" for v in values)
                )
                written.append(annotation)
            path = self.folders(image.camera) / f"{image.stem(labels.frame.name)}.txt"
            files.append((path, "".join(line + "\n" for line in lines).encode("utf-8")))
        placed = [(image.camera, image.path) for image in images if image.path is not None]
        return FrameOutput(labels.frame.name, written, files, images=placed)

    def finish(self) -> None:
        out = self.out
        write_text_atomic(out / "classes.txt", "".join(f"{name}\n" for name in self.classes))
        names = "".join(f"  {i}: {_yaml_quote(name)}\n" for i, name in enumerate(self.classes))
        images = [
            self.folders(camera, "images").relative_to(out).as_posix() for camera in self.folders.cameras
        ]
        listed = images[0] if len(images) == 1 else "[" + ", ".join(images) + "]"
        text = f"# written by annotator\npath: {_yaml_quote(str(out.absolute()))}\ntrain: {listed}\nval: {listed}\n"
        write_text_atomic(out / "data.yaml", f"{text}nc: {len(self.classes)}\nnames:\n{names}")


def _yaml_quote(name: str) -> str:
    plain = re.fullmatch(r"[A-Za-z0-9_./\- ]+", name) is not None and name == name.strip()
    return name if plain else '"' + name.replace('"', "'") + '"'
