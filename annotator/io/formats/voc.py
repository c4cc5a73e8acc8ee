"""Pascal VOC XML: one ``Annotations/<image stem>.xml`` per image.

Coordinates are VOC's 1-based pixel indices (``xmin = x1 + 1``, ``xmax = x2``; integers on export, any
number read). ``truncated``/``difficult``/``pose`` are kept in the annotation's ``voc`` attributes and
written back. With several cameras each has its own ``<camera>/Annotations`` folder.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ElementTree
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
)
from annotator.io.formats.files import finite, natural_key, read_text
from annotator.io.frames import DEFAULT_CAMERA

logger = logging.getLogger(__name__)

FOLDER = "Annotations"


class VocFormat(LabelFormat):
    """Pascal VOC XML per image."""

    id = "voc"
    title = "Pascal VOC"
    kinds = (BOX2D,)
    layout = "Annotations/<image>.xml per image (xmin ymin xmax ymax, 1-based pixels); JPEGImages/ beside"

    def read(self, source: Path, options: dict[str, str] | None = None) -> Dataset:
        """Read VOC XML files: ``Annotations/`` (or ``<camera>/Annotations/``), or one XML file."""
        source = Path(source)
        default_camera = (options or {}).get("camera") or DEFAULT_CAMERA
        dataset = Dataset("Pascal VOC", source)
        for camera, path in _xml_files(source, default_camera):
            _read_xml(dataset, path, camera)
        dataset.sort_frames()
        return dataset

    def exporter(self, context: ExportContext) -> Exporter:
        return VocExporter(context)


def _xml_files(source: Path, default_camera: str) -> list[tuple[str, Path]]:
    if source.is_file():
        return [(default_camera, source)]
    if not source.is_dir():
        raise FormatError(source, "no such file or folder")
    if (source / FOLDER).is_dir():
        folders = [(default_camera, source / FOLDER)]
    else:
        folders = [(p.name, p / FOLDER) for p in sorted(source.iterdir()) if (p / FOLDER).is_dir()]
        folders = folders or [(default_camera, source)]
    files = [
        (camera, p)
        for camera, folder in folders
        for p in sorted(folder.glob("*.xml"), key=lambda p: natural_key(p.stem))
    ]
    if not files:
        raise FormatError(source, f"no VOC XML files (looked in {FOLDER}/ and the folder itself)")
    return files


def _read_xml(dataset: Dataset, path: Path, camera: str) -> None:
    try:
        root = ElementTree.fromstring(read_text(path))
    except ElementTree.ParseError as error:
        raise FormatError(path, f"not valid XML ({error})", line=error.position[0]) from None
    if root.tag != "annotation":
        raise FormatError(path, f"root element is <{root.tag}>, expected <annotation>")
    frame = dataset.frame(path.stem)
    image = _image_path(root, path)
    if image is not None:
        frame.images[camera] = image
    for index, element in enumerate(root.findall("object")):
        try:
            obj = _object(element, path, f"object[{index}]", camera)
        except FormatError as error:
            dataset.problems.append(error)
            continue
        dataset.classes.setdefault(obj.class_name, None)
        frame.objects.append(obj)


def _image_path(root: ElementTree.Element, path: Path) -> Path | None:
    stored = root.findtext("path")
    if stored and Path(stored).is_file():
        return Path(stored)
    file_name = root.findtext("filename") or ""
    folders = [path.parent.parent / "JPEGImages", path.parent.parent / "images", path.parent]
    found = next((f / file_name for f in folders if file_name and (f / file_name).is_file()), None)
    return found or find_image(path.stem, folders)


def _object(element: ElementTree.Element, path: Path, field: str, camera: str) -> SourceObject:
    name = (element.findtext("name") or "").strip()
    if not name:
        raise FormatError(path, "missing <name>", field=field)
    box = element.find("bndbox")
    if box is None:
        raise FormatError(path, "missing <bndbox>", field=field)
    values = {}
    for key in ("xmin", "ymin", "xmax", "ymax"):
        values[key] = finite(box.findtext(key), path, f"{field}.bndbox.{key}")
    box2d = corner_box(
        values["xmin"] - 1, values["ymin"] - 1, values["xmax"], values["ymax"], path, f"{field}.bndbox"
    )
    obj = box_object(name, box2d, camera)
    extras = {key: element.findtext(key) for key in ("pose", "truncated", "difficult", "occluded")}
    obj.attributes["voc"] = {key: value.strip() for key, value in extras.items() if value is not None}
    return obj


class VocExporter(CameraFilesExporter):
    """Writes one XML per camera image."""

    def __init__(self, context: ExportContext) -> None:
        self.folders = CameraFolders(context, FOLDER, "JPEGImages")

    def render_frame(self, labels: FrameLabels) -> FrameOutput:
        files, written = [], []
        images = camera_images(labels)
        for image in images:
            root = ElementTree.Element("annotation")
            _add(root, "folder", image.path.parent.name if image.path else "")
            _add(root, "filename", image.path.name if image.path else "")
            _add(root, "path", str(image.path) if image.path else "")
            source = _add(root, "source")
            _add(source, "database", "annotator")
            size = _add(root, "size")
            for key, value in (("width", image.width), ("height", image.height), ("depth", 3)):
                _add(size, key, str(value))
            _add(root, "segmented", "0")
            for annotation in image.annotations:
                _add_object(root, annotation, image.width, image.height)
                written.append(annotation)
            ElementTree.indent(root)
            path = self.folders(image.camera) / f"{image.stem(labels.frame.name)}.xml"
            files.append((path, ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"))
        placed = [(image.camera, image.path) for image in images if image.path is not None]
        return FrameOutput(labels.frame.name, written, files, images=placed)


def _add(parent: ElementTree.Element, tag: str, text: str | None = None) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _add_object(root: ElementTree.Element, annotation: Annotation, width: int, height: int) -> None:
    box = annotation.box2d
    assert box is not None
    kept = annotation.attributes.get("voc") if isinstance(annotation.attributes.get("voc"), dict) else {}
    clipped = box.clipped(width, height) or box
    truncated = "1" if clipped != box else "0"
    element = _add(root, "object")
    _add(element, "name", annotation.class_name)
    _add(element, "pose", str(kept.get("pose", "Unspecified")))
    _add(element, "truncated", str(kept.get("truncated", truncated)))
    _add(element, "difficult", str(kept.get("difficult", "0")))
    bndbox = _add(element, "bndbox")
    for key, value in (("xmin", box.x1 + 1), ("ymin", box.y1 + 1), ("xmax", box.x2), ("ymax", box.y2)):
        _add(bndbox, key, str(round(value)))
