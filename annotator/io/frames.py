"""Registering files as frames: point clouds and camera images, matched by file stem."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from annotator.core.model.project import Project
from annotator.core.model.records import Frame
from annotator.io.errors import FormatError
from annotator.io.pointcloud import supported_suffixes

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
DEFAULT_CAMERA = "image"


def cloud_suffix(path: Path) -> str | None:
    """The point-cloud suffix ``path`` ends with (longest match, e.g. ``.pcd.bin``), or None."""
    name = path.name.lower()
    matches = [s for s in supported_suffixes() if name.endswith(s)]
    return max(matches, key=len) if matches else None


def frame_stem(path: Path) -> str:
    """A file's name without its point-cloud or image suffix (``000001.pcd.bin`` -> ``000001``)."""
    suffix = cloud_suffix(path)
    if suffix:
        return path.name[: -len(suffix)]
    return path.stem


def frames_from_files(
    project: Project, files: Iterable[Path | str], camera: str = DEFAULT_CAMERA
) -> list[Frame]:
    """New frames (id 0) for point clouds and images; an image joins the cloud of the same stem.

    Raises `FormatError` for a missing file or one that is neither a point cloud nor an image.
    Frames are ordered by name and numbered after the project's existing frames.
    """
    clouds: dict[str, Path] = {}
    images: dict[str, Path] = {}
    for raw in files:
        path = Path(raw)
        if not path.is_file():
            raise FormatError(path, "no such file")
        if cloud_suffix(path):
            target = clouds
        elif path.suffix.lower() in IMAGE_SUFFIXES:
            target = images
        else:
            known = ", ".join(sorted(set(supported_suffixes()) | set(IMAGE_SUFFIXES)))
            raise FormatError(path, f"not a point cloud or image (known suffixes: {known})")
        stem = frame_stem(path)
        if stem in target:
            raise FormatError(path, f"two files make frame {stem!r}: {target[stem]} and {path}")
        target[stem] = path
    start = max((f.index for f in project.frames.values()), default=-1) + 1
    frames = []
    for offset, stem in enumerate(sorted(set(clouds) | set(images))):
        cloud = project.store_path(clouds[stem]) if stem in clouds else None
        image = {camera: project.store_path(images[stem])} if stem in images else {}
        frames.append(Frame(0, stem, start + offset, cloud=cloud, images=image))
    return frames
