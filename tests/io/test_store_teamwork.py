"""Authors, assignments and sign-offs survive saving, reopening and the history (no schema change)."""

from __future__ import annotations

from pathlib import Path

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.records import Annotation, Frame
from annotator.core.model.serialize import annotation_from_dict, annotation_to_dict
from annotator.core.teamwork import AssignFrames, SignOffFrames, assignees, signoff
from annotator.io.workspace import Workspace


def test_author_assignment_and_signoff_are_saved_and_reloaded(tmp_path: Path) -> None:
    with Workspace.create(tmp_path / "p") as workspace:
        workspace.project.author = "ann"
        workspace.push(AddFrames([Frame(0, "f0", 0)]))
        added = workspace.push(
            AddAnnotations([Annotation(0, 1, "Car", cuboid=Cuboid((1, 2, 0), (4, 2, 1.5), 0.3))])
        )
        workspace.push(AssignFrames([1], ["ann", "bob"]))
        workspace.push(SignOffFrames([1], "rita", "2026-12-06T00:00:00+00:00"))
    with Workspace.open(tmp_path / "p") as reopened:
        annotation = reopened.project.annotations[added.ids[0]]
        assert annotation.provenance.author == "ann"
        assert annotation_from_dict(annotation_to_dict(annotation)) == annotation
        assert assignees(reopened.project.frames[1]) == ["ann", "bob"]
        assert signoff(reopened.project.frames[1])["reviewer"] == "rita"
        reopened.undo()  # the sign-off
        assert signoff(reopened.project.frames[1]) is None
