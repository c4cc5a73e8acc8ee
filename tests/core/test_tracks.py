"""Copying, propagating and interpolating cuboids along tracks, with exact numbers."""

from __future__ import annotations

import dataclasses
import math

import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames, UpdateAnnotations
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Provenance, Review, Source
from annotator.core.tracks import (
    CARRIED_BOX_KEY,
    blend,
    carried_unedited,
    frame_after,
    harmonize_track,
    interpolate_track,
    predict,
    propagate,
)


def project_with_frames(
    count: int = 5, timestamps: list[float] | None = None
) -> tuple[Project, UndoStack, list[int]]:
    project = Project()
    stack = UndoStack(project)
    stamps = timestamps or [None] * count
    frames = [Frame(0, f"{k:06d}", k, timestamp=stamps[k]) for k in range(count)]
    ids = stack.push(AddFrames(frames)).ids
    return project, stack, ids


def add(
    stack: UndoStack, frame_id: int, cuboid: Cuboid, track_id: int | None = None, name: str = "Car"
) -> int:
    return stack.push(AddAnnotations([Annotation(0, frame_id, name, track_id=track_id, cuboid=cuboid)])).ids[
        0
    ]


def test_blend_is_linear_in_centre_and_size_and_takes_the_short_way_round() -> None:
    a = Cuboid((0.0, 0.0, 0.0), (4.0, 2.0, 1.5), math.radians(170.0))
    b = Cuboid((10.0, -4.0, 2.0), (6.0, 2.0, 1.5), math.radians(-170.0))
    half = blend(a, b, 0.5)
    assert half.center == pytest.approx((5.0, -2.0, 1.0))
    assert half.size == pytest.approx((5.0, 2.0, 1.5))
    assert half.yaw == pytest.approx(math.pi)  # through 180, not through 0
    quarter = blend(a, b, 0.25)
    assert math.degrees(quarter.yaw) == pytest.approx(175.0)


def test_predict_extrapolates_constant_velocity_and_turn_rate() -> None:
    previous = Cuboid((0.0, 0.0, -1.0), (4.0, 1.8, 1.5), 0.0)
    current = Cuboid((1.5, 0.2, -1.0), (4.2, 1.8, 1.5), math.radians(4.0))
    nxt = predict(previous, current, 0.0, 1.0, 2.0)
    assert nxt.center == pytest.approx((3.0, 0.4, -1.0))
    assert math.degrees(nxt.yaw) == pytest.approx(8.0)
    assert nxt.size == current.size  # size of the latest box, not extrapolated


def test_copy_to_next_frame_keeps_track_and_marks_it_propagated() -> None:
    project, stack, frames = project_with_frames(3)
    cuboid = Cuboid((5.0, 1.0, -1.0), (4.0, 1.8, 1.5), 0.3)
    source = add(stack, frames[0], cuboid)
    edit = propagate(project, [source], with_motion=False)
    stack.push(edit.command)
    copy = project.annotations[edit.command.ids[0]]
    assert copy.frame_id == frames[1]
    assert copy.cuboid == cuboid
    assert copy.track_id == project.annotations[source].track_id
    assert copy.provenance.source == Source.PROPAGATED and copy.keyframe
    assert stack.undo_label() == "Copy 1 cuboid to the next frame"
    stack.undo()
    assert len(project.annotations) == 1


def test_a_carried_box_leaves_the_source_score_behind_and_remembers_where_it_was_placed() -> None:
    project, stack, frames = project_with_frames(2)
    cuboid = Cuboid((5.0, 1.0, -1.0), (4.0, 1.8, 1.5), 0.3)
    scored = Annotation(
        0, frames[0], "Car", cuboid=cuboid, attributes={"uncertainty": {"uncertainty": 0.2}, "note": 1}
    )
    source = stack.push(AddAnnotations([scored])).ids[0]
    edit = propagate(project, [source], with_motion=False)
    stack.push(edit.command)
    copy = project.annotations[edit.command.ids[0]]
    # the score belongs to the detection on the source frame; other attributes travel with the box
    assert "uncertainty" not in copy.attributes and copy.attributes["note"] == 1
    assert copy.attributes[CARRIED_BOX_KEY] == pytest.approx(list(cuboid.to_array()[:7]))
    assert carried_unedited(copy)
    assert not carried_unedited(
        dataclasses.replace(copy, cuboid=cuboid.replace(yaw=0.5))
    )  # turned by a person
    assert not carried_unedited(project.annotations[source])  # never carried


