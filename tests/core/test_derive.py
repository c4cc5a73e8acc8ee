"""Deriving 2D boxes from cuboids: tight, clipped, linked, replaced on re-derive, manual boxes kept."""

from __future__ import annotations

import dataclasses

import pytest

from annotator.core.box2d import Box2D
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.derive import DeriveBoxes2D, LinkBox, best_cuboid_for_box
from annotator.core.derived_links import is_derived
from annotator.core.edits import AddAnnotations, AddFrames, RemoveAnnotations, update_annotation
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Provenance, Review, Source
from annotator.core.review import AcceptProposals, RejectProposals
from tests.core.test_camera import front_camera

CAR = Cuboid((15.0, 2.0, -0.5), (4.0, 1.8, 1.5), 0.3)
VAN = Cuboid((25.0, -4.0, -0.3), (5.0, 2.0, 2.2), -0.2)
BEHIND = Cuboid((-12.0, 0.0, -0.5), (4.0, 1.8, 1.5))


def make(cameras: dict | None = None) -> tuple[Project, UndoStack, int]:
    project = Project()
    stack = UndoStack(project)
    camera = front_camera()
    frame = Frame(0, "000000", 0, images={"front": "front.png"}, cameras=cameras or {"front": camera})
    frame_id = stack.push(AddFrames([frame])).ids[0]
    stack.push(
        AddAnnotations(
            [
                Annotation(0, frame_id, "Car", cuboid=CAR),
                Annotation(0, frame_id, "Van", cuboid=VAN),
                Annotation(0, frame_id, "Car", cuboid=BEHIND),
            ]
        )
    )
    return project, stack, frame_id


def boxes(project: Project, frame_id: int) -> list[Annotation]:
    return project.annotations_of(frame_id, "box2d")


def test_derived_boxes_are_the_tight_projection_linked_and_marked_derived() -> None:
    project, stack, frame_id = make()
    command = stack.push(DeriveBoxes2D([frame_id]))
    derived = boxes(project, frame_id)
    assert command.added == 2 and len(derived) == 2  # the cuboid behind the camera has none
    camera = front_camera()
    by_track = {a.track_id: a for a in project.annotations_of(frame_id, "cuboid")}
    for box in derived:
        cuboid = by_track[box.track_id]
        assert box.class_name == cuboid.class_name and box.camera == "front"
        assert box.provenance.source == Source.DERIVED and is_derived(box)
        expected = camera.cuboid_box2d(cuboid.cuboid)
        assert box.box2d.to_array() == pytest.approx(expected.to_array())
        assert box.attributes["derived_from"] == cuboid.id


def test_rederiving_replaces_derived_boxes_but_never_manual_ones() -> None:
    project, stack, frame_id = make()
    stack.push(DeriveBoxes2D([frame_id]))
    car = next(a for a in project.annotations_of(frame_id, "cuboid") if a.class_name == "Car")
    manual = Annotation(0, frame_id, "Pedestrian", box2d=Box2D(10, 10, 50, 90), camera="front")
    stack.push(AddAnnotations([manual]))

    moved = dataclasses.replace(car.cuboid, center=(17.0, 2.0, -0.5))
    stack.push(update_annotation(project, car.id, cuboid=moved))
    command = stack.push(DeriveBoxes2D([frame_id]))
    assert (command.removed, command.added) == (2, 2)
    current = boxes(project, frame_id)
    assert sum(not is_derived(a) for a in current) == 1
    car_box = next(a for a in current if a.track_id == car.track_id)
    assert car_box.box2d.to_array() == pytest.approx(front_camera().cuboid_box2d(moved).to_array())
    stack.undo()
    assert len(boxes(project, frame_id)) == 3
    stack.undo()
    stack.undo()
    stack.undo()
    assert boxes(project, frame_id) == []


def test_a_track_with_a_manual_box_in_a_camera_gets_no_derived_box_there() -> None:
    project, stack, frame_id = make()
    car = next(a for a in project.annotations_of(frame_id, "cuboid") if a.class_name == "Car")
    manual = Annotation(0, frame_id, "Car", car.track_id, box2d=Box2D(1, 2, 30, 40), camera="front")
    stack.push(AddAnnotations([manual]))
    stack.push(DeriveBoxes2D([frame_id]))
    of_car = [a for a in boxes(project, frame_id) if a.track_id == car.track_id]
    assert len(of_car) == 1 and not is_derived(of_car[0])


def test_rejected_cuboids_and_cameras_without_size_or_image_are_skipped() -> None:
    unsized = front_camera(0, 0)
    project, stack, frame_id = make({"front": unsized})
    assert stack.push(DeriveBoxes2D([frame_id])).added == 0
    assert stack.push(DeriveBoxes2D([frame_id], sizes={(frame_id, "front"): (1200, 360)})).added == 2
    van = next(a for a in project.annotations_of(frame_id, "cuboid") if a.class_name == "Van")
    stack.push(update_annotation(project, van.id, review=Review.REJECTED))
    assert stack.push(DeriveBoxes2D([frame_id], sizes={(frame_id, "front"): (1200, 360)})).added == 1
    assert stack.push(DeriveBoxes2D([frame_id], cameras=["left"])).added == 0


def test_boxes_are_clipped_to_the_image() -> None:
    project, stack, frame_id = make()
    near_edge = Cuboid((6.0, 5.0, -0.5), (4.0, 1.8, 1.5), 0.0)
    stack.push(AddAnnotations([Annotation(0, frame_id, "Car", cuboid=near_edge)]))
    stack.push(DeriveBoxes2D([frame_id]))
    for box in boxes(project, frame_id):
        assert 0 <= box.box2d.x1 < box.box2d.x2 <= 1200 and 0 <= box.box2d.y1 < box.box2d.y2 <= 360
    assert any(box.box2d.x1 == 0.0 for box in boxes(project, frame_id))


