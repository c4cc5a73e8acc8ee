"""The review queue by frame: frames ordered by their most uncertain box, boxes by uncertainty.

Built on `annotator.ml.uncertainty.scoring.review_queue` (unreviewed scored boxes, most uncertain first);
each frame gets the max / mean / sum reductions of its boxes' uncertainty.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from annotator.core.project import Project
from annotator.ml.uncertainty.scoring import review_queue

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
    sequence), boxes most uncertain first."""
    frames: dict[int, QueueFrame] = {}
    for item in review_queue(project):
        annotation = project.annotations[item["annotation_id"]]
        group = frames.get(annotation.frame_id)
        if group is None:
            group = frames[annotation.frame_id] = QueueFrame(
                annotation.frame_id, item["frame"], item["frame_index"]
            )
        item["frame_id"] = annotation.frame_id
        group.items.append(item)
    return sorted(frames.values(), key=lambda f: (-f.max, -f.sum, f.index))


def queue_order(groups: list[QueueFrame]) -> list[dict[str, Any]]:
    """Every box of the queue, most uncertain first (ties: frame order, then id)."""
    items = [item for group in groups for item in group.items]
    return sorted(items, key=lambda i: (-i["uncertainty"], i["frame_index"], i["annotation_id"]))
