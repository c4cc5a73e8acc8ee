"""The review queue by frame: frames ordered by their most uncertain box, boxes by uncertainty.

The same boxes as `annotator.ml.uncertainty.scoring.review_queue` (unreviewed, scored), without their
geometry; each frame gets the max / mean / sum reductions of its boxes' uncertainty.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from annotator.core.model.project import Project
from annotator.ml.uncertainty.scoring import queue_key, scored_boxes

logger = logging.getLogger(__name__)


@dataclass
class QueueFrame:
    """One frame of the queue and its unreviewed scored boxes (review-queue items), most uncertain first."""

    frame_id: int
    name: str
    index: int
    items: list[dict[str, Any]] = field(default_factory=list)

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
            }
        )
    for group in frames.values():
        group.items.sort(key=lambda i: (-i["uncertainty"], i["annotation_id"]))
    return sorted(frames.values(), key=lambda f: (-f.max, -f.sum, f.index))


def queue_order(groups: list[QueueFrame]) -> list[dict[str, Any]]:
    """Every box of the queue, most uncertain first (ties: frame order, then id)."""
    return sorted((item for group in groups for item in group.items), key=queue_key)
