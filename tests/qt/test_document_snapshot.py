"""What background jobs take from the document: a private snapshot and a generation that follows every
change, so an answer computed on an older state is recognised."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations
from annotator.core.model.records import Annotation
from annotator.io.workspace import Workspace
from annotator.jobs import JobContext
from annotator.qt.document import Document
from annotator.qt.frame_loader import FrameLoader
from annotator.qt.jobs import QtJobs


@pytest.fixture
def document(qtbot, street_project: Path):
    workspace = Workspace.open(street_project)
    document = Document(FrameLoader(threads=1))
    document.open(workspace, wait=True)
    yield document
    document.loader.shutdown()
    document.close()
    workspace.close()


def _car(frame_id: int) -> Annotation:
    return Annotation(0, frame_id, "Car", cuboid=Cuboid((30.0, 0.0, -0.9), (4.0, 1.8, 1.5), 0.0))


def test_generation_moves_on_with_every_command_undo_and_redo(document) -> None:
    seen = [document.generation]
    document.push(AddAnnotations([_car(document.frame_id)]))
    seen.append(document.generation)
    document.workspace.undo()
    seen.append(document.generation)
    document.workspace.redo()
    seen.append(document.generation)
    assert len(set(seen)) == 4
    document.set_frame(document.frames()[1].id)  # view state, not a change of the project
    assert document.generation == seen[-1]


def test_the_snapshot_is_a_copy_that_later_edits_do_not_reach(document) -> None:
    snapshot = document.snapshot()
    assert snapshot is not document.project and snapshot.annotations == document.project.annotations
    document.push(AddAnnotations([_car(document.frame_id)]))
    assert len(snapshot.annotations) == len(document.project.annotations) - 1


def test_a_job_answering_after_an_edit_is_planned_again_on_the_edited_project(document, qtbot) -> None:
    jobs, done, counts = QtJobs(), [], []
    frame_id = document.frame_id

    def count(context: JobContext) -> int:
        counts.append(len(context.snapshot.annotations))
        return counts[-1]

    jobs.submit(count, document=document, replans=1, on_done=done.append)
    document.push(AddAnnotations([_car(frame_id)]))  # before the answer is handed over
    qtbot.waitUntil(lambda: bool(done), timeout=5000)
    assert done[0].ok and done[0].result == len(document.project.annotations)
    assert counts == [done[0].result - 1, done[0].result]