def test_propagate_uses_the_two_previous_frames_of_the_track() -> None:
    project, stack, frames = project_with_frames(4)
    first = add(stack, frames[0], Cuboid((0.0, 0.0, -1.0), (4.0, 1.8, 1.5), 0.0))
    track = project.annotations[first].track_id
    second = add(stack, frames[1], Cuboid((2.0, 1.0, -1.0), (4.0, 1.8, 1.5), 0.1), track)
    edit = propagate(project, [second])
    stack.push(edit.command)
    third = project.annotations[edit.command.ids[0]]
    assert third.frame_id == frames[2] and third.track_id == track
    assert third.cuboid.center == pytest.approx((4.0, 2.0, -1.0))
    assert third.cuboid.yaw == pytest.approx(0.2)
    assert stack.undo_label() == "Propagate 1 cuboid to the next frame"


def test_a_box_a_person_corrected_is_a_position_not_a_move() -> None:
    project, stack, frames = project_with_frames(4)
    car = Cuboid((10.0, 0.0, -1.0), (4.0, 1.8, 1.5), 0.0)  # a car driving 1 m per frame along x
    track = project.annotations[add(stack, frames[0], car)].track_id
    # propagated to the next frame but 0.6 m short (no velocity yet), accepted as it is ...
    short = project.annotations[add(stack, frames[1], car.replace(center=(10.4, 0.0, -1.0)), track)]
    stack.push(UpdateAnnotations([dataclasses.replace(short, provenance=Provenance(Source.PROPAGATED))]))
    # ... then carried on and corrected by a person onto the car (review: corrected, still "propagated")
    placed = add(stack, frames[2], car.replace(center=(12.0, 0.0, -1.0)), track)
    corrected = dataclasses.replace(
        project.annotations[placed], provenance=Provenance(Source.PROPAGATED), review=Review.CORRECTED
    )
    stack.push(UpdateAnnotations([corrected]))
    third = propagate(project, [placed]).command.add.annotations[0]
    # its motion comes from the two boxes placed on the car (frames 0 and 2: 1 m per frame), not from the
    # correction (10.4 -> 12.0 would carry it to 13.6)
    assert third.cuboid.center == pytest.approx((13.0, 0.0, -1.0))
    # the same when the person just dragged it there (the window leaves the review state as it was): the box
    # differs from the one propagation placed (its carried_box stamp)
    dragged = dataclasses.replace(
        corrected,
        review=Review.ACCEPTED,
        attributes={CARRIED_BOX_KEY: [11.4, 0.0, -1.0, 4.0, 1.8, 1.5, 0.0]},
    )
    stack.push(UpdateAnnotations([dragged]))
    assert propagate(project, [placed]).command.add.annotations[0].cuboid.center == pytest.approx(
        (13.0, 0.0, -1.0)
    )
    # and left where propagation placed it, it is a propagated box: the velocity of the latest two boxes
    stack.push(
        UpdateAnnotations(
            [
                dataclasses.replace(
                    dragged, attributes={CARRIED_BOX_KEY: [12.0, 0.0, -1.0, 4.0, 1.8, 1.5, 0.0]}
                )
            ]
        )
    )
    assert propagate(project, [placed]).command.add.annotations[0].cuboid.center == pytest.approx(
        (13.6, 0.0, -1.0)
    )


def test_propagate_uses_timestamps_when_frames_are_unevenly_spaced() -> None:
    project, stack, frames = project_with_frames(3, timestamps=[0.0, 0.1, 0.3])
    first = add(stack, frames[0], Cuboid((0.0, 0.0, 0.0), (4.0, 1.8, 1.5)))
    track = project.annotations[first].track_id
    second = add(stack, frames[1], Cuboid((1.0, 0.0, 0.0), (4.0, 1.8, 1.5)), track)
    stack.push(propagate(project, [second]).command)
    third = project.annotations_of(frames[2])[0]
    assert third.cuboid.center == pytest.approx((3.0, 0.0, 0.0))  # 10 m/s for 0.2 s


