"""Which frames a person reviewed whole, and how many frames each frame lies beyond the last of them.

Along a sequence whose finished labels are propagated frame to frame, an object nobody found stays missing
until a person looks at a frame whole; escalation sends frames to review whole when the share missed on
average since the last such frame would pass its limit (`annotator.ml.uncertainty.adaptation.miss_growth`,
`expected_miss_share`). In a project, a frame counts as reviewed whole when it is marked verified and
*Accept all confident* accepted nothing on it unreviewed: that action counts what it accepts in the frame's
meta (`ACCEPTED_UNREVIEWED_KEY`, through `AcceptConfident`, undone with it).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Iterable

from annotator.core.model.project import Project
from annotator.core.model.records import Frame, FrameStatus
from annotator.core.review import AcceptProposals

logger = logging.getLogger(__name__)

#: A frame's ``meta`` key: how many proposals *Accept all confident* accepted there unreviewed.
ACCEPTED_UNREVIEWED_KEY = "accepted_unreviewed"


class AcceptConfident(AcceptProposals):
    """*Accept all confident*: accept the proposals the escalation rule accepts, and count them on their frames."""

    def do(self, project: Project) -> None:
        counts = Counter(
            project.annotations[i].frame_id for i in self.annotation_ids if i in project.annotations
        )
        super().do(project)
        for frame_id, count in counts.items():
            frame = project.frames.get(frame_id)
            if frame is not None:
                total = int(frame.meta.get(ACCEPTED_UNREVIEWED_KEY, 0) or 0) + count
                meta = dict(frame.meta) | {ACCEPTED_UNREVIEWED_KEY: total}
                project.put("frame", frame_id, dataclasses.replace(frame, meta=meta))


def reviewed_whole(frame: Frame) -> bool:
    """Whether a person verified the frame without accepting anything on it unreviewed."""
    return frame.status == FrameStatus.VERIFIED and not frame.meta.get(ACCEPTED_UNREVIEWED_KEY)


def ages(frames: Iterable[Frame]) -> dict[int, int]:
    """For each frame (by id), how many frames (by index) it lies beyond the last frame before it that was
    reviewed whole (1: the frame right after one); without such a frame, counted from before the first frame."""
    ordered = sorted(frames, key=lambda f: f.index)
    result: dict[int, int] = {}
    last = ordered[0].index - 1 if ordered else 0
    for frame in ordered:
        result[frame.id] = frame.index - last
        if reviewed_whole(frame):
            last = frame.index
    return result


def project_ages(project: Project) -> dict[int, int]:
    """`ages` of the project's frames."""
    return ages(project.frames.values())
