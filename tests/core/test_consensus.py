"""Resolving disagreements: keep one side, keep both, delete; each one undoable step."""

from __future__ import annotations

from tests_support import snapshot

from annotator.core.agreement import frame_agreement
from annotator.core.consensus import DeleteBoxes, KeepBoth, KeepBox, open_disagreements
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Provenance, Source


def disputed_frame() -> tuple[Project, UndoStack]:
    """ann and bob drew one car 2.5 m apart (IoU 0.23) and ann drew a second car bob missed."""
    project = Project()
    stack = UndoStack(project)
    stack.push(AddFrames([Frame(0, "f0", 0)]))

    def box(x: float, author: str) -> Annotation:
        cuboid = Cuboid((x, 0, 0), (4, 2, 1.5), 0.0)
        return Annotation(0, 1, "Car", cuboid=cuboid, provenance=Provenance(Source.MANUAL, author=author))

    stack.push(AddAnnotations([box(0, "ann"), box(2.5, "bob"), box(30, "ann")]))
    return project, stack


def test_keeping_one_side_deletes_the_other_and_undo_brings_it_back():
    project, stack = disputed_frame()
    before = snapshot(project)
    pair = open_disagreements(frame_agreement(project, project.frames[1]))[0]
    command = stack.push(KeepBox(pair.second.id, [pair.first.id], "bob"))
    assert command.label == "Keep bob's box"
    assert pair.first.id not in project.annotations and pair.second.id in project.annotations
    assert len(open_disagreements(frame_agreement(project, project.frames[1]))) == 1  # bob's box resolved
    stack.undo()
    assert snapshot(project) == before


def test_keeping_both_marks_the_pair_resolved_without_changing_the_score():
    project, stack = disputed_frame()
    agreement = frame_agreement(project, project.frames[1])
    assert len(open_disagreements(agreement)) == 2
    pair = agreement.disagreements()[0]
    stack.push(KeepBoth(1, pair.ids))
    after = frame_agreement(project, project.frames[1])
    assert len(open_disagreements(after)) == 1
    assert after.score == agreement.score
    stack.undo()
    assert len(open_disagreements(frame_agreement(project, project.frames[1]))) == 2


def test_deleting_removes_every_box_of_the_object():
    project, stack = disputed_frame()
    only_ann = next(b for b in frame_agreement(project, project.frames[1]).boxes if not b.matched)
    stack.push(DeleteBoxes(only_ann.ids))
    assert only_ann.first.id not in project.annotations
    assert len(open_disagreements(frame_agreement(project, project.frames[1]))) == 1
