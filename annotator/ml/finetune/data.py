"""What a fine-tuning run learns from: verified frames, a replay sample of older ones, pseudo-labels.

Only frames a human marked verified give labels (their accepted or corrected annotations). Each frame is
either held apart (measured, never trained on; chosen by a stable hash of its name, so a frame stays on
its side across runs) or used for training. Training frames the current model has not seen are "new",
the others "old": a run trains on the new ones plus a replay sample of old ones at a set ratio, against
forgetting. Pseudo-labels are a model's confident, low-uncertainty boxes on unverified frames; they get a
lower loss weight and never replace a human label (a pseudo box overlapping one is dropped).
"""

from __future__ import annotations

import hashlib
import logging
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from annotator.core.box2d import box2d_iou_matrix
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, FrameStatus
from annotator.core.model_versions import DataEntry
from annotator.ml.protocol import Detections
from annotator.ml.training import is_label, targets_of
from annotator.ml.uncertainty.diversity import uncertain_and_diverse

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Roles of frames in a run (see `annotator.core.model_versions.DataEntry`).
TRAIN, REPLAY, HELD_OLD, HELD_NEW, PSEUDO = "train", "replay", "held_old", "held_new", "pseudo"
#: A pseudo box overlapping a human label this much (BEV IoU for cuboids, IoU for 2D boxes) is dropped.
HUMAN_OVERLAP = 0.1


@dataclass
class FrameLabels:
    """A frame's targets for a run (one `Detections` per camera for 2D), its role and per-box weights."""

    frame: Frame
    role: str
    targets: list[Detections]
    weights: list[np.ndarray | None] = field(default_factory=list)
    annotation_ids: tuple[int, ...] = ()
    digest: str = ""

    def entry(self) -> DataEntry:
        """The record of this frame in a version's data snapshot."""
        source = "pseudo" if self.role == PSEUDO else "human"
        return DataEntry(self.frame.id, self.frame.name, self.role, self.annotation_ids, self.digest, source)


def labels_digest(annotations: Sequence[Annotation]) -> str:
    """A short hash of the labels' content (class, geometry, camera), independent of their order."""
    parts = []
    for a in sorted(annotations, key=lambda a: a.id):
        shape = a.cuboid.to_array() if a.cuboid is not None else a.box2d.to_array()
        values = ",".join(f"{v:.4f}" for v in np.asarray(shape, dtype=float))
        parts.append(f"{a.id}|{a.class_name}|{a.camera or ''}|{values}")
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16]


def is_held_apart(frame: Frame, share: float) -> bool:
    """Whether a frame belongs to the held-apart set (a stable hash of its name decides)."""
    return share > 0 and zlib.crc32(frame.name.encode()) % 1000 < share * 1000


def verified_labels(project: Project, frame: Frame, class_names: Sequence[str], task: str) -> FrameLabels:
    """A frame's human labels (role left empty; the caller sets it)."""
    labels = [a for a in project.annotations_of(frame.id) if is_label(a) and a.class_name in class_names]
    targets = targets_of(labels, class_names, task)
    return FrameLabels(
        frame, "", targets, [None] * len(targets), tuple(a.id for a in labels), labels_digest(labels)
    )


def held_share_now(share: float, verified: int, held_from: int) -> float:
    """The held-apart share a run uses: none while the project has fewer than ``held_from`` verified frames
    (few frames are worth more as training data than as a gate that measures on one or two of them)."""
    return share if verified >= held_from else 0.0


def collect_frames(
    project: Project,
    class_names: Sequence[str],
    task: str,
    seen: dict[int, str],
    held_share: float,
    held_from: int = 0,
    trained: frozenset[int] = frozenset(),
) -> list[FrameLabels]:
    """Every verified frame with its labels and role. ``seen`` maps the frames the current model's data
    had to their labels' digest then: a frame counts as old only when its labels are unchanged. Held-apart
    frames become ``held_old`` / ``held_new``, the others ``replay`` / ``train``. No frame is held apart
    while fewer than ``held_from`` frames are verified (`held_share_now`), and none of ``trained`` (frame ids
    an earlier version trained on) ever is: a gate measuring on them would measure what the parent learned."""
    verified = [f for f in project.frames_in_order() if f.status == FrameStatus.VERIFIED]
    share = held_share_now(held_share, len(verified), held_from)
    result = []
    for frame in verified:
        labels = verified_labels(project, frame, class_names, task)
        old = seen.get(frame.id) == labels.digest
        if frame.id not in trained and is_held_apart(frame, share):
            labels.role = HELD_OLD if old else HELD_NEW
        else:
            labels.role = REPLAY if old else TRAIN
        result.append(labels)
    return result


