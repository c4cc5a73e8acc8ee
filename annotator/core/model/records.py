"""The immutable records a project is made of: frames, tracks, annotations, with provenance and review.

Records never change in place: an edit replaces a record with a new one (``dataclasses.replace``), so
"before" and "after" of every change are plain values and undo is exact.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from annotator.core.box2d import Box2D
from annotator.core.camera import CameraCalibration
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.pose import Pose

logger = logging.getLogger(__name__)


class Source(StrEnum):
    """Where an annotation came from."""

    MANUAL = "manual"
    MODEL = "model"
    IMPORTED = "imported"
    DERIVED = "derived"  # e.g. a 2D box derived from a cuboid
    PROPAGATED = "propagated"
    INTERPOLATED = "interpolated"
    PSEUDO = "pseudo"  # a model's confident label used for self-training, never shown as human


class Review(StrEnum):
    """Review state of an annotation."""

    UNREVIEWED = "unreviewed"  # a proposal nobody has looked at yet
    ACCEPTED = "accepted"  # confirmed as it was
    CORRECTED = "corrected"  # confirmed after a human edit
    REJECTED = "rejected"


class FrameStatus(StrEnum):
    """Progress of a frame."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    VERIFIED = "verified"  # every annotation checked by a human: usable as training labels


@dataclass(frozen=True, slots=True)
class Provenance:
    """Who made an annotation: a person, or a model (id, version) with its score.

    ``author``: the person who last drew, edited or confirmed it (None for untouched model output and for
    annotations made before authors were recorded); see `Project.author`.
    """

    source: Source = Source.MANUAL
    model_id: str | None = None
    model_version: str | None = None
    score: float | None = None
    author: str | None = None

    def __post_init__(self) -> None:
        if type(self.source) is not Source:
            object.__setattr__(self, "source", Source(self.source))
        if self.score is not None and type(self.score) is not float:
            object.__setattr__(self, "score", float(self.score))


MANUAL = Provenance()


@dataclass(frozen=True)
class Frame:
    """One moment in time: a point cloud and/or camera images, with calibration.

    Paths are strings as stored: relative to the project directory when inside it, else absolute.
    ``index`` orders frames in the sequence. ``pose``: the ego pose (LiDAR -> world) when the source has one.
    """

    id: int
    name: str
    index: int
    cloud: str | None = None
    images: dict[str, str] = field(default_factory=dict)
    cameras: dict[str, CameraCalibration] = field(default_factory=dict)
    timestamp: float | None = None
    status: FrameStatus = FrameStatus.NEW
    meta: dict[str, Any] = field(default_factory=dict)
    pose: Pose | None = None

    def __post_init__(self) -> None:
        if type(self.status) is not FrameStatus:
            object.__setattr__(self, "status", FrameStatus(self.status))


@dataclass(frozen=True)
class Track:
    """An object that keeps its identity across frames."""

    id: int
    class_name: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Annotation:
    """A cuboid (in the frame's LiDAR coordinates) or a 2D box (in one camera's image) of one track."""

    id: int
    frame_id: int
    class_name: str
    track_id: int | None = None
    cuboid: Cuboid | None = None
    box2d: Box2D | None = None
    camera: str | None = None
    provenance: Provenance = MANUAL
    review: Review = Review.ACCEPTED
    keyframe: bool = True
    attributes: dict[str, Any] = field(default_factory=dict)
    uncertainty: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if (self.cuboid is None) == (self.box2d is None):
            raise ValueError("an annotation holds exactly one of a cuboid or a 2D box")
        if self.box2d is not None and not self.camera:
            raise ValueError("a 2D box annotation names its camera")
        if type(self.review) is not Review:
            object.__setattr__(self, "review", Review(self.review))

    @property
    def kind(self) -> str:
        """``"cuboid"`` or ``"box2d"``."""
        return "cuboid" if self.cuboid is not None else "box2d"

    @property
    def is_proposal(self) -> bool:
        """True for model output nobody has reviewed yet."""
        return self.review == Review.UNREVIEWED
