"""Label formats: a registry of `LabelFormat` classes keyed by id, each converting both ways.

Built-in formats are imported on first use (listing them imports nothing heavy); a plugin can add one
with `register_format`. Every format converts to and from the core's LiDAR-frame 9-DoF cuboids and
per-camera 2D boxes; the conventions of each file format live only in its module.
"""

from __future__ import annotations

import importlib
import logging

from annotator.core.errors import AnnotatorError
from annotator.io.formats.base import Dataset, ExportContext, Exporter, FrameLabels, LabelFormat

logger = logging.getLogger(__name__)

__all__ = [
    "Dataset",
    "ExportContext",
    "Exporter",
    "FrameLabels",
    "LabelFormat",
    "UnknownFormatError",
    "available_formats",
    "get_format",
    "register_format",
]

#: Built-in formats: id -> "module:Class", imported when first asked for.
_BUILTIN = {
    "kitti": "annotator.io.formats.kitti:KittiFormat",
    "openlabel": "annotator.io.formats.openlabel:OpenLabelFormat",
    "labelcloud": "annotator.io.formats.labelcloud:LabelCloudFormat",
    "sustech": "annotator.io.formats.sustech:SustechFormat",
    "nuscenes": "annotator.io.formats.nuscenes:NuScenesFormat",
    "coco": "annotator.io.formats.coco:CocoFormat",
    "yolo": "annotator.io.formats.yolo:YoloFormat",
    "voc": "annotator.io.formats.voc:VocFormat",
    "argoverse": "annotator.io.formats.argoverse:ArgoverseFormat",
    "folder": "annotator.io.importers.folder:FolderFormat",
}
_LOADED: dict[str, LabelFormat] = {}


class UnknownFormatError(AnnotatorError):
    """A format id that is not registered."""


def register_format(label_format: LabelFormat) -> None:
    """Register (or replace) a format instance under its ``id``."""
    if not label_format.id:
        raise ValueError("a label format needs an id")
    _LOADED[label_format.id] = label_format


def format_ids() -> list[str]:
    """Every registered id, built-in ones first in their usual order."""
    return list(dict.fromkeys([*_BUILTIN, *_LOADED]))


def get_format(format_id: str) -> LabelFormat:
    """The format registered as ``format_id``; `UnknownFormatError` lists the known ones otherwise."""
    key = format_id.strip().lower()
    if key not in _LOADED:
        target = _BUILTIN.get(key)
        if target is None:
            raise UnknownFormatError(
                f"unknown format {format_id!r}; known formats: {', '.join(format_ids())}"
            )
        module_name, _, class_name = target.partition(":")
        _LOADED[key] = getattr(importlib.import_module(module_name), class_name)()
    return _LOADED[key]


def available_formats() -> list[LabelFormat]:
    """Every registered format, loaded."""
    return [get_format(format_id) for format_id in format_ids()]