def replay_count(new: int, old: int, ratio: float) -> int:
    """How many old frames join ``new`` ones so that old frames make up ``ratio`` of the mix."""
    if not 0.0 <= ratio < 1.0:
        raise ValueError(f"replay ratio must be in [0, 1), got {ratio:g}")
    if new == 0:
        return old
    return min(old, round(new * ratio / (1.0 - ratio)))


def mix_replay(new: Sequence[T], old: Sequence[T], ratio: float, rng: random.Random) -> list[T]:
    """New items plus a random replay sample of old ones (share ``ratio``), spread evenly through the list
    so that every batch of the plugin mixes both."""
    sample = rng.sample(list(old), replay_count(len(new), len(old), ratio))
    if not new or not sample:
        return [*new, *sample]
    keyed = [((i + 0.5) / len(new), 0, item) for i, item in enumerate(new)]
    keyed += [((i + 0.5) / len(sample), 1, item) for i, item in enumerate(sample)]
    return [item for _, _, item in sorted(keyed, key=lambda k: (k[0], k[1]))]


def most_uncertain(scores: dict[int, float], share: float) -> list[int]:
    """The keys with the highest scores: ``share`` of them, at least one (ties by key)."""
    if not scores:
        return []
    count = max(1, round(len(scores) * share))
    return sorted(sorted(scores), key=lambda k: -scores[k])[:count]


def uncertain_diverse_frames(
    scores: dict[int, float], features: dict[int, np.ndarray], share: float, weight: float
) -> list[int]:
    """As many keys as `most_uncertain` picks, chosen by uncertainty x distance to those already picked
    in latent space (``features`` by key; `annotator.ml.uncertainty.diversity.uncertain_and_diverse`)."""
    if not scores:
        return []
    keys = sorted(scores)
    count = max(1, round(len(scores) * share))
    matrix = np.array([features[k] for k in keys], dtype=float)
    picked = uncertain_and_diverse([scores[k] for k in keys], matrix, count, weight)
    return [keys[i] for i in picked]


def select_pseudo_labels(
    found: Detections,
    uncertainty: np.ndarray,
    human: Detections,
    min_score: float,
    max_uncertainty: float,
    weight: float,
) -> tuple[Detections, np.ndarray]:
    """Pseudo targets for one unverified frame: the human labels (weight 1) plus the model's boxes scoring at
    least ``min_score`` with uncertainty at most ``max_uncertainty`` that overlap no human label, at
    ``weight``. Returns the targets and the per-box loss weights."""
    uncertainty = np.asarray(uncertainty, dtype=float).reshape(-1)
    keep = (found.scores >= min_score) & (uncertainty <= max_uncertainty)
    if len(human) and keep.any():
        keep &= _overlap(found.boxes, human.boxes) < HUMAN_OVERLAP
    chosen = found.select(keep)
    boxes = np.concatenate([human.boxes, chosen.boxes]) if len(human) else chosen.boxes
    labels = np.concatenate([human.labels, chosen.labels])
    weights = np.concatenate([np.ones(len(human)), np.full(len(chosen), float(weight))])
    targets = Detections(
        boxes, labels, np.ones(len(labels)), found.class_names, found.model_version, camera=found.camera
    )
    return targets, weights


def _overlap(boxes: np.ndarray, others: np.ndarray) -> np.ndarray:
    """For each box its largest overlap with any of ``others``."""
    if boxes.shape[1] == 4:
        return box2d_iou_matrix(boxes, others).max(axis=1)
    theirs = [Cuboid.from_array(b) for b in others]
    return np.array([max(bev_iou(Cuboid.from_array(b), t) for t in theirs) for b in boxes])
