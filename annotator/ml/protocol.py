"""The model protocol: framework-neutral, Qt-free, numpy in and numpy out.

A plugin's factory (named by its manifest's ``entry``) returns an object with this interface; only the
methods its manifest's capabilities declare need to work:

- ``predict(frame, params) -> Detections`` (capability ``predict``)
- ``predict_samples(frame, params, count, mode) -> list[Detections]`` for ``mode`` in ``"ensemble"``,
  ``"mc_dropout"`` (capabilities ``samples:ensemble`` / ``samples:mc_dropout``); test-time augmentation
  is done by the host around ``predict``
- ``load(path)`` / ``save(path)`` for local weight files (``load``/``save``); nothing is downloaded
- ``fit(frames, params, cancel) -> Iterator[FitProgress]`` (``fit``): a generator that trains on labelled
  frames, yields progress and stops when ``cancel.is_set()``
- ``version`` (str): the model version stamped on every prediction; it changes whenever weights change.

Points are float32 (N, 4) x, y, z, intensity in the LiDAR frame (x forward, y left, z up); images are
uint8 (H, W, 3) RGB; 3D boxes are (N, 7) x, y, z, l, w, h, yaw or (N, 9) with pitch, roll; 2D boxes are
(N, 4) x1, y1, x2, y2 pixels.

A plugin that fails on its input raises `PluginError` (from this module): the host reports it as one line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from annotator.core.camera import CameraCalibration
from annotator.core.errors import AnnotatorError
from annotator.jobs.token import CancelToken  # the host's token for ``fit`` and prediction loops

logger = logging.getLogger(__name__)


class PluginError(AnnotatorError):
    """A plugin is unknown, unavailable, or failed to load or run."""


@dataclass
class FrameInput:
    """What a model sees of one frame."""

    name: str
    points: np.ndarray | None = None
    images: dict[str, np.ndarray] = field(default_factory=dict)
    cameras: dict[str, CameraCalibration] = field(default_factory=dict)


@dataclass
class Detections:
    """A model's output for one frame (and one camera, for 2D models).

    ``labels`` index ``class_names``; ``probabilities`` (N, C), when given, are per-class probabilities
    over ``class_names`` (used by the host's uncertainty measures).
    """

    boxes: np.ndarray
    labels: np.ndarray
    scores: np.ndarray
    class_names: tuple[str, ...]
    model_version: str
    probabilities: np.ndarray | None = None
    camera: str | None = None

    def __post_init__(self) -> None:
        boxes = np.asarray(self.boxes, dtype=np.float64)
        if boxes.size == 0:
            boxes = boxes.reshape(0, boxes.shape[-1] if boxes.ndim == 2 else 7)
        if boxes.ndim != 2 or boxes.shape[1] not in (4, 7, 9):
            raise ValueError(f"boxes must be (N, 4), (N, 7) or (N, 9), got shape {boxes.shape}")
        self.boxes = boxes
        self.labels = np.asarray(self.labels, dtype=np.int64).reshape(-1)
        self.scores = np.asarray(self.scores, dtype=np.float64).reshape(-1)
        count = len(self.boxes)
        if len(self.labels) != count or len(self.scores) != count:
            raise ValueError(f"{count} boxes but {len(self.labels)} labels and {len(self.scores)} scores")
        if count and (self.labels.min() < 0 or self.labels.max() >= len(self.class_names)):
            raise ValueError("a label indexes outside class_names")
        if self.probabilities is not None:
            self.probabilities = np.asarray(self.probabilities, dtype=np.float64)
            if self.probabilities.shape != (count, len(self.class_names)):
                raise ValueError(f"probabilities must be ({count}, {len(self.class_names)})")

    def __len__(self) -> int:
        return len(self.boxes)

    @property
    def is_3d(self) -> bool:
        """True for cuboids, False for 2D boxes."""
        return self.boxes.shape[1] != 4

    def select(self, mask: np.ndarray) -> Detections:
        """The detections where ``mask`` (bool or indices) holds."""
        return Detections(
            self.boxes[mask],
            self.labels[mask],
            self.scores[mask],
            self.class_names,
            self.model_version,
            None if self.probabilities is None else self.probabilities[mask],
            self.camera,
        )

    @classmethod
    def empty(cls, class_names: Sequence[str], model_version: str, box_width: int = 7) -> Detections:
        """No detections."""
        return cls(np.zeros((0, box_width)), np.zeros(0), np.zeros(0), tuple(class_names), model_version)


@dataclass
class LabelledFrame:
    """A frame with human-verified labels, for ``fit``. ``weights`` lower the loss of pseudo-labels.

    ``partial``: only the given boxes are known (pseudo-labels of an unverified frame: its confident
    boxes); the rest of the frame is neither object nor background, so a plugin must not learn "nothing
    here" from it (otherwise the objects the model was unsure of become negatives and it learns to miss them).
    ``synthetic``: a generated frame mixed in (replay of what base weights learned), not the user's data.
    """

    frame: FrameInput
    targets: Detections
    weights: np.ndarray | None = None
    partial: bool = False
    synthetic: bool = False


@dataclass
class FitProgress:
    """One step of training: where it is and the latest metrics (e.g. ``{"loss": 0.4}``)."""

    step: int
    total: int
    metrics: dict[str, float] = field(default_factory=dict)
    message: str = ""


@runtime_checkable
class DetectionModel(Protocol):
    """The interface plugin factories return (see the module docstring for which parts are required)."""

    version: str

    def predict(self, frame: FrameInput, params: dict[str, Any]) -> Detections | list[Detections]:
        """Detections for one frame (2D models: one `Detections` per camera, as a list)."""


class SamplingModel(Protocol):
    """Models that produce stochastic samples themselves (ensembles, MC dropout)."""

    def predict_samples(
        self, frame: FrameInput, params: dict[str, Any], count: int, mode: str
    ) -> list[Detections]:
        """``count`` stochastic predictions of one frame in ``mode``."""


class TrainableModel(Protocol):
    """Models that can be trained and saved."""

    def fit(
        self, frames: Sequence[LabelledFrame], params: dict[str, Any], cancel: CancelToken
    ) -> Iterator[FitProgress]:
        """Train on labelled frames, yielding progress; stop early when cancelled."""

    def save(self, path: str) -> None:
        """Write the model's state to a local file."""

    def load(self, path: str) -> None:
        """Read the model's state from a local file."""
