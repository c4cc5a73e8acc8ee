"""A track's timeline: keyframes, interpolated boxes and gaps per frame; setting and clearing keyframes."""

from __future__ import annotations

import dataclasses

import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame
from annotator.core.timeline import Cell, clear_keyframe, set_keyframe, track_cells

START = Cuboid((0.0, 0.0, -1.0), (4.0, 1.8, 1.5), 0.0)
END = Cuboid((8.0, 0.0, -1.0), (4.0, 1.8, 1.5), 0.0)


def make() -> tuple[Project, UndoStack, list[int], int]:
    """Five frames: keyframes on 0 and 4, an interpolated box on 2, nothing on 1 and 3."""
    project = Project()
    stack = UndoStack(project)
    ids = stack.push(AddFrames([Frame(0, f"{k:06d}", k) for k in range(5)])).ids
    first = stack.push(AddAnnotations([Annotation(0, ids[0], "Car", cuboid=START)]))
    track = project.annotations[first.ids[0]].track_id
    middle = Cuboid((4.0, 0.0, -1.0), (4.0, 1.8, 1.5), 0.0)
    stack.push(
        AddAnnotations(
            [
                Annotation(0, ids[4], "Car", track, cuboid=END),
                Annotation(0, ids[2], "Car", track, cuboid=middle, keyframe=False),
            ]
        )
    )
    return project, stack, ids, track


def states(project: Project, track: int) -> list[Cell]:
    return [cell.state for cell in track_cells(project, track)]


def test_cells_show_keyframes_interpolated_boxes_and_gaps() -> None:
    project, _, _, track = make()
    key, between, gap = Cell.KEYFRAME, Cell.INTERPOLATED, Cell.MISSING
    assert states(project, track) == [key, gap, between, gap, key]


def test_setting_a_keyframe_in_a_gap_blends_its_neighbours_and_undoes() -> None:
    project, stack, ids, track = make()
    stack.push(set_keyframe(project, track, ids[1]))
    made = next(c.annotation for c in track_cells(project, track) if c.frame.id == ids[1])
    assert made.keyframe and made.cuboid.center[0] == pytest.approx(2.0)
    stack.undo()
    assert states(project, track)[1] is Cell.MISSING


def test_setting_a_keyframe_on_an_interpolated_box_keeps_the_box() -> None:
    project, stack, ids, track = make()
    before = track_cells(project, track)[2].annotation
    stack.push(set_keyframe(project, track, ids[2]))
    after = track_cells(project, track)[2].annotation
    assert after == dataclasses.replace(before, keyframe=True)
    assert set_keyframe(project, track, ids[2]) is None  # a keyframe already


def test_clearing_a_keyframe_interpolates_between_others_or_removes_at_the_ends() -> None:
    project, stack, ids, track = make()
    stack.push(set_keyframe(project, track, ids[2]))
    stack.push(clear_keyframe(project, track, ids[2]))
    assert states(project, track)[2] is Cell.INTERPOLATED
    assert track_cells(project, track)[2].annotation.cuboid.center[0] == pytest.approx(4.0)
    stack.push(clear_keyframe(project, track, ids[4]))
    assert states(project, track)[4] is Cell.MISSING
    assert clear_keyframe(project, track, ids[3]) is None
