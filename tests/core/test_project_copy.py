"""`Project.copy`: a private copy a worker thread can read while the project changes."""

from __future__ import annotations

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames, RemoveAnnotations
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame


def test_a_copy_keeps_the_records_as_they_were_when_the_project_changes() -> None:
    project = Project()
    stack = UndoStack(project)
    frames = stack.push(AddFrames([Frame(0, "a", index=0), Frame(0, "b", index=1)])).ids
    box = Cuboid((1.0, 2.0, 0.0), (4.0, 2.0, 1.5), 0.0)
    ids = stack.push(AddAnnotations([Annotation(0, frames[0], "Car", cuboid=box)])).ids
    copy = project.copy()
    stack.push(RemoveAnnotations(ids))
    stack.push(AddAnnotations([Annotation(0, frames[1], "Car", cuboid=box)]))
    assert [a.id for a in copy.annotations_of(frames[0])] == ids and copy.annotations_of(frames[1]) == []
    assert copy.annotations[ids[0]] is not None and set(copy.tracks) == {1}
    assert copy.frames_in_order()[1].name == "b" and copy.schema is project.schema
