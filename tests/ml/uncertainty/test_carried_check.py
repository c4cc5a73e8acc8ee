"""Scoring a frame with boxes carried in: the model confirms a carried box or sends it to review, and a
proposal on an object rejected nearby is not made again (the window's side of the sequence rule)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from sequence_support import CAR, HEDGE, WALKER, carried_in, frames_project, shifted  # type: ignore[import-not-found]

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, SetSetting, UpdateAnnotations, UpdateFrame
from annotator.core.model.records import Annotation, Frame, Provenance, Review, Source
from annotator.core.review import REJECTED_KEY
from annotator.io.workspace import Workspace
from annotator.ml.uncertainty.carried_check import (
    DEFAULT_STILL_FRAMES,
    STILL_FRAMES_SETTING,
    awaiting_check,
    checked_carried,
    rejected_nearby,
    still_frames_of,
    without_rejected,
)
from annotator.ml.uncertainty.escalation import EscalationRule
from annotator.ml.uncertainty.project_escalation import CARRIED_KIND, carried_text, escalation_plan
from annotator.ml.uncertainty.scoring import ScoreProposals


def proposal(frame_id: int, box: Cuboid, name: str = "Car") -> Annotation:
    record = {"uncertainty": 0.3, "score": 0.8}
    return Annotation(0, frame_id, name, cuboid=box, review=Review.UNREVIEWED,
                      provenance=Provenance(Source.MODEL, "pointpillars", "m1", 0.8),
                      attributes={"uncertainty": record})  # fmt: skip


def test_only_carried_boxes_nobody_edited_or_reviewed_since_await_the_check() -> None:
    fresh = carried_in(1, "Car", CAR)
    assert awaiting_check(fresh)
    record = {"uncertainty": {"uncertainty": 1.0, "kind": CARRIED_KIND}}
    waiting = replace(fresh, review=Review.UNREVIEWED, attributes={**fresh.attributes, **record})
    assert awaiting_check(waiting)
    assert not awaiting_check(replace(waiting, review=Review.ACCEPTED))  # a person accepted it
    assert not awaiting_check(replace(fresh, cuboid=shifted(CAR, 0.4)))  # a person moved it
    assert not awaiting_check(Annotation(1, 1, "Car", cuboid=CAR))  # drawn by hand


def test_a_carried_box_the_model_confirms_stays_accepted_the_others_go_to_review(tmp_path) -> None:
    with frames_project(tmp_path / "project", 2, step=3.0) as workspace:
        frame = workspace.project.frames_in_order()[1].id
        workspace.push(AddAnnotations([
            carried_in(frame, "Car", CAR),
            carried_in(frame, "Pedestrian", WALKER),
            Annotation(0, frame, "Car", cuboid=HEDGE),  # drawn by hand: never checked
        ]))  # fmt: skip
        checked = checked_carried(workspace.project, frame, [proposal(frame, shifted(CAR, 0.3))], "m1")
        by_class = {a.class_name: a for a in checked}
        assert set(by_class) == {"Car", "Pedestrian"} and by_class["Car"].cuboid == CAR
        car, walker = by_class["Car"], by_class["Pedestrian"]
        assert car.review is Review.ACCEPTED and car.attributes["uncertainty"]["uncertainty"] == 0.0
        assert car.attributes["uncertainty"]["agreement"] > 0.5
        assert walker.review is Review.UNREVIEWED and walker.attributes["uncertainty"] == {
            "uncertainty": 1.0, "kind": CARRIED_KIND, "agreement": 0.0, "model_version": "m1",
        }  # fmt: skip


def reject_on(workspace: Workspace, frame: Frame, entries: list[dict]) -> None:
    workspace.push(UpdateFrame(frame.id, meta={**frame.meta, REJECTED_KEY: entries}))


def test_a_rejection_keeps_proposals_off_its_object_in_the_world_for_ten_frames(tmp_path) -> None:
    with frames_project(tmp_path / "project", 13, step=3.0) as workspace:
        frames = workspace.project.frames_in_order()
        reject_on(workspace, frames[0], [
            {"class": "Car", "box": list(HEDGE.to_array()), "record": {"uncertainty": 0.9}},
            {"class": "Car", "box": list(CAR.to_array()), "record": {"uncertainty": 1.0, "kind": CARRIED_KIND}},
        ])  # fmt: skip
        project = workspace.project
        (seen,) = rejected_nearby(project, project.frames[frames[1].id])  # the carried box is not a rejection
        assert np.allclose(seen.center, shifted(HEDGE, -3.0).center)  # the sensor drove 3 m on
        assert len(rejected_nearby(project, project.frames[frames[10].id])) == 1
        assert rejected_nearby(project, project.frames[frames[11].id]) == []
        kept, left_out = without_rejected([proposal(1, shifted(HEDGE, -3.2)), proposal(1, WALKER)], [seen])
        assert [a.cuboid for a in kept] == [WALKER] and left_out == 1


def test_scoring_checks_the_carried_boxes_in_the_same_undoable_step(tmp_path) -> None:
    with frames_project(tmp_path / "project", 2, step=3.0) as workspace:
        first, second = workspace.project.frames_in_order()
        reject_on(
            workspace,
            first,
            [{"class": "Car", "box": list(HEDGE.to_array()), "record": {"uncertainty": 0.9}}],
        )
        workspace.push(AddAnnotations([
            carried_in(second.id, "Car", CAR),
            carried_in(second.id, "Pedestrian", WALKER),
        ]))  # fmt: skip
        scored = [proposal(second.id, shifted(CAR, 0.2)), proposal(second.id, shifted(HEDGE, -3.0))]
        command = workspace.push(ScoreProposals(second.id, "pointpillars", scored, "f1", "ensemble"))
        assert (command.rejected_again, command.confirmed, command.to_review) == (1, 1, 1)
        boxes = workspace.project.annotations_of(second.id, "cuboid")
        assert len(boxes) == 2  # the proposal on the car is covered by it, the one on the hedge left out
        reviews = {a.class_name: a.review for a in boxes}
        assert reviews == {"Car": Review.ACCEPTED, "Pedestrian": Review.UNREVIEWED}
        # the escalation rule (Accept all confident) leaves the unconfirmed carried box for a person (misses
        # never send the frame to review whole here: the box is judged on its own)
        plan = escalation_plan(workspace.project, EscalationRule(0.5, max_miss_rate=1.01))
        assert plan.accepted == [] and plan.whole == {}
        workspace.undo()
        assert all(
            a.review is Review.ACCEPTED and "uncertainty" not in a.attributes
            for a in workspace.project.annotations_of(second.id, "cuboid")
        )


def test_an_image_detectors_scores_leave_the_carried_cuboids_alone(tmp_path) -> None:
    with frames_project(tmp_path / "project", 1) as workspace:
        (frame,) = workspace.project.frames_in_order()
        workspace.push(AddAnnotations([carried_in(frame.id, "Car", CAR)]))
        command = workspace.push(
            ScoreProposals(frame.id, "paddle-det2d", [], "f0", "tta", check_carried=False)
        )
        (box,) = workspace.project.annotations_of(frame.id)
        assert (command.confirmed, command.to_review) == (0, 0)
        assert box.review is Review.ACCEPTED and "uncertainty" not in box.attributes


def test_a_carried_box_standing_where_a_confirmed_box_stood_is_confirmed_for_one_frame(tmp_path) -> None:
    with frames_project(tmp_path / "project", 3, step=3.0) as workspace:
        first, second, third = workspace.project.frames_in_order()
        workspace.push(AddAnnotations([
            replace(Annotation(0, first.id, "Pedestrian", cuboid=WALKER, track_id=5), review=Review.ACCEPTED),
            replace(Annotation(0, first.id, "Car", cuboid=CAR, track_id=6), review=Review.ACCEPTED),
            Annotation(0, first.id, "Car", cuboid=HEDGE, track_id=7, review=Review.UNREVIEWED),
        ]))  # fmt: skip
        # the sensor drove 3 m on: the walker and the hedge stand still in the world, the car moved 1 m
        workspace.push(AddAnnotations([
            replace(carried_in(second.id, "Pedestrian", shifted(WALKER, -3.0)), track_id=5),
            replace(carried_in(second.id, "Car", shifted(CAR, -2.0)), track_id=6),
            replace(carried_in(second.id, "Car", shifted(HEDGE, -3.0)), track_id=7),
        ]))  # fmt: skip
        checked = {a.track_id: a for a in checked_carried(workspace.project, second.id, [], "m1")}
        never = {
            a.track_id: a for a in checked_carried(workspace.project, second.id, [], "m1", still_frames=0)
        }
        assert never[5].review is Review.UNREVIEWED  # with still_frames 0 only the model confirms
        walker = checked[5]
        assert walker.review is Review.ACCEPTED and walker.attributes["uncertainty"]["still"] == 1
        assert walker.attributes["uncertainty"]["uncertainty"] == 0.0
        assert "stands where the box confirmed there stood" in carried_text(walker.attributes["uncertainty"])
        assert checked[6].review is Review.UNREVIEWED  # it moved: the model would have to confirm it
        assert checked[7].review is Review.UNREVIEWED  # nobody confirmed the hedge's box before
        workspace.push(UpdateAnnotations(list(checked.values())))
        # one frame on the walker still stands there, but its box was confirmed by standing still alone
        workspace.push(
            AddAnnotations([replace(carried_in(third.id, "Pedestrian", shifted(WALKER, -6.0)), track_id=5)])
        )
        (again,) = checked_carried(workspace.project, third.id, [], "m1")
        assert again.review is Review.UNREVIEWED and "still" not in again.attributes["uncertainty"]
        # unless the confirmation is let hold two frames on
        (longer,) = checked_carried(workspace.project, third.id, [], "m1", still_frames=2)
        assert longer.review is Review.ACCEPTED and longer.attributes["uncertainty"]["still"] == 2


def test_the_projects_setting_says_how_long_a_standing_box_stays_confirmed(tmp_path) -> None:
    with frames_project(tmp_path / "project", 1) as workspace:
        project = workspace.project
        assert still_frames_of(project) == DEFAULT_STILL_FRAMES == 1
        for value, expected in ((0, 0), (3, 3), (-1, 1), ("two", 1), (True, 1)):
            workspace.push(SetSetting(STILL_FRAMES_SETTING, value))
            assert still_frames_of(project) == expected
