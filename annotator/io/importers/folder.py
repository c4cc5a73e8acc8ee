"""A plain folder of point clouds, with camera images matched by file stem (no labels).

Clouds are the folder's own files with a point-cloud suffix. Images in the folder itself belong to the
default camera (``--camera``, else ``image``); images in a sub-folder belong to a camera named after it
(``front/000001.jpg`` is camera ``front`` of frame ``000001``). Frames are ordered by name.
"""

from __future__ import annotations

import logging
from pathlib import Path

from annotator.io.errors import FormatError
from annotator.io.formats.base import Dataset, LabelFormat
from annotator.io.frames import DEFAULT_CAMERA, IMAGE_SUFFIXES, cloud_suffix, frame_stem

logger = logging.getLogger(__name__)


class FolderFormat(LabelFormat):
    """Point clouds and images without labels."""

    id = "folder"
    title = "folder"
    kinds = ()
    layout = "point clouds in a folder; images beside them or in <camera>/ sub-folders, matched by stem"
    can_export = False

    def read(self, source: Path, options: dict[str, str] | None = None) -> Dataset:
        """Frames for the clouds and images in ``source``."""
        source = Path(source)
        if not source.is_dir():
            raise FormatError(source, "expected a folder of point clouds and images")
        default_camera = (options or {}).get("camera") or DEFAULT_CAMERA
        dataset = Dataset("folder", source)
        clouds: dict[str, Path] = {}
        for path in sorted(p for p in source.iterdir() if p.is_file() and cloud_suffix(p)):
            stem = frame_stem(path)
            if stem in clouds:
                raise FormatError(
                    path, f"two clouds make frame {stem!r}: {clouds[stem].name} and {path.name}"
                )
            clouds[stem] = path
            dataset.frame(stem).cloud = path
        folders = [(default_camera, source)] + [(p.name, p) for p in sorted(source.iterdir()) if p.is_dir()]
        for camera, folder in folders:
            for path in sorted(folder.iterdir()):
                if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
                    frame = dataset.frame(path.stem)
                    if camera in frame.images:
                        raise FormatError(path, f"two images for camera {camera!r} of frame {path.stem!r}")
                    frame.images[camera] = path
        if not dataset.frames:
            raise FormatError(source, "no point clouds or images in this folder")
        dataset.sort_frames()
        return dataset
