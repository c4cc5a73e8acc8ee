"""Which frames a person reviewed whole, and how many frames each frame lies beyond the last of them.

Along a sequence whose finished labels are propagated frame to frame, an object nobody found stays missing
until a person looks a frame over whole; escalation sends a frame to be searched for missed objects when the
share missed on average since the last such frame would pass its limit
(`annotator.ml.uncertainty.adaptation.miss_growth`, `expected_miss_share`). In a project, a frame counts as
looked over whole when it is marked verified and either *Accept all confident* did not judge it box by box
(a person reviewed it whole: the rule says "to review whole" there, and they do not use the action), or the
action judged it and asked for the search. The action marks each frame it judged, with how many boxes it
accepted there unreviewed and whether the frame is to be searched, in the frame's meta (`ESCALATED_KEY`,
through `AcceptConfident`, undone with it).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Iterable

from annotator.core.model.project import Project
from annotator.core.model.records import Frame, FrameStatus, Review
from annotator.core.review import AcceptProposals

logger = logging.getLogger(__name__)

#: The attribute holding a scored annotation's uncertainty record.
UNCERTAINTY_KEY = "uncertainty"

#: A frame's ``meta`` key: *Accept all confident* judged the frame box by box, {"accepted": boxes it accepted
#: there unreviewed}, with ``SEARCH_KEY: True`` where the rule also asked a person to search it for missed objects.
ESCALATED_KEY = "escalated"
SEARCH_KEY = "search"


#: Set in the uncertainty record of a proposal *Accept all confident* accepted: nobody looked at it, so it
#: teaches escalation nothing (it is not a verified "right").
ACCEPTED_BY_RULE = "accepted_by_rule"


class AcceptConfident(AcceptProposals):
    """*Accept all confident*: accept the proposals the escalation rule accepts, mark each (`ACCEPTED_BY_RULE`
    in its uncertainty record), and mark the frames it judged box by box (``judged_frames``, and those of the
    proposals) with how many it accepted there (`ESCALATED_KEY`), and those of them to search for missed
    objects (``searched_frames``, `SEARCH_KEY`)."""

    def __init__(
        self,
        annotation_ids: Iterable[int],
        judged_frames: Iterable[int] = (),
        label: str | None = None,
        searched_frames: Iterable[int] = (),
    ) -> None:
        super().__init__(annotation_ids, label)
        self.judged_frames = list(judged_frames)
        self.searched_frames = set(searched_frames)

    def do(self, project: Project) -> None:
        waiting = [
            project.annotations[i]
            for i in self.annotation_ids
            if i in project.annotations and project.annotations[i].review is Review.UNREVIEWED
        ]
        counts = Counter(a.frame_id for a in waiting)
        super().do(project)
        for before in waiting:
            accepted = project.annotations.get(before.id)
            record = accepted.attributes.get(UNCERTAINTY_KEY) if accepted is not None else None
            if accepted is not None and isinstance(record, dict):
                attributes = accepted.attributes | {UNCERTAINTY_KEY: record | {ACCEPTED_BY_RULE: True}}
                project.put("annotation", accepted.id, dataclasses.replace(accepted, attributes=attributes))
        for frame_id in sorted({*self.judged_frames, *counts}):
            frame = project.frames.get(frame_id)
            if frame is not None:
                before = frame.meta.get(ESCALATED_KEY)
                total = (before.get("accepted", 0) if isinstance(before, dict) else 0) + counts.get(
                    frame_id, 0
                )
                mark = {"accepted": total}
                if frame_id in self.searched_frames or (isinstance(before, dict) and before.get(SEARCH_KEY)):
                    mark[SEARCH_KEY] = True
                meta = dict(frame.meta) | {ESCALATED_KEY: mark}
                project.put("frame", frame_id, dataclasses.replace(frame, meta=meta))


def reviewed_whole(frame: Frame) -> bool:
    """Whether a person verified the frame having looked it over whole: *Accept all confident* did not judge
    it box by box, or it asked for the frame to be searched for missed objects."""
    if frame.status != FrameStatus.VERIFIED:
        return False
    mark = frame.meta.get(ESCALATED_KEY)
    return mark is None or (isinstance(mark, dict) and bool(mark.get(SEARCH_KEY)))


def to_search(frame: Frame) -> bool:
    """Whether *Accept all confident* asked for the frame to be searched for missed objects and it is not
    verified yet (the frame list marks it)."""
    mark = frame.meta.get(ESCALATED_KEY)
    return frame.status != FrameStatus.VERIFIED and isinstance(mark, dict) and bool(mark.get(SEARCH_KEY))


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
