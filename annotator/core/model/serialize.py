"""Records to and from JSON-compatible dicts (for the project store, history and exchange)."""

from __future__ import annotations

import logging
from typing import Any

from annotator.core.box2d import Box2D
from annotator.core.camera import CameraCalibration
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.model.project import Change
from annotator.core.model.records import Annotation, Frame, Provenance, Review, Source, Track
from annotator.core.model.schema import AttributeSpec, LabelClass, LabelSchema
from annotator.core.pose import Pose
from annotator.core.version_record import ModelVersion

logger = logging.getLogger(__name__)

# Enum lookups by value (much faster than calling the enum when loading many records).
_SOURCES = {s.value: s for s in Source}
_REVIEWS = {r.value: r for r in Review}


def camera_to_dict(camera: CameraCalibration) -> dict[str, Any]:
    """A camera calibration as a dict."""
    return {
        "name": camera.name,
        "projection": [list(row) for row in camera.projection],
        "lidar_to_camera": [list(row) for row in camera.lidar_to_camera],
        "width": camera.width,
        "height": camera.height,
    }


def camera_from_dict(data: dict[str, Any]) -> CameraCalibration:
    """Inverse of `camera_to_dict`."""
    return CameraCalibration(
        data["name"], data["projection"], data["lidar_to_camera"], data.get("width", 0), data.get("height", 0)
    )


def frame_to_dict(frame: Frame) -> dict[str, Any]:
    """A frame as a dict."""
    return {
        "id": frame.id,
        "name": frame.name,
        "index": frame.index,
        "cloud": frame.cloud,
        "images": dict(frame.images),
        "cameras": {name: camera_to_dict(c) for name, c in frame.cameras.items()},
        "timestamp": frame.timestamp,
        "status": frame.status.value,
        "meta": frame.meta,
        **({"pose": frame.pose.to_dict()} if frame.pose is not None else {}),
    }


def frame_from_dict(data: dict[str, Any]) -> Frame:
    """Inverse of `frame_to_dict`."""
    return Frame(
        id=data["id"],
        name=data["name"],
        index=data["index"],
        cloud=data.get("cloud"),
        images=dict(data.get("images") or {}),
        cameras={n: camera_from_dict(c) for n, c in (data.get("cameras") or {}).items()},
        timestamp=data.get("timestamp"),
        status=data.get("status", "new"),
        meta=dict(data.get("meta") or {}),
        pose=Pose.from_dict(data["pose"]) if data.get("pose") else None,
    )


def track_to_dict(track: Track) -> dict[str, Any]:
    """A track as a dict."""
    return {"id": track.id, "class_name": track.class_name, "attributes": track.attributes}


def track_from_dict(data: dict[str, Any]) -> Track:
    """Inverse of `track_to_dict`."""
    return Track(data["id"], data["class_name"], dict(data.get("attributes") or {}))


def annotation_to_dict(annotation: Annotation) -> dict[str, Any]:
    """An annotation as a dict (a cuboid as its 9 numbers, a 2D box as its 4)."""
    data: dict[str, Any] = {
        "id": annotation.id,
        "frame_id": annotation.frame_id,
        "class_name": annotation.class_name,
        "track_id": annotation.track_id,
        "source": annotation.provenance.source.value,
        "review": annotation.review.value,
        "keyframe": annotation.keyframe,
    }
    if annotation.cuboid is not None:
        data["cuboid"] = annotation.cuboid.to_array(nine_dof=True).tolist()
    else:
        data["box2d"] = annotation.box2d.to_array().tolist()  # type: ignore[union-attr]
        data["camera"] = annotation.camera
    provenance = annotation.provenance
    if provenance.model_id is not None:
        data["model_id"] = provenance.model_id
    if provenance.model_version is not None:
        data["model_version"] = provenance.model_version
    if provenance.score is not None:
        data["score"] = provenance.score
    if provenance.author is not None:
        data["author"] = provenance.author
    if annotation.attributes:
        data["attributes"] = annotation.attributes
    if annotation.uncertainty is not None:
        data["uncertainty"] = annotation.uncertainty
    return data


def annotation_from_dict(data: dict[str, Any]) -> Annotation:
    """Inverse of `annotation_to_dict`."""
    cuboid = Cuboid.from_array(data["cuboid"]) if data.get("cuboid") is not None else None
    box2d = Box2D(*data["box2d"]) if data.get("box2d") is not None else None
    return Annotation(
        id=data["id"],
        frame_id=data["frame_id"],
        class_name=data["class_name"],
        track_id=data.get("track_id"),
        cuboid=cuboid,
        box2d=box2d,
        camera=data.get("camera"),
        provenance=Provenance(
            _SOURCES[data.get("source", "manual")],
            data.get("model_id"),
            data.get("model_version"),
            data.get("score"),
            data.get("author"),
        ),
        review=_REVIEWS[data.get("review", "accepted")],
        keyframe=data.get("keyframe", True),
        attributes=dict(data.get("attributes") or {}),
        uncertainty=data.get("uncertainty"),
    )


def schema_to_dict(schema: LabelSchema) -> dict[str, Any]:
    """A label schema as a dict."""
    return {
        "classes": [
            {
                "name": c.name,
                "color": list(c.color),
                "default_size": list(c.default_size),
                "attributes": [
                    {"name": a.name, "kind": a.kind, "default": a.default, "choices": list(a.choices)}
                    for a in c.attributes
                ],
            }
            for c in schema.classes
        ]
    }


def schema_from_dict(data: dict[str, Any]) -> LabelSchema:
    """Inverse of `schema_to_dict`."""
    return LabelSchema(
        tuple(
            LabelClass(
                c["name"],
                tuple(c.get("color", (200, 200, 200))),
                tuple(c.get("default_size", (1.0, 1.0, 1.0))),
                tuple(
                    AttributeSpec(
                        a["name"], a.get("kind", "text"), a.get("default"), tuple(a.get("choices", ()))
                    )
                    for a in c.get("attributes", ())
                ),
            )
            for c in data.get("classes", ())
        )
    )


_TO_DICT = {
    "frame": frame_to_dict,
    "track": track_to_dict,
    "annotation": annotation_to_dict,
    "schema": schema_to_dict,
    "setting": lambda value: value,
    "model_version": ModelVersion.to_dict,
}
_FROM_DICT = {
    "frame": frame_from_dict,
    "track": track_from_dict,
    "annotation": annotation_from_dict,
    "schema": schema_from_dict,
    "setting": lambda value: value,
    "model_version": ModelVersion.from_dict,
}


def record_to_data(kind: str, value: Any) -> Any:
    """Any record (or None) as JSON-compatible data."""
    return None if value is None else _TO_DICT[kind](value)


def record_from_data(kind: str, data: Any) -> Any:
    """Inverse of `record_to_data`."""
    return None if data is None else _FROM_DICT[kind](data)


def change_to_data(change: Change) -> list[Any]:
    """A change as ``[kind, key, before, after]``."""
    return [
        change.kind,
        change.key,
        record_to_data(change.kind, change.before),
        record_to_data(change.kind, change.after),
    ]


def change_from_data(data: list[Any]) -> Change:
    """Inverse of `change_to_data`."""
    kind, key, before, after = data
    return Change(kind, key, record_from_data(kind, before), record_from_data(kind, after))
