"""What the 2D box formats (COCO, YOLO, Pascal VOC) share: images per camera, sizes, output folders.

A frame may have several cameras. When an export touches one camera only, its files go straight into
the output folder; with several, each camera gets a sub-folder named after it (image file names of
different cameras often coincide). Exported images are linked (or copied) beside the labels.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from annotator.core.box2d import Box2D
from annotator.core.errors import AnnotatorError
from annotator.core.model.records import Annotation
from annotator.io.errors import FormatError
from annotator.io.formats.base import (
    ExportContext,
    Exporter,
    FrameError,
    FrameLabels,
    FrameOutput,
    SourceObject,
)
from annotator.io.formats.files import write_bytes_atomic
from annotator.io.frames import DEFAULT_CAMERA, IMAGE_SUFFIXES

logger = logging.getLogger(__name__)


@dataclass
class CameraImage:
    """One camera image of a frame with the frame's boxes in it."""

    camera: str
    path: Path | None
    width: int
    height: int
    annotations: list[Annotation]

    def stem(self, frame_name: str) -> str:
        """The image file's stem (the label file's name in YOLO and VOC), else the frame's name."""
        return self.path.stem if self.path is not None else frame_name


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) of an image, read from its header."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return int(image.width), int(image.height)
    except FileNotFoundError:
        raise FormatError(path, "no such image file") from None
    except (UnidentifiedImageError, OSError) as error:
        raise FormatError(path, f"not a readable image ({error})") from None


def camera_images(labels: FrameLabels) -> list[CameraImage]:
    """The frame's cameras that have an image or boxes, with the image size (from calibration or file).

    Raises `FormatError` when a camera has boxes but neither an image nor a known size.
    """
    frame = labels.frame
    boxes: dict[str, list[Annotation]] = {}
    for annotation in labels.boxes():
        boxes.setdefault(annotation.camera or DEFAULT_CAMERA, []).append(annotation)
    result = []
    for camera in sorted(set(labels.images) | set(boxes)):
        path = labels.images.get(camera)
        calibration = frame.cameras.get(camera)
        if calibration is not None and calibration.width and calibration.height:
            width, height = calibration.width, calibration.height
        elif path is not None:
            width, height = image_size(path)
        else:
            raise FrameError(f"camera {camera!r} has boxes but no image (its size is unknown)")
        result.append(CameraImage(camera, path, width, height, boxes.get(camera, [])))
    return result


def cameras_in(context: ExportContext) -> list[str]:
    """Camera names the export's frames use (images or boxes)."""
    names = {c for frame in context.frames for c in frame.images}
    names.update(
        a.camera
        for frame in context.frames
        for a in context.project.annotations_of(frame.id, "box2d")
        if a.camera is not None
    )
    return sorted(names)


IMAGE_MODES = ("link", "copy", "none")


class CameraFolders:
    """Output folders per camera: ``out/<leaf>`` for a single-camera export, ``out/<camera>/<leaf>`` else.

    ``-o images=link|copy|none`` (default ``link``) puts each exported image (a symbolic link, or a
    copy) into the camera's ``images_leaf`` folder, so the export is a complete dataset for training.
    """

    def __init__(self, context: ExportContext, leaf: str, images_leaf: str) -> None:
        self.root = context.out
        self.leaf = leaf
        self.images_leaf = images_leaf
        self.cameras = cameras_in(context)
        self.several = len(self.cameras) > 1
        self.image_mode = context.options.get("images", IMAGE_MODES[0])
        if self.image_mode not in IMAGE_MODES:
            raise AnnotatorError(f"option images={self.image_mode!r}: choose one of {', '.join(IMAGE_MODES)}")
        self._claimed: dict[Path, str] = {}

    def __call__(self, camera: str, leaf: str | None = None) -> Path:
        base = self.root / camera if self.several else self.root
        return base / (self.leaf if leaf is None else leaf)

    def claim(self, path: Path, frame_name: str) -> None:
        """Take one label file's path for ``frame_name``; `FormatError` if another frame already wrote it."""
        owner = self._claimed.setdefault(path, frame_name)
        if owner != frame_name:
            raise FormatError(path, f"frames {owner!r} and {frame_name!r} both have an image called so")

    def place_image(self, camera: str, image: Path | None) -> None:
        """Link or copy ``image`` into the camera's image folder (per ``-o images=``)."""
        if image is None or self.image_mode == "none":
            return
        target = self(camera, self.images_leaf) / image.name
        if target.is_symlink() or target.exists():
            if target.resolve() == image.resolve():
                return
            target.unlink()
        target.parent.mkdir(parents=True, exist_ok=True)
        if self.image_mode == "copy":
            write_bytes_atomic(target, image.read_bytes())
        else:
            os.symlink(image.absolute(), target)


class CameraFilesExporter(Exporter):
    """An exporter of one label file per camera image (YOLO, VOC). Its `accept` claims the frame's files
    (two frames may not write one file), writes them, then links or copies the frame's images."""

    folders: CameraFolders

    def accept(self, output: FrameOutput) -> None:
        for path, _data in output.files:
            self.folders.claim(path, output.frame_name)
        super().accept(output)
        for camera, image in output.images:
            self.folders.place_image(camera, image)


def find_image(stem: str, folders: list[Path]) -> Path | None:
    """The first image called ``stem`` (any image suffix) in ``folders``."""
    for folder in folders:
        for suffix in IMAGE_SUFFIXES:
            for candidate in (folder / f"{stem}{suffix}", folder / f"{stem}{suffix.upper()}"):
                if candidate.is_file():
                    return candidate
    return None


def box_object(
    class_name: str, box: Box2D, camera: str, track_key: str | None = None, score: float | None = None
) -> SourceObject:
    """A 2D box object for an import."""
    return SourceObject(class_name, box2d=box, camera=camera, track_key=track_key, score=score)


def corner_box(
    x1: float, y1: float, x2: float, y2: float, path: Path, field: str, line: int | None = None
) -> Box2D:
    """The box with corners (x1, y1) top-left and (x2, y2) bottom-right; `FormatError` when they are
    the wrong way round (min > max: a negative width or height), the box is empty or absurdly large."""
    if x1 > x2 or y1 > y2:
        raise FormatError(
            path, f"corners the wrong way round (min > max): {[x1, y1, x2, y2]}", line=line, field=field
        )
    if max(abs(x1), abs(y1), abs(x2), abs(y2)) > MAX_PIXELS:
        raise FormatError(
            path, f"box beyond {MAX_PIXELS:g} pixels: {[x1, y1, x2, y2]}", line=line, field=field
        )
    return check_box(Box2D(x1, y1, x2, y2), path, field, line)


#: Largest pixel coordinate a 2D box may have.
MAX_PIXELS = 1.0e6


def check_box(box: Box2D, path: Path, field: str, line: int | None = None) -> Box2D:
    """``box`` if it has an area, else `FormatError`."""
    if box.width <= 0 or box.height <= 0:
        raise FormatError(path, f"empty box {box.to_array().round(3).tolist()}", line=line, field=field)
    return box
