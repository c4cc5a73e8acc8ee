"""Project events fire only once a step is durable, and a refused record leaves the index intact."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest
from tests_support import car  # type: ignore[import-not-found]

from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.commands import FunctionCommand, HistoryUpdate, UndoStack
from annotator.core.model.project import Change, Project
from annotator.core.model.records import Frame


class RecordingJournal:
    """A journal that notes which events had fired when it was asked to write, and can refuse."""

    def __init__(self, project: Project, seen: list[str]) -> None:
        self.project, self.seen, self.refuse = project, seen, False

    def write(self, changes: Sequence[Change], update: HistoryUpdate) -> None:
        self.seen.append(f"write {update.action}")
        if self.refuse:
            raise OSError("disk full")


def journaled_project() -> tuple[Project, UndoStack, RecordingJournal, list[str], int]:
    project, seen = Project(), []
    journal = RecordingJournal(project, seen)
    stack = UndoStack(project, journal=journal)
    frame_id = stack.push(AddFrames([Frame(0, "000000", 0)])).ids[0]
    project.events.annotation.connect(lambda change: seen.append("annotation"))
    project.events.batch.connect(lambda changes: seen.append("batch"))
    seen.clear()
    return project, stack, journal, seen, frame_id


def test_events_of_a_step_fire_after_its_write() -> None:
    _project, stack, _journal, seen, frame_id = journaled_project()
    stack.push(AddAnnotations([car(frame_id)]))
    stack.undo()
    assert seen == ["write push", "annotation", "batch", "write undo", "annotation", "batch"]


def test_a_refused_write_fires_no_event() -> None:
    project, stack, journal, seen, frame_id = journaled_project()
    journal.refuse = True
    with pytest.raises(OSError):
        stack.push(AddAnnotations([car(frame_id)]))
    assert seen == ["write push"] and not project.annotations


def test_a_group_is_announced_once_after_its_write() -> None:
    _project, stack, _journal, seen, frame_id = journaled_project()
    with stack.group("Two cars"):
        stack.push(AddAnnotations([car(frame_id)]))
        stack.push(AddAnnotations([car(frame_id, 5)]))
        assert seen == []  # nothing is announced while the group is open
    assert seen == ["write push", "annotation", "annotation", "batch"]


def test_a_refused_group_fires_no_event_and_leaves_the_project_as_it_was() -> None:
    project, stack, journal, seen, frame_id = journaled_project()
    journal.refuse = True
    with pytest.raises(OSError), stack.group("Two cars"):
        stack.push(AddAnnotations([car(frame_id)]))
        stack.push(AddAnnotations([car(frame_id, 5)]))
    assert seen == ["write push"] and not project.annotations and not project.annotations_of(frame_id)


def test_moving_an_annotation_to_a_missing_frame_is_refused_and_keeps_it_indexed() -> None:
    project, stack, _journal, _seen, frame_id = journaled_project()
    annotation_id = stack.push(AddAnnotations([car(frame_id)])).ids[0]
    moved = dataclasses.replace(project.annotations[annotation_id], frame_id=999)
    with pytest.raises(ValueError, match="missing frame 999"):
        stack.push(FunctionCommand("Move", lambda p: p.put("annotation", annotation_id, moved)))
    assert [a.id for a in project.annotations_of(frame_id)] == [annotation_id]
    assert project.annotations_of(999) == []


def test_adding_an_annotation_to_a_missing_frame_leaves_no_index_entry() -> None:
    project, stack, _journal, _seen, frame_id = journaled_project()
    stray = dataclasses.replace(car(frame_id), id=50, frame_id=999)
    with pytest.raises(ValueError, match="missing frame"):
        stack.push(FunctionCommand("Add", lambda p: p.put("annotation", 50, stray)))
    assert project.annotations_of(999) == []  # raised KeyError when the index kept the stray id
