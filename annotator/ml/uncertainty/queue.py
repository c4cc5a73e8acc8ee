"""The review queue by frame: frames ordered by their most uncertain box, boxes by uncertainty.

The same boxes as `annotator.ml.uncertainty.scoring.review_queue` (unreviewed, scored), without their
geometry; each frame gets the max / mean / sum reductions of its boxes' uncertainty.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from annotator.core.model.project import Project
from annotator.ml.uncertainty.diversity import uncertain_and_diverse
from annotator.ml.uncertainty.escalation import OOD_KEY
from annotator.ml.uncertainty.project_escalation import CARRIED_KIND, MISSED_KIND, SLID_KEY
from annotator.ml.uncertainty.scoring import queue_key, scored_boxes

logger = logging.getLogger(__name__)


@dataclass
class QueueFrame:
    """One frame of the queue and its unreviewed scored boxes (review-queue items), most uncertain first."""

    frame_id: int
    name: str
    index: int
    items: list[dict[str, Any]] = field(default_factory=list)
    #: The frame's out-of-distribution score (`annotator.ml.uncertainty.ood`), when its scoring gave one.
    ood: float | None = None

    @property
    def max(self) -> float:
        """The largest uncertainty of the frame's boxes."""
        return max((item["uncertainty"] for item in self.items), default=0.0)

    @property
    def sum(self) -> float:
        """The summed uncertainty of the frame's boxes."""
        return float(sum(item["uncertainty"] for item in self.items))

    @property
    def mean(self) -> float:
        """The mean uncertainty of the frame's boxes."""
        return self.sum / len(self.items) if self.items else 0.0


def queue_by_frame(project: Project) -> list[QueueFrame]:
    """The unreviewed scored boxes grouped by frame; frames by their max uncertainty (then sum, then
    sequence), boxes most uncertain first. Items hold the annotation and frame ids, the frame's position,
    class, score and uncertainty (no geometry: this runs on the UI thread for the review dock)."""
    frames: dict[int, QueueFrame] = {}
    for annotation, frame, record in scored_boxes(project):
        group = frames.get(frame.id)
        if group is None:
            group = frames[frame.id] = QueueFrame(frame.id, frame.name, frame.index)
        group.items.append(
            {
                "annotation_id": annotation.id,
                "frame_id": frame.id,
                "frame_index": frame.index,
                "class": annotation.class_name,
                "score": annotation.provenance.score,
                "uncertainty": float(record["uncertainty"]),
                "embedding": record.get("embedding"),
                "missed": record.get("kind") == MISSED_KIND,
                "carried": record.get("kind") == CARRIED_KIND,
                "slid_off": record.get("kind") == CARRIED_KIND and SLID_KEY in record,
            }
        )
        if isinstance(record.get(OOD_KEY), (int, float)):
            group.ood = max(group.ood or 0.0, float(record[OOD_KEY]))
    for group in frames.values():
        group.items.sort(key=lambda i: (-i["uncertainty"], i["annotation_id"]))
    return sorted(frames.values(), key=lambda f: (-f.max, -f.sum, f.index))


def queue_order(groups: list[QueueFrame], diversity: float = 0.0) -> list[dict[str, Any]]:
    """Every box of the queue, most uncertain first (ties: frame order, then id); with ``diversity`` > 0
    and every box carrying a latent ``embedding``, in the order of weighted k-center greedy instead
    (`annotator.ml.uncertainty.diversity.uncertain_and_diverse`): each next box the most uncertain
    relative to its distance from those before it, so near copies of one hard case do not come in a row."""
    items = sorted((item for group in groups for item in group.items), key=queue_key)
    return diverse_order(items, diversity) if diversity > 0 else items


def diverse_order(items: list[dict[str, Any]], weight: float) -> list[dict[str, Any]]:
    """``items`` (with ``uncertainty`` and ``embedding``) reordered by uncertainty and diversity; unchanged
    when some item has no embedding."""
    embeddings = [item.get("embedding") for item in items]
    if not items or any(not isinstance(e, list) or not e for e in embeddings):
        return items
    if len({len(e) for e in embeddings}) != 1:
        return items
    order = uncertain_and_diverse([i["uncertainty"] for i in items], np.array(embeddings), len(items), weight)
    return [items[k] for k in order]