def test_propagate_never_overwrites_a_keyframe_and_skips_the_last_frame() -> None:
    project, stack, frames = project_with_frames(2)
    first = add(stack, frames[0], Cuboid((0.0, 0.0, 0.0), (4.0, 1.8, 1.5)))
    track = project.annotations[first].track_id
    kept = add(stack, frames[1], Cuboid((9.0, 0.0, 0.0), (4.0, 1.8, 1.5)), track)
    edit = propagate(project, [first, kept])
    assert edit.command is None
    reasons = dict(edit.skipped)
    assert "keyframe" in reasons[first] and reasons[kept] == "no frame after it"
    assert project.annotations[kept].cuboid.center == (9.0, 0.0, 0.0)


def test_propagate_with_refit_moves_the_prediction() -> None:
    project, stack, frames = project_with_frames(2)
    source = add(stack, frames[0], Cuboid((0.0, 0.0, 0.0), (4.0, 1.8, 1.5)))
    edit = propagate(project, [source], refit=lambda c: c.replace(center=(0.5, 0.0, 0.0)))
    stack.push(edit.command)
    assert project.annotations_of(frames[1])[0].cuboid.center == (0.5, 0.0, 0.0)


def test_interpolation_fills_frames_between_keyframes_exactly() -> None:
    project, stack, frames = project_with_frames(5)
    a = Cuboid((0.0, 0.0, -1.0), (4.0, 2.0, 1.5), math.radians(170.0))
    b = Cuboid((8.0, 4.0, -1.0), (4.4, 2.0, 1.5), math.radians(-170.0))
    first = add(stack, frames[0], a)
    track = project.annotations[first].track_id
    add(stack, frames[4], b, track)
    # a non-keyframe already in frame 2 is replaced, frames 1 and 3 get new annotations
    stale = add(stack, frames[2], Cuboid((50.0, 0.0, 0.0), (1.0, 1.0, 1.0)), track)
    stack.push(AddAnnotations([dataclasses.replace(project.annotations[stale], keyframe=False)]))
    edit = interpolate_track(project, track)
    assert edit.count == 3
    stack.push(edit.command)
    made = [project.annotations_of(frames[k])[0] for k in (1, 2, 3)]
    assert made[1].id == stale
    for k, annotation in zip((1, 2, 3), made):
        t = k / 4
        assert annotation.track_id == track and not annotation.keyframe
        assert annotation.provenance.source == Source.INTERPOLATED
        assert annotation.cuboid.center == pytest.approx((8.0 * t, 4.0 * t, -1.0))
        assert annotation.cuboid.size == pytest.approx((4.0 + 0.4 * t, 2.0, 1.5))
    assert math.degrees(made[0].cuboid.yaw) == pytest.approx(175.0)
    assert math.degrees(made[2].cuboid.yaw) == pytest.approx(-175.0)
    stack.undo()
    assert project.annotations[stale].cuboid.center == (50.0, 0.0, 0.0)
    assert len(project.annotations) == 3


def test_interpolation_needs_two_keyframes() -> None:
    project, stack, frames = project_with_frames(3)
    first = add(stack, frames[0], Cuboid((0.0, 0.0, 0.0), (4.0, 1.8, 1.5)))
    edit = interpolate_track(project, project.annotations[first].track_id)
    assert edit.command is None and "two keyframes" in edit.skipped[0][1]


def test_harmonize_gives_one_class_and_the_median_size_keeping_the_bottom() -> None:
    project, stack, frames = project_with_frames(3)
    sizes = [(4.0, 1.8, 1.4), (4.4, 1.9, 1.6), (4.2, 2.0, 1.5)]
    first = add(stack, frames[0], Cuboid((0.0, 0.0, -1.0), sizes[0]), name="Van")
    track = project.annotations[first].track_id
    add(stack, frames[1], Cuboid((1.0, 0.0, -1.0), sizes[1]), track, name="Car")
    add(stack, frames[2], Cuboid((2.0, 0.0, -1.0), sizes[2]), track, name="Car")
    stack.push(harmonize_track(project, track).command)
    boxes = project.annotations_of_track(track)
    assert {a.class_name for a in boxes} == {"Car"}
    assert project.tracks[track].class_name == "Car"
    for annotation, old in zip(boxes, sizes):
        assert annotation.cuboid.size == pytest.approx((4.2, 1.9, 1.5))
        bottom = annotation.cuboid.center[2] - 0.75
        assert bottom == pytest.approx(-1.0 - old[2] / 2)
    assert harmonize_track(project, track).command is None


def test_frame_after_stops_at_the_end() -> None:
    project, _, frames = project_with_frames(2)
    assert frame_after(project, frames[0]).id == frames[1]
    assert frame_after(project, frames[1]) is None
