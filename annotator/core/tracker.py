"""A small multi-object tracker for detections in one (world or sensor) frame of reference.

Each track keeps a constant-velocity state on (x, y, yaw) updated by an alpha-beta filter. Per frame, every
live track is predicted to the frame's time, then detections of the same class are assigned greedily by
bird's-eye-view centre distance to the predictions (cheapest pair first, pairs beyond ``gate`` metres never
match). An unmatched detection starts a track; a track unmatched for more than ``max_misses`` frames in a
row ends, so a detection missed in a frame or two is bridged. Pure numpy, no Qt, no project access.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.rotation import wrap_angle

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Detection:
    """One detection: a caller's key (e.g. an annotation id), its cuboid, class and score."""

    key: Hashable
    cuboid: Cuboid
    class_name: str
    score: float = 1.0


@dataclass(frozen=True)
class TrackerParams:
    """Tuning: gate (metres from the prediction), misses bridged, filter gains."""

    gate: float = 3.0
    max_misses: int = 2
    alpha: float = 0.7
    beta: float = 0.3


@dataclass
class LinkedTrack:
    """A track's detections (keys in time order) and their scores."""

    class_name: str
    keys: list[Hashable] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)

    @property
    def length(self) -> int:
        """Number of detections linked."""
        return len(self.keys)

    @property
    def score(self) -> float:
        """Track-level score: the mean of its detections' scores."""
        return float(np.mean(self.scores)) if self.scores else 0.0


def _heading_residual(measured: float, predicted: float) -> float:
    """Yaw difference, folded so a box seen facing backwards (yaw + pi) counts as the same heading."""
    delta = wrap_angle(measured - predicted)
    if delta > math.pi / 2:
        delta -= math.pi
    elif delta < -math.pi / 2:
        delta += math.pi
    return delta


@dataclass
class _State:
    track: LinkedTrack
    position: np.ndarray  # x, y, yaw
    velocity: np.ndarray
    time: float
    misses: int = 0

    def predicted(self, time: float) -> np.ndarray:
        return self.position + self.velocity * (time - self.time)

    def update(self, detection: Detection, time: float, params: TrackerParams) -> None:
        dt = time - self.time
        guess = self.predicted(time)
        c = detection.cuboid
        residual = np.array([c.center[0] - guess[0], c.center[1] - guess[1], 0.0])
        residual[2] = _heading_residual(c.yaw, guess[2])
        self.position = guess + params.alpha * residual
        if dt > 0:
            self.velocity = self.velocity + params.beta * residual / dt
        self.time = time
        self.misses = 0
        self.track.keys.append(detection.key)
        self.track.scores.append(float(detection.score))


def _assign(
    states: list[_State], detections: Sequence[Detection], time: float, gate: float
) -> dict[int, int]:
    """Greedy gated assignment: detection index -> state index, cheapest pairs first."""
    pairs = []
    for s, state in enumerate(states):
        guess = state.predicted(time)
        for d, detection in enumerate(detections):
            if detection.class_name != state.track.class_name:
                continue
            distance = math.hypot(
                detection.cuboid.center[0] - guess[0], detection.cuboid.center[1] - guess[1]
            )
            if distance <= gate:
                pairs.append((distance, s, d))
    matched: dict[int, int] = {}
    used: set[int] = set()
    for _, s, d in sorted(pairs):
        if d not in matched and s not in used:
            matched[d] = s
            used.add(s)
    return matched


def link(
    frames: Sequence[tuple[float, Sequence[Detection]]], params: TrackerParams | None = None
) -> list[LinkedTrack]:
    """Link detections of frames given in time order as ``(time, detections)`` into tracks."""
    params = params or TrackerParams()
    live: list[_State] = []
    finished: list[LinkedTrack] = []
    for time, detections in frames:
        matched = _assign(live, detections, time, params.gate)
        hit = set(matched.values())
        for d, detection in enumerate(detections):
            if d in matched:
                live[matched[d]].update(detection, time, params)
                continue
            c = detection.cuboid
            track = LinkedTrack(detection.class_name, [detection.key], [float(detection.score)])
            live.append(_State(track, np.array([c.center[0], c.center[1], c.yaw]), np.zeros(3), time))
            hit.add(len(live) - 1)
        still = []
        for index, state in enumerate(live):
            if index not in hit:
                state.misses += 1
            if state.misses > params.max_misses:
                finished.append(state.track)
            else:
                still.append(state)
        live = still
    tracks = finished + [s.track for s in live]
    logger.debug("linked %d detections into %d tracks", sum(t.length for t in tracks), len(tracks))
    return tracks
