"""Reference labels: a dataset's ground truth kept as data beside a project, apart from its annotations.

Reference labels are an oracle (evaluation, the review dock's "caught" curve, simulated annotators), never
the annotator's own work, so they live in a file of their own instead of the project's database. The file is
JSON::

    {"format": "annotator-reference-labels", "version": 1,
     "convention": "LiDAR frame: x forward, y left, z up; cuboid = x, y, z, l, w, h, yaw, pitch, roll",
     "frames": [{"name": "000000", "timestamp": 0.0,
                 "objects": [{"track_id": 3, "label": "Car", "cuboid": [9 numbers],
                              "num_points": 812, "occlusion": 0, "truncation": 0.0,
                              "box2d": [x1, y1, x2, y2] or null, "velocity": [vx, vy, vz]}]}]}

Frames are matched to a project's frames by name. Only ``track_id``, ``label`` and ``cuboid`` are required
(a 7-number cuboid means pitch = roll = 0); ``num_points`` defaults to 1, ``occlusion`` to 3 (unknown),
``truncation`` to 0, ``box2d`` to none and ``velocity`` to zero. Other keys (a generator's config, poses)
are kept by writers and ignored by the reader. Files of the older ``annotator-synth-ground-truth`` format
(written by earlier demos) read the same way.

A project finds its reference labels at `REFERENCE_FILE` in its directory, else where a demo keeps them
(``data/ground_truth.json``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.core.box2d import Box2D
from annotator.core.cuboids.cuboid import Cuboid
from annotator.io.errors import FormatError

logger = logging.getLogger(__name__)

FORMAT = "annotator-reference-labels"
VERSION = 1
#: The format string of ground truth written by demos before reference labels had a format of their own.
LEGACY_FORMATS = ("annotator-synth-ground-truth",)
CONVENTION = "LiDAR frame: x forward, y left, z up; cuboid = x, y, z, l, w, h, yaw, pitch, roll"
#: Where a project keeps its reference labels (relative to the project directory), in the order looked at.
REFERENCE_FILE = "reference_labels.json"
LOCATIONS = (REFERENCE_FILE, "data/ground_truth.json")


@dataclass(frozen=True)
class ReferenceObject:
    """One reference object of a frame: cuboid and velocity in the LiDAR frame, what the sensors saw of it."""

    track_id: int
    label: str
    cuboid: Cuboid
    num_points: int = 1
    occlusion: int = 3
    truncation: float = 0.0
    box2d: Box2D | None = None
    velocity: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (floats rounded to 6 decimals, 2D boxes to 3)."""
        return {
            "track_id": self.track_id,
            "label": self.label,
            "cuboid": [round(float(v), 6) for v in self.cuboid.to_array(nine_dof=True)],
            "num_points": self.num_points,
            "occlusion": self.occlusion,
            "truncation": round(self.truncation, 6),
            "box2d": None if self.box2d is None else [round(float(v), 3) for v in self.box2d.to_array()],
            "velocity": [round(float(v), 6) for v in self.velocity],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReferenceObject:
        """Inverse of `to_dict` (raises KeyError, TypeError or ValueError on malformed values)."""
        box = data.get("box2d")
        velocity = tuple(float(v) for v in data.get("velocity") or (0.0, 0.0, 0.0))
        if len(velocity) != 3:
            raise ValueError(f"velocity needs 3 numbers, got {len(velocity)}")
        return cls(
            int(data["track_id"]),
            str(data["label"]),
            Cuboid.from_array([float(v) for v in data["cuboid"]]),
            int(data.get("num_points", 1)),
            int(data.get("occlusion", 3)),
            float(data.get("truncation", 0.0)),
            None if box is None else Box2D(*(float(v) for v in box)),
            velocity,  # type: ignore[arg-type]
        )


@dataclass
class ReferenceLabels:
    """Reference objects per frame name, and the frames' timestamps where the file gives them."""

    frames: dict[str, list[ReferenceObject]]
    timestamps: dict[str, float] = field(default_factory=dict)
    path: Path | None = None

    def of(self, name: str) -> list[ReferenceObject] | None:
        """The objects of frame ``name``, or None when the file does not cover it."""
        return self.frames.get(name)

    def as_classed_cuboids(self) -> dict[str, list[tuple[str, Cuboid]]]:
        """(class, cuboid) per frame name: what box-level evaluation matches against."""
        return {name: [(o.label, o.cuboid) for o in objects] for name, objects in self.frames.items()}


def read_reference_labels(path: str | Path) -> ReferenceLabels:
    """Read a reference-labels file; raises `FormatError` naming the file (and frame) when it is malformed."""
    source = Path(path)
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except OSError as error:
        raise FormatError(source, error.strerror or str(error)) from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FormatError(source, f"not JSON ({error})") from error
    if not isinstance(document, dict) or document.get("format") not in (FORMAT, *LEGACY_FORMATS):
        raise FormatError(source, f"not a {FORMAT} file")
    if int(document.get("version", VERSION)) > VERSION:
        raise FormatError(
            source, f"version {document['version']} is newer than this program reads ({VERSION})"
        )
    frames: dict[str, list[ReferenceObject]] = {}
    timestamps: dict[str, float] = {}
    records = document.get("frames")
    if not isinstance(records, list):
        raise FormatError(source, "a list is needed", field="frames")
    for number, record in enumerate(records):
        try:
            name = str(record["name"])
            frames[name] = [ReferenceObject.from_dict(o) for o in record.get("objects", [])]
            if record.get("timestamp") is not None:
                timestamps[name] = float(record["timestamp"])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise FormatError(source, f"malformed ({error!r})", field=f"frames[{number}]") from error
    return ReferenceLabels(frames, timestamps, source)


def write_reference_labels(
    path: str | Path,
    frames: Mapping[str, list[ReferenceObject]],
    timestamps: Mapping[str, float] | None = None,
    extra: Mapping[str, Any] | None = None,
    frame_extra: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """Write reference labels (frames in the given order). ``extra`` adds top-level keys (e.g. a generator's
    config), ``frame_extra`` keys per frame name (e.g. poses); readers ignore both."""
    records = []
    for name, objects in frames.items():
        record: dict[str, Any] = {"name": name}
        if timestamps is not None and name in timestamps:
            record["timestamp"] = round(float(timestamps[name]), 6)
        record.update((frame_extra or {}).get(name, {}))
        record["objects"] = [o.to_dict() for o in objects]
        records.append(record)
    document = {"format": FORMAT, "version": VERSION, "convention": CONVENTION, **(extra or {})}
    document["frames"] = records
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return target


def reference_labels_path(project_dir: str | Path | None) -> Path | None:
    """Where the project in ``project_dir`` keeps its reference labels, or None when it has none."""
    if project_dir is None:
        return None
    for relative in LOCATIONS:
        candidate = Path(project_dir) / relative
        if candidate.is_file():
            return candidate
    return None


def project_reference_labels(project_dir: str | Path | None) -> ReferenceLabels | None:
    """The reference labels of the project in ``project_dir``, or None when it has none."""
    path = reference_labels_path(project_dir)
    return None if path is None else read_reference_labels(path)
