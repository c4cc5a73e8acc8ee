"""The undo stack: exact undo/redo, labels, drag merging, groups, and rollback of failed commands."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from tests_support import apply_random_operation, car, operations, snapshot  # type: ignore[import-not-found]

from annotator.core.edits import (
    AddAnnotations,
    AddFrames,
    RemoveFrames,
    update_annotation,
)
from annotator.core.model.commands import FunctionCommand, UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Frame


def new_project_with_frame() -> tuple[Project, UndoStack, int]:
    project = Project()
    stack = UndoStack(project)
    frame_id = stack.push(AddFrames([Frame(0, "000000", 0)])).ids[0]
    return project, stack, frame_id


def test_add_assigns_ids_and_a_track_per_new_object() -> None:
    project, stack, frame_id = new_project_with_frame()
    command = stack.push(AddAnnotations([car(frame_id), car(frame_id, 5)]))
    assert len(command.ids) == 2
    tracks = {project.annotations[i].track_id for i in command.ids}
    assert len(tracks) == 2 and tracks <= set(project.tracks)
    assert stack.undo_label() == "Add 2 cuboids"


def test_undo_after_drag_restores_exact_size() -> None:
    project, stack, frame_id = new_project_with_frame()
    annotation_id = stack.push(AddAnnotations([car(frame_id)])).ids[0]
    original = project.annotations[annotation_id]
    for step in range(1, 20):
        box = project.annotations[annotation_id].cuboid.replace(size=(3.9 + step * 0.01, 1.6, 1.5))
        stack.push(
            update_annotation(project, annotation_id, "Resize cuboid", merge_key=("drag", 1), cuboid=box)
        )
    stack.close_merge()
    assert len(stack.entries) == 3, "frame, cuboid, and one step for the whole drag"
    assert stack.undo_label() == "Resize cuboid"
    stack.undo()
    assert project.annotations[annotation_id] == original
    stack.redo()
    assert project.annotations[annotation_id].cuboid.size == pytest.approx((4.09, 1.6, 1.5))


def test_a_closed_drag_does_not_merge_with_the_next() -> None:
    project, stack, frame_id = new_project_with_frame()
    annotation_id = stack.push(AddAnnotations([car(frame_id)])).ids[0]
    for _ in range(2):
        box = project.annotations[annotation_id].cuboid
        stack.push(
            update_annotation(project, annotation_id, merge_key="drag", cuboid=box.replace(yaw=box.yaw + 0.1))
        )
        stack.close_merge()
    assert len(stack.entries) == 4, "frame, cuboid, two separate drags"


def test_group_makes_one_step_and_undoes_everything() -> None:
    project, stack, frame_id = new_project_with_frame()
    before = snapshot(project)
    with stack.group("Paste 3 cuboids"):
        for x in range(3):
            stack.push(AddAnnotations([car(frame_id, x * 5)]))
    assert stack.undo_label() == "Paste 3 cuboids"
    assert len(project.annotations) == 3
    stack.undo()
    assert snapshot(project) == before


def test_failing_command_leaves_project_unchanged() -> None:
    project, stack, frame_id = new_project_with_frame()
    stack.push(AddAnnotations([car(frame_id)]))
    before = snapshot(project)

    def half_done(p: Project) -> None:
        p.put("annotation", 99, dataclasses.replace(car(frame_id), id=99, track_id=None))
        raise RuntimeError("plugin crashed")

    with pytest.raises(RuntimeError):
        stack.push(FunctionCommand("Broken", half_done))
    assert snapshot(project) == before
    assert stack.undo_label() == "Add 1 cuboid"


def test_mutation_outside_a_command_is_refused() -> None:
    project = Project()
    with pytest.raises(RuntimeError, match="through commands"):
        project.put("setting", "nine_dof", True)


def test_events_report_each_change_and_one_batch_per_step() -> None:
    project, stack, frame_id = new_project_with_frame()
    changes, batches = [], []
    project.events.annotation.connect(changes.append)
    project.events.batch.connect(batches.append)
    stack.push(AddAnnotations([car(frame_id), car(frame_id, 4)]))
    stack.undo()
    assert [c.added for c in changes] == [True, True, False, False]
    assert len(batches) == 2


def test_removing_a_frame_removes_its_annotations_and_undo_brings_them_back() -> None:
    project, stack, frame_id = new_project_with_frame()
    stack.push(AddAnnotations([car(frame_id)]))
    before = snapshot(project)
    stack.push(RemoveFrames([frame_id]))
    assert not project.annotations and not project.frames
    stack.undo()
    assert snapshot(project) == before
    assert project.annotations_of(frame_id)


@settings(max_examples=60, deadline=None)
@given(operations)
def test_undo_all_and_redo_all_restore_exact_states(ops: list[tuple[str, int, float]]) -> None:
    project, stack, _ = new_project_with_frame()
    stack.undo_all()
    initial = snapshot(project)
    stack.redo_all()
    for op, pick, value in ops:
        apply_random_operation(project, stack, op, pick, value)
        if pick % 7 == 0:
            stack.close_merge()
    final = snapshot(project)
    stack.undo_all()
    assert snapshot(project) == initial
    stack.redo_all()
    assert snapshot(project) == final
