"""Resolving two annotators' disagreements on a frame: keep one side's box, keep both, or delete both.

Each resolution is one undoable command. Keeping both records the pair in the frame's ``meta``
(``consensus_kept``) so that the consensus view lists it as resolved; the agreement score itself stays
what the two people drew.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable

from annotator.core.agreement import BoxAgreement, FrameAgreement
from annotator.core.edits import RemoveAnnotations
from annotator.core.model.commands import Command
from annotator.core.model.project import Project
from annotator.core.model.records import Frame

logger = logging.getLogger(__name__)

KEPT = "consensus_kept"


def kept_pairs(frame: Frame) -> set[tuple[int, ...]]:
    """The box groups (sorted annotation ids) a reviewer decided to keep as they are."""
    value = frame.meta.get(KEPT)
    return {tuple(sorted(int(i) for i in group)) for group in value} if isinstance(value, list) else set()


def open_disagreements(agreement: FrameAgreement) -> list[BoxAgreement]:
    """The frame's disagreements nobody has resolved yet."""
    kept = kept_pairs(agreement.frame)
    return [box for box in agreement.disagreements() if tuple(sorted(box.ids)) not in kept]


def _mark_kept(project: Project, frame_id: int, annotation_ids: Iterable[int]) -> None:
    frame = project.frames[frame_id]
    groups = sorted(kept_pairs(frame) | {tuple(sorted(annotation_ids))})
    meta = {**frame.meta, KEPT: [list(group) for group in groups]}
    project.put("frame", frame_id, dataclasses.replace(frame, meta=meta))


class KeepBox(RemoveAnnotations):
    """Resolve an object by keeping one box and deleting the other side's (the box left alone is then
    resolved, not a box only one person drew)."""

    def __init__(self, keep_id: int, drop_ids: Iterable[int], author: str | None = None) -> None:
        super().__init__(drop_ids, label=f"Keep {author}'s box" if author else "Keep one box")
        self.keep_id = keep_id

    def do(self, project: Project) -> None:
        super().do(project)
        _mark_kept(project, project.annotations[self.keep_id].frame_id, [self.keep_id])


class DeleteBoxes(RemoveAnnotations):
    """Resolve an object by deleting every box of it."""

    def __init__(self, annotation_ids: Iterable[int]) -> None:
        ids = list(annotation_ids)
        super().__init__(ids, label="Delete both boxes" if len(ids) == 2 else "Delete box")


class KeepBoth(Command):
    """Resolve an object by keeping both boxes as they are (recorded on the frame)."""

    def __init__(self, frame_id: int, annotation_ids: Iterable[int]) -> None:
        self.frame_id = frame_id
        self.group = sorted(annotation_ids)
        self.label = "Keep both boxes"

    def do(self, project: Project) -> None:
        _mark_kept(project, self.frame_id, self.group)
