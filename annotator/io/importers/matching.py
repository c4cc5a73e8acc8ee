"""Matching imported objects to the ones a project already holds, so a re-import updates, never doubles.

Every imported annotation records where it came from in ``attributes["source_id"]``: the dataset's title,
the kind (and camera) and the source's own identity of the object in its frame. That identity is the
object's `SourceObject.source_id` when the format numbers its objects (a KITTI label row), else its
``track_key`` (SUSTech ``obj_id``, OpenLABEL uid, nuScenes instance, COCO ``track_id``), else its place
among the frame's objects of the same kind and camera (labelCloud, YOLO, VOC).

Annotations imported before source ids were recorded have none; for those, an imported annotation of the
same class, kind, camera and geometry in the frame counts as the same object.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

import numpy as np

from annotator.core.model.records import Annotation, Source
from annotator.io.formats.base import SourceObject

logger = logging.getLogger(__name__)

#: Annotation attribute holding the import's identity of the object.
SOURCE_ID = "source_id"
#: Geometry closer than this (metres, radians, pixels) is the same box.
SAME_GEOMETRY = 1e-6


def source_keys(title: str, objects: list[SourceObject]) -> list[str]:
    """The identity of each of a frame's objects, e.g. ``KITTI:cuboid:row 3`` or ``COCO:box2d@cam:track 7``."""
    positions: Counter[tuple[str, str | None]] = Counter()
    keys = []
    for obj in objects:
        place = (_kind(obj), obj.camera)
        positions[place] += 1
        if obj.source_id is not None:
            identity = obj.source_id
        elif obj.track_key is not None:
            identity = f"track {obj.track_key}"
        else:
            identity = f"#{positions[place]}"
        kind = place[0] if place[1] is None else f"{place[0]}@{place[1]}"
        keys.append(f"{title}:{kind}:{identity}")
    return keys


@dataclass
class FrameMatcher:
    """The annotations of one frame that an import may match, by source id and by geometry."""

    by_key: dict[str, Annotation]
    legacy: list[Annotation]

    @classmethod
    def of(cls, annotations: list[Annotation]) -> FrameMatcher:
        """A matcher over a frame's current annotations."""
        by_key: dict[str, Annotation] = {}
        legacy = []
        for annotation in annotations:
            key = annotation.attributes.get(SOURCE_ID)
            if isinstance(key, str):
                by_key.setdefault(key, annotation)
            elif annotation.provenance.source == Source.IMPORTED:
                legacy.append(annotation)
        return cls(by_key, legacy)

    def take(self, key: str, obj: SourceObject) -> Annotation | None:
        """The annotation that ``obj`` (with identity ``key``) re-imports, removed from the candidates."""
        found = self.by_key.pop(key, None)
        if found is not None:
            return found
        for annotation in self.legacy:
            if _same_object(annotation, obj):
                self.legacy.remove(annotation)
                return annotation
        return None


def _kind(obj: SourceObject) -> str:
    return "cuboid" if obj.cuboid is not None else "box2d"


def _same_object(annotation: Annotation, obj: SourceObject) -> bool:
    if annotation.class_name != obj.class_name or annotation.kind != _kind(obj):
        return False
    if annotation.cuboid is not None and obj.cuboid is not None:
        a, b = annotation.cuboid.to_array(nine_dof=True), obj.cuboid.to_array(nine_dof=True)
    elif annotation.box2d is not None and obj.box2d is not None and annotation.camera == obj.camera:
        a, b = annotation.box2d.to_array(), obj.box2d.to_array()
    else:
        return False
    return bool(np.allclose(a, b, atol=SAME_GEOMETRY, rtol=0.0))
