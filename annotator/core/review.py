"""Reviewing model proposals: accept, reject, accept everything above a score."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable

from annotator.core.derived_links import follow_review
from annotator.core.edits import RemoveAnnotations
from annotator.core.model.commands import Command
from annotator.core.model.project import Project
from annotator.core.model.records import Review

logger = logging.getLogger(__name__)


def _count(n: int, noun: str = "proposal") -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class AcceptProposals(Command):
    """Mark unreviewed proposals as accepted (provenance is kept: model id, version, score), with the 2D
    boxes derived from them."""

    def __init__(self, annotation_ids: Iterable[int], label: str | None = None) -> None:
        self.annotation_ids = list(annotation_ids)
        self.label = label or f"Accept {_count(len(self.annotation_ids))}"

    def do(self, project: Project) -> None:
        for annotation_id in self.annotation_ids:
            annotation = project.annotations.get(annotation_id)
            if annotation is not None and annotation.review == Review.UNREVIEWED:
                project.put(
                    "annotation", annotation_id, dataclasses.replace(annotation, review=Review.ACCEPTED)
                )
        follow_review(project, self.annotation_ids)


#: A frame's ``meta`` key listing the scored proposals a person rejected there (class, box, the record of
#: their uncertainty): what escalation learns P(wrong) and objectness from once the frame is verified.
REJECTED_KEY = "rejected_scored"


class RejectProposals(RemoveAnnotations):
    """Remove proposals the annotator rejects; scored ones are remembered on their frame (`REJECTED_KEY`)."""

    def __init__(self, annotation_ids: Iterable[int]) -> None:
        ids = list(annotation_ids)
        super().__init__(ids, label=f"Reject {_count(len(ids))}")

    def do(self, project: Project) -> None:
        remembered: dict[int, list[dict]] = {}
        for annotation_id in self.annotation_ids:
            a = project.annotations.get(annotation_id)
            record = a.attributes.get("uncertainty") if a is not None else None
            if a is not None and a.is_proposal and a.cuboid is not None and isinstance(record, dict):
                entry = {
                    "class": a.class_name,
                    "box": [float(v) for v in a.cuboid.to_array()],
                    "record": {
                        k: v for k, v in record.items() if k != "embedding"
                    },  # measures, not the latent
                }
                remembered.setdefault(a.frame_id, []).append(entry)
        for frame_id, entries in remembered.items():
            frame = project.frames.get(frame_id)
            if frame is not None:
                meta = dict(frame.meta) | {REJECTED_KEY: [*frame.meta.get(REJECTED_KEY, []), *entries]}
                project.put("frame", frame_id, dataclasses.replace(frame, meta=meta))
        super().do(project)


def proposals_above(project: Project, threshold: float, frame_ids: Iterable[int] | None = None) -> list[int]:
    """Ids of unreviewed proposals scoring at least ``threshold`` (in the given frames, or all)."""
    frames = set(frame_ids) if frame_ids is not None else None
    return [
        a.id
        for a in project.annotations.values()
        if a.is_proposal
        and (frames is None or a.frame_id in frames)
        and a.provenance.score is not None
        and a.provenance.score >= threshold
    ]


def accept_above(
    project: Project, threshold: float, frame_ids: Iterable[int] | None = None
) -> AcceptProposals:
    """A command accepting every unreviewed proposal scoring at least ``threshold``."""
    ids = proposals_above(project, threshold, frame_ids)
    return AcceptProposals(ids, label=f"Accept {_count(len(ids))} scoring >= {threshold:g}")