def test_link_box_takes_the_tracks_class_and_removes_its_empty_track() -> None:
    project, stack, frame_id = make()
    van = next(a for a in project.annotations_of(frame_id, "cuboid") if a.class_name == "Van")
    camera = front_camera()
    drawn = camera.cuboid_box2d(van.cuboid)
    box_id = stack.push(AddAnnotations([Annotation(0, frame_id, "Car", box2d=drawn, camera="front")])).ids[0]
    own_track = project.annotations[box_id].track_id
    best = best_cuboid_for_box(project.frames[frame_id], project.annotations[box_id],
                               project.annotations_of(frame_id, "cuboid"))  # fmt: skip
    assert best is not None and best.id == van.id
    stack.push(LinkBox(box_id, van.track_id))
    linked = project.annotations[box_id]
    assert linked.track_id == van.track_id and linked.class_name == "Van"
    assert own_track not in project.tracks
    stack.push(LinkBox(box_id, None))
    assert project.annotations[box_id].track_id not in (None, van.track_id)
    stack.undo()
    stack.undo()
    assert project.annotations[box_id].track_id == own_track and own_track in project.tracks


def test_plans_made_beforehand_are_applied_and_stale_ones_derived_again() -> None:
    from annotator.core.derive import plan_frame

    project, stack, frame_id = make()
    plan = plan_frame(project.frames[frame_id], project.annotations_of(frame_id))
    assert len(plan.boxes) == 2 and plan.removed == ()
    command = stack.push(DeriveBoxes2D([frame_id], plans=[plan]))
    assert command.added == 2 and command.recomputed == 0
    # a plan computed before the car moved is stale: the command derives that frame again
    stale = plan_frame(project.frames[frame_id], project.annotations_of(frame_id))
    car = next(a for a in project.annotations_of(frame_id, "cuboid") if a.class_name == "Van")
    stack.push(update_annotation(project, car.id, cuboid=dataclasses.replace(VAN, center=(30.0, -4.0, -0.3))))
    command = stack.push(DeriveBoxes2D([frame_id], plans=[stale]))
    assert command.recomputed == 1 and command.removed == 2 and command.added == 2
    van_box = next(a for a in boxes(project, frame_id) if a.class_name == "Van")
    moved = front_camera().cuboid_box2d(project.annotations[car.id].cuboid)
    assert van_box.box2d.to_array() == pytest.approx(moved.to_array())
    stack.undo()
    assert all(a.box2d.to_array() != pytest.approx(moved.to_array()) for a in boxes(project, frame_id))


def make_proposals() -> tuple[Project, UndoStack, int, list[int]]:
    """A frame whose car and van are unreviewed model proposals, with derived boxes."""
    project, stack, frame_id = make()
    model = Provenance(Source.MODEL, "geometric", "1", 0.8)
    ids = [a.id for a in project.annotations_of(frame_id, "cuboid") if a.cuboid.center[0] > 0]
    for annotation_id in ids:
        stack.push(update_annotation(project, annotation_id, provenance=model, review=Review.UNREVIEWED))
    stack.push(DeriveBoxes2D([frame_id]))
    return project, stack, frame_id, ids


def derived_of(project: Project, frame_id: int, cuboid_id: int) -> list[Annotation]:
    return [b for b in boxes(project, frame_id) if b.attributes["derived_from"] == cuboid_id]


def test_boxes_derived_from_proposals_stay_unreviewed() -> None:
    project, _, frame_id, _ = make_proposals()
    derived = boxes(project, frame_id)
    assert len(derived) == 2
    assert all(b.review == Review.UNREVIEWED for b in derived)


def test_accepting_a_cuboid_accepts_its_derived_box_and_undo_restores_both() -> None:
    project, stack, frame_id, (car, van) = make_proposals()
    stack.push(AcceptProposals([car]))
    assert [b.review for b in derived_of(project, frame_id, car)] == [Review.ACCEPTED]
    assert [b.review for b in derived_of(project, frame_id, van)] == [Review.UNREVIEWED]
    stack.undo()
    assert [b.review for b in derived_of(project, frame_id, car)] == [Review.UNREVIEWED]


def test_rejecting_or_deleting_a_cuboid_removes_its_derived_box_and_undo_brings_it_back() -> None:
    project, stack, frame_id, (car, van) = make_proposals()
    stack.push(RejectProposals([car]))
    assert derived_of(project, frame_id, car) == [] and len(derived_of(project, frame_id, van)) == 1
    stack.undo()
    assert len(derived_of(project, frame_id, car)) == 1
    stack.push(RemoveAnnotations([van]))
    assert derived_of(project, frame_id, van) == []
    stack.undo()
    assert len(derived_of(project, frame_id, van)) == 1


def test_a_manual_box_is_not_removed_with_the_cuboid_of_its_track() -> None:
    project, stack, frame_id, (car, _) = make_proposals()
    track = project.annotations[car].track_id
    manual = Annotation(0, frame_id, "Car", track, box2d=Box2D(1, 2, 30, 40), camera="front")
    stack.push(AddAnnotations([manual]))
    stack.push(RemoveAnnotations([car]))
    assert [b.provenance.source for b in boxes(project, frame_id) if b.track_id == track] == [Source.MANUAL]
