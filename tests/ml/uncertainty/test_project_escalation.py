"""Escalation in a project (the window's Accept all confident): P(wrong), the miss rate and the objectness
learned from the frames marked verified, on hand-built projects; possible missed objects as proposals."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames, SetFrameStatus
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, FrameStatus, Provenance, Review, Source
from annotator.core.review import AcceptProposals, RejectProposals
from annotator.ml.uncertainty.escalation import EscalationRule
from annotator.ml.uncertainty.missed import PRIOR_INSIDE
from annotator.ml.uncertainty.poisson_bound import gamma_quantile
from annotator.ml.uncertainty.project_escalation import (
    CARRIED_KIND,
    MISSED_KIND,
    escalation_plan,
    missed_object_proposals,
    verified_examples,
)
from annotator.ml.uncertainty.whole_reviews import AcceptConfident

MEASURES = {"score": 0.8, "stability": 0.9, "class_entropy": 0.0}


def box(x: float, y: float = 0.0) -> Cuboid:
    return Cuboid((x, y, 0.75), (4.0, 1.8, 1.5), 0.0)


def scored(frame_id: int, name: str, x: float, uncertainty: float, ood: float = 0.2) -> Annotation:
    record = MEASURES | {"uncertainty": uncertainty, "frame_ood": ood}
    return Annotation(0, frame_id, name, cuboid=box(x), review=Review.UNREVIEWED,
                      provenance=Provenance(Source.MODEL, "pp", "v1", 0.8), attributes={"uncertainty": record})  # fmt: skip


def project_with_a_verified_frame(drawn: int) -> tuple[Project, int]:
    """Frame "done": a Car proposal accepted, a Pedestrian proposal rejected, ``drawn`` boxes drawn by
    hand, marked verified. Frame "todo": an unreviewed Car (uncertainty 0.6) and Pedestrian (0.1)."""
    project = Project()
    stack = UndoStack(project)
    done, todo = stack.push(AddFrames([Frame(0, "done", 0), Frame(0, "todo", 1)])).ids
    car, pedestrian = stack.push(
        AddAnnotations([scored(done, "Car", 0, 0.3), scored(done, "Pedestrian", 10, 0.3)])
    ).ids
    stack.push(RejectProposals([pedestrian]))
    stack.push(AcceptProposals([car]))
    stack.push(AddAnnotations([Annotation(0, done, "Car", cuboid=box(20 + 10 * k)) for k in range(drawn)]))
    stack.push(SetFrameStatus(done, FrameStatus.VERIFIED))
    stack.push(AddAnnotations([scored(todo, "Car", 0, 0.6), scored(todo, "Pedestrian", 10, 0.1)]))
    return project, todo


def test_verified_frames_teach_right_wrong_and_drawn_by_hand() -> None:
    project, _todo = project_with_a_verified_frame(drawn=1)
    examples = verified_examples(project)
    assert list(zip(examples.names, examples.wrong, strict=True)) == [("Pedestrian", True), ("Car", False)]
    assert (examples.labels, examples.drawn, examples.miss_rate()) == (2, 1, 0.5)


def test_boxes_carried_in_count_as_found_for_the_miss_rate() -> None:
    project, _todo = project_with_a_verified_frame(drawn=1)
    stack = UndoStack(project)
    done = project.frames_in_order()[0].id
    carried = [
        Annotation(0, done, "Car", cuboid=box(-20 - 10 * k), provenance=Provenance(Source.PROPAGATED))
        for k in range(8)
    ]
    stack.push(AddAnnotations(carried))
    examples = verified_examples(project)
    # 1 drawn by hand among 10 objects (1 proposed, 8 carried in), not among the 2 the model and the person made
    # the frame right after the start (age 1), reviewed whole: 1 drawn of 10, half a miss more (the prior)
    assert examples.carried == [(1, 10, 1)] and examples.miss_growth() == pytest.approx(0.15)
    assert examples.miss_rate() is None  # no verified frame without carried boxes


def test_frames_with_carried_boxes_are_judged_on_the_miss_rate_of_verified_frames_with_carried_boxes() -> (
    None
):
    # the keyframe: nothing carried in, the person drew 2 of its 3 labels (the model missed 67 %)
    project, todo = project_with_a_verified_frame(drawn=2)
    stack = UndoStack(project)
    # a verified frame with 9 boxes carried in (the model confirmed them) and nothing drawn
    (later,) = stack.push(AddFrames([Frame(0, "later", 2)])).ids
    confirmed = {"uncertainty": {"uncertainty": 0.0, "kind": CARRIED_KIND, "agreement": 0.8}}
    stack.push(AddAnnotations([Annotation(0, later, "Car", cuboid=box(-20 - 10 * k), attributes=confirmed,
                                          provenance=Provenance(Source.PROPAGATED)) for k in range(9)]))  # fmt: skip
    stack.push(SetFrameStatus(later, FrameStatus.VERIFIED))
    plan = escalation_plan(project, EscalationRule(0.5))
    # the growth bounded with 90 % credibility: nothing drawn over 9 labels at age 2
    assert plan.miss_rate == pytest.approx(2 / 3) and plan.miss_growth == pytest.approx(
        gamma_quantile(0.9, 0.5, 2 * 9)
    )
    assert escalation_plan(project, EscalationRule(0.5, miss_credibility=None)).miss_growth == pytest.approx(
        0.5 / (2 * 9)
    )  # its mean
    assert todo in plan.searched and not plan.whole  # judged like the keyframe: searched for missed objects
    stack.push(
        AddAnnotations(
            [Annotation(0, todo, "Car", cuboid=box(-20), provenance=Provenance(Source.PROPAGATED))]
        )
    )
    # now a frame with boxes carried in, judged on the growth: 0 of 9 missed at age 2 expects under 3 % missed
    # at age 1, so it is not searched on the growth's mean; bounded with 90 % credibility, 9 objects say too
    # little (7.5 %), and it is
    assert todo not in escalation_plan(project, EscalationRule(0.5, miss_credibility=None)).searched
    assert "since one was looked over whole" in escalation_plan(project, EscalationRule(0.5)).searched[todo]


def test_p_wrong_learned_from_the_verified_frame_replaces_the_raw_uncertainty() -> None:
    project, todo = project_with_a_verified_frame(drawn=0)
    plan = escalation_plan(project, EscalationRule(0.5))
    # the measures are equal: only the class differs, Car right, Pedestrian wrong; the raw uncertainty
    # would have accepted the Pedestrian (0.1) and not the Car (0.6)
    assert plan.error_model is not None and plan.miss_rate == 0.0 and not plan.whole
    (car,) = [a.id for a in project.annotations_of(todo) if a.class_name == "Car"]
    assert plan.accepted == [car]


def test_frames_are_searched_for_missed_objects_while_the_model_misses_what_was_drawn_by_hand() -> None:
    project, todo = project_with_a_verified_frame(drawn=1)
    plan = escalation_plan(project, EscalationRule(0.5, max_miss_rate=0.03))
    # the confident proposals are accepted as on any frame, and a person looks the frame over for the rest
    assert plan.accepted and plan.judged == [todo] and not plan.whole
    assert plan.searched == {todo: "the model missed 50% of the verified frames' objects"}
    assert not escalation_plan(project, EscalationRule(0.5, max_miss_rate=0.6)).searched
    # the earlier rule: such a frame reviewed whole, nothing accepted
    whole = escalation_plan(project, EscalationRule(0.5, max_miss_rate=0.03, search_misses=False))
    assert whole.accepted == [] and whole.whole == {
        todo: "the model missed 50% of the verified frames' objects"
    }


def test_possible_missed_objects_are_flagged_proposals_with_a_fitted_box() -> None:
    grid = np.arange(-15.0, 15.0, 0.3)
    ground = [[x + 10.0, y, 0.0] for x in grid for y in grid]
    side = [[x, -0.9, z] for x in np.arange(8.0, 12.01, 0.1) for z in np.arange(0.4, 1.51, 0.1)]
    end = [[8.0, y, z] for y in np.arange(-0.9, 0.91, 0.1) for z in np.arange(0.4, 1.51, 0.1)]
    points = np.array(ground + side + end)
    sizes = {"Car": (4.5, 1.9, 1.6), "Pedestrian": (0.7, 0.7, 1.8)}
    (item,) = missed_object_proposals(points, 3, "pp", "v1", [], sizes, None, 0.5)
    record = item.attributes["uncertainty"]
    assert (item.class_name, item.frame_id, item.review) == ("Car", 3, Review.UNREVIEWED)
    assert (
        record["kind"] == MISSED_KIND
        and record["uncertainty"] == 1.0
        and record["objectness"] == PRIOR_INSIDE
    )
    assert item.cuboid.center[0] == pytest.approx(10.0, abs=0.1) and item.cuboid.size[0] == pytest.approx(
        4.0, abs=0.1
    )
    assert missed_object_proposals(points, 3, "pp", "v1", [box(10.0)], sizes, None, 0.5) == []  # explained
    assert missed_object_proposals(points, 3, "pp", "v1", [], sizes, None, 0.7) == []  # below the threshold
    # never accepted unreviewed, counted as a review item instead
    project = Project()
    stack = UndoStack(project)
    frame_id = stack.push(AddFrames([Frame(0, "f", 0)])).ids[0]
    stack.push(AddAnnotations([dataclasses.replace(item, frame_id=frame_id)]))
    plan = escalation_plan(project, EscalationRule(1.01))
    assert plan.accepted == [] and plan.missed_items == list(project.annotations)


def test_proposals_beside_carried_boxes_are_judged_on_what_such_frames_taught() -> None:
    # the keyframe taught: cars right, pedestrians wrong; a verified frame with boxes carried in the reverse
    project, todo = project_with_a_verified_frame(drawn=0)
    stack = UndoStack(project)
    (later,) = stack.push(AddFrames([Frame(0, "later", 2)])).ids
    stack.push(
        AddAnnotations(
            [Annotation(0, later, "Car", cuboid=box(-30), provenance=Provenance(Source.PROPAGATED))]
        )
    )
    car, pedestrian = stack.push(
        AddAnnotations([scored(later, "Car", 0, 0.3), scored(later, "Pedestrian", 10, 0.3)])
    ).ids
    stack.push(RejectProposals([car]))
    stack.push(AcceptProposals([pedestrian]))
    stack.push(SetFrameStatus(later, FrameStatus.VERIFIED))
    by_name = {project.annotations[i].class_name: i for i in (a.id for a in project.annotations_of(todo))}
    rule = EscalationRule(0.5, max_miss_rate=1.01)  # P(wrong) alone decides here
    plan = escalation_plan(project, rule)
    assert plan.accepted == [by_name["Car"]]  # a frame like the keyframe: the keyframe's lesson
    stack.push(
        AddAnnotations(
            [Annotation(0, todo, "Car", cuboid=box(-30), provenance=Provenance(Source.PROPAGATED))]
        )
    )
    plan = escalation_plan(project, rule)
    assert plan.carried_error_model is not None and plan.accepted == [by_name["Pedestrian"]]


def test_proposals_beside_carried_boxes_are_not_judged_on_the_keyframes_lesson() -> None:
    # the keyframe taught: cars right, pedestrians wrong; no frame with boxes carried in is verified yet
    project, todo = project_with_a_verified_frame(drawn=0)
    stack = UndoStack(project)
    rule = EscalationRule(0.5, max_miss_rate=1.01)
    by_name = {project.annotations[i].class_name: i for i in (a.id for a in project.annotations_of(todo))}
    assert escalation_plan(project, rule).accepted == [by_name["Car"]]  # a keyframe-like frame: its lesson
    carried = Annotation(0, todo, "Car", cuboid=box(-30), provenance=Provenance(Source.PROPAGATED))
    stack.push(AddAnnotations([carried]))
    plan = escalation_plan(project, rule)
    # beside carried boxes: their own uncertainty (the car 0.6, the pedestrian 0.1), as the simulation does
    assert plan.carried_error_model is None and plan.accepted == [by_name["Pedestrian"]]


def test_a_frame_with_carried_boxes_is_searched_for_missed_objects_when_misses_have_added_up_since_one_was_looked_over() -> (
    None
):
    project = Project()
    stack = UndoStack(project)
    ids = stack.push(AddFrames([Frame(0, f"f{k}", k) for k in range(8)])).ids

    def carried_in(frame_id: int, count: int) -> list[Annotation]:
        record = {"uncertainty": {"uncertainty": 0.0, "kind": CARRIED_KIND, "agreement": 0.8}}
        return [Annotation(0, frame_id, "Car", cuboid=box(-20 - 10 * k), attributes=record,
                           provenance=Provenance(Source.PROPAGATED)) for k in range(count)]  # fmt: skip

    stack.push(SetFrameStatus(ids[0], FrameStatus.VERIFIED))  # the keyframe, reviewed whole
    # frame 1, one frame after it, reviewed whole: 1 of 75 objects had to be drawn (growth 1.5 / 75 = 0.02)
    stack.push(AddAnnotations([*carried_in(ids[1], 74), Annotation(0, ids[1], "Car", cuboid=box(900))]))
    stack.push(SetFrameStatus(ids[1], FrameStatus.VERIFIED))
    for frame_id in ids[2:]:  # the frames to do: a carried box and a confident proposal each
        stack.push(AddAnnotations([*carried_in(frame_id, 1), scored(frame_id, "Car", 0, 0.1)]))
    rule = EscalationRule(0.5, miss_credibility=None)  # the growth's posterior mean
    plan = escalation_plan(project, rule)
    assert plan.miss_growth == pytest.approx(0.02)
    # average share missed since frame 1 (reviewed whole): 0.02 x (age + 1) / 2 passes 0.03 from age 3 on
    assert sorted(project.frames[f].index for f in plan.searched) == [4, 5, 6, 7] and not plan.whole
    assert "since one was looked over whole" in plan.searched[ids[4]]
    assert len(plan.accepted) == 6  # the confident proposals, on the searched frames too
    # frame 4 searched and verified: the age starts again there, and frames 5-6 need no search
    on_fourth = [i for i in plan.accepted if project.annotations[i].frame_id == ids[4]]
    stack.push(AcceptConfident(on_fourth, [ids[4]], searched_frames=plan.searched))
    stack.push(SetFrameStatus(ids[4], FrameStatus.VERIFIED))
    later = escalation_plan(project, rule)
    assert sorted(project.frames[f].index for f in later.searched) == [7]
