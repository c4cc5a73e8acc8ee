"""Assignment, sign-off and author stamping: undoable edits of the project like any other."""

from __future__ import annotations

import pytest
from tests_support import snapshot

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames, update_annotation
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Provenance, Review, Source
from annotator.core.review import AcceptProposals
from annotator.core.teamwork import AssignFrames, RevokeSignOff, SignOffFrames, assignees, signoff


def three_frames() -> tuple[Project, UndoStack]:
    project = Project()
    stack = UndoStack(project)
    stack.push(AddFrames([Frame(0, f"f{i}", i) for i in range(3)]))
    return project, stack


def test_assigning_frames_is_one_undoable_step():
    project, stack = three_frames()
    before = snapshot(project)
    command = stack.push(AssignFrames([1, 2], ["ann", "bob", "ann"]))
    assert command.label == "Assign 2 frames to ann, bob"
    assert assignees(project.frames[1]) == ["ann", "bob"] and assignees(project.frames[3]) == []
    stack.push(AssignFrames([2], []))
    assert assignees(project.frames[2]) == []
    stack.undo()
    stack.undo()
    assert snapshot(project) == before


def test_bad_names_and_missing_frames_are_refused():
    project, stack = three_frames()
    with pytest.raises(ValueError, match="bad user name"):
        AssignFrames([1], ["  "])
    with pytest.raises(LookupError):
        stack.push(AssignFrames([99], ["ann"]))
    assert assignees(project.frames[1]) == []


def test_signoff_records_reviewer_time_and_agreement_and_can_be_revoked():
    project, stack = three_frames()
    stack.push(SignOffFrames([1], "rita", "2026-12-06T00:00:00+00:00", {1: 0.83333}))
    assert signoff(project.frames[1]) == {
        "reviewer": "rita",
        "at": "2026-12-06T00:00:00+00:00",
        "agreement": 0.8333,
    }
    stack.push(RevokeSignOff([1]))
    assert signoff(project.frames[1]) is None
    stack.undo()
    assert signoff(project.frames[1])["reviewer"] == "rita"


def test_the_editing_author_is_stamped_on_drawn_and_accepted_boxes_not_on_proposals():
    project, stack = three_frames()
    project.author = "ann"
    cuboid = Cuboid((0, 0, 0), (4, 2, 1.5), 0.0)
    proposal = Annotation(
        0,
        1,
        "Car",
        cuboid=cuboid,
        provenance=Provenance(Source.MODEL, "m", "v1", 0.7),
        review=Review.UNREVIEWED,
    )
    added = stack.push(AddAnnotations([Annotation(0, 1, "Car", cuboid=cuboid), proposal]))
    drawn, model = (project.annotations[i] for i in added.ids)
    assert drawn.provenance.author == "ann"
    assert model.provenance.author is None
    project.author = "bob"
    stack.push(AcceptProposals([model.id]))
    assert project.annotations[model.id].provenance.author == "bob"
    assert project.annotations[model.id].provenance.model_id == "m"
    stack.push(update_annotation(project, drawn.id, class_name="Truck"))
    assert project.annotations[drawn.id].provenance.author == "bob"
    stack.undo()
    assert project.annotations[drawn.id].provenance.author == "ann"
