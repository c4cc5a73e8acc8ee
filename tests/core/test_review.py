"""Accepting and rejecting model proposals, one undoable step each."""

from __future__ import annotations

import dataclasses

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Provenance, Review, Source
from annotator.core.review import REJECTED_KEY, AcceptProposals, RejectProposals, accept_above


def project_with_proposals(scores: list[float]) -> tuple[Project, UndoStack, list[int]]:
    project = Project()
    stack = UndoStack(project)
    frame_id = stack.push(AddFrames([Frame(0, "f", 0)])).ids[0]
    proposals = [
        Annotation(
            0,
            frame_id,
            "Car",
            cuboid=Cuboid((i * 5, 0, 0), (4, 2, 1.5)),
            provenance=Provenance(Source.MODEL, "geometric", "v1", score),
            review=Review.UNREVIEWED,
        )
        for i, score in enumerate(scores)
    ]
    return project, stack, stack.push(AddAnnotations(proposals)).ids


def test_accept_keeps_provenance_and_undo_restores_the_proposal() -> None:
    project, stack, ids = project_with_proposals([0.9])
    stack.push(AcceptProposals(ids))
    accepted = project.annotations[ids[0]]
    assert accepted.review == Review.ACCEPTED
    assert accepted.provenance.model_id == "geometric" and accepted.provenance.score == 0.9
    stack.undo()
    assert project.annotations[ids[0]].review == Review.UNREVIEWED


def test_reject_removes_the_proposal_and_its_track() -> None:
    project, stack, ids = project_with_proposals([0.2])
    stack.push(RejectProposals(ids))
    assert not project.annotations and not project.tracks
    assert stack.undo_label() == "Reject 1 proposal"


def test_accept_above_threshold_is_one_step() -> None:
    project, stack, ids = project_with_proposals([0.2, 0.6, 0.95])
    stack.push(accept_above(project, 0.5))
    assert [project.annotations[i].review for i in ids] == [
        Review.UNREVIEWED,
        Review.ACCEPTED,
        Review.ACCEPTED,
    ]
    assert stack.undo_label() == "Accept 2 proposals scoring >= 0.5"
    stack.undo()
    assert all(project.annotations[i].is_proposal for i in ids)


def test_rejecting_a_scored_proposal_remembers_it_on_its_frame_until_undone() -> None:
    project, stack, ids = project_with_proposals([0.4, 0.8])
    scored = project.annotations[ids[0]]
    record = {"uncertainty": 0.7, "score": 0.4}
    stack.push(AddAnnotations([dataclasses.replace(scored, id=0, attributes={"uncertainty": record})]))
    scored_id = max(project.annotations)
    stack.push(RejectProposals([scored_id, ids[1]]))  # the second carries no uncertainty record
    (frame,) = project.frames.values()
    assert frame.meta[REJECTED_KEY] == [
        {"class": "Car", "box": [0.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0], "record": record}
    ]
    stack.undo()
    assert REJECTED_KEY not in project.frames[frame.id].meta and scored_id in project.annotations
