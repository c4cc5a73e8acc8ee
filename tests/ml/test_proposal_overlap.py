"""No proposals over boxes a frame already has, and never two overlapping proposals on one object."""

from __future__ import annotations

import math

from annotator.core.box2d import Box2D
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Provenance, Review, Source
from annotator.ml.preannotate import ReplaceProposals
from annotator.ml.proposal_overlap import filter_proposals, same_object
from annotator.ml.uncertainty.scoring import ScoreProposals

CAR = Cuboid((12.0, 3.0, -0.9), (4.2, 1.8, 1.5), 0.2)
OTHER_CAR = Cuboid((12.0, 6.0, -0.9), (4.2, 1.8, 1.5), 0.2)  # parked beside it, no overlap


def proposal(cuboid: Cuboid, score: float, plugin: str = "geometric") -> Annotation:
    provenance = Provenance(Source.MODEL, plugin, "1", score)
    return Annotation(0, 1, "Car", cuboid=cuboid, provenance=provenance, review=Review.UNREVIEWED)


def shifted(cuboid: Cuboid, dx: float, dyaw: float = 0.0) -> Cuboid:
    x, y, z = cuboid.center
    return Cuboid((x + dx, y, z), cuboid.size, cuboid.yaw + dyaw)


def frame_with_human_car() -> tuple[Project, UndoStack, int]:
    project = Project()
    stack = UndoStack(project)
    frame_id = stack.push(AddFrames([Frame(0, "000000", 0)])).ids[0]
    stack.push(AddAnnotations([Annotation(0, frame_id, "Car", cuboid=CAR)]))
    return project, stack, frame_id


def test_a_proposal_offset_or_turned_on_the_same_car_is_the_same_object() -> None:
    assert same_object(proposal(shifted(CAR, 1.2, math.radians(30)), 0.9), proposal(CAR, 0.5))
    assert not same_object(proposal(OTHER_CAR, 0.9), proposal(CAR, 0.5))


def test_2d_boxes_are_the_same_object_only_in_the_same_camera() -> None:
    a = Annotation(0, 1, "Car", box2d=Box2D(10, 10, 110, 60), camera="front")
    b = Annotation(0, 1, "Car", box2d=Box2D(14, 12, 112, 64), camera="front")
    c = Annotation(0, 1, "Car", box2d=Box2D(14, 12, 112, 64), camera="left")
    assert same_object(a, b) and not same_object(a, c)


def test_the_best_scoring_of_overlapping_proposals_is_kept() -> None:
    weaker, better = proposal(shifted(CAR, 0.8), 0.4), proposal(CAR, 0.9)
    kept, covered, suppressed = filter_proposals([weaker, better, proposal(OTHER_CAR, 0.2)], [])
    assert kept == [better, proposal(OTHER_CAR, 0.2)] and (covered, suppressed) == (0, 1)


def test_preannotation_adds_no_proposal_over_a_human_box() -> None:
    project, stack, frame_id = frame_with_human_car()
    found = [proposal(shifted(CAR, 0.5), 0.9), proposal(OTHER_CAR, 0.7)]
    command = stack.push(ReplaceProposals(frame_id, "geometric", found))
    cuboids = project.annotations_of(frame_id, "cuboid")
    assert len(cuboids) == 2 and command.covered == 1
    assert [c.cuboid.center for c in cuboids if c.is_proposal] == [OTHER_CAR.center]


def test_scoring_leaves_one_proposal_per_object_and_none_over_human_boxes() -> None:
    project, stack, frame_id = frame_with_human_car()
    found = [
        proposal(shifted(CAR, -0.4), 0.8),
        proposal(OTHER_CAR, 0.6),
        proposal(shifted(OTHER_CAR, 0.7, 0.3), 0.5),
    ]
    command = stack.push(ScoreProposals(frame_id, "geometric", found, "000000", "tta"))
    proposals = [a for a in project.annotations_of(frame_id) if a.is_proposal]
    assert [p.provenance.score for p in proposals] == [0.6]
    assert (command.covered, command.suppressed) == (1, 1)


def test_replaced_proposals_take_their_derived_2d_boxes_along() -> None:
    from annotator.core.derive import DeriveBoxes2D
    from tests.core.test_camera import front_camera

    project = Project()
    stack = UndoStack(project)
    frame = Frame(0, "000000", 0, images={"front": "front.png"}, cameras={"front": front_camera()})
    frame_id = stack.push(AddFrames([frame])).ids[0]
    stack.push(ReplaceProposals(frame_id, "geometric", [proposal(CAR, 0.9)]))
    stack.push(DeriveBoxes2D([frame_id]))
    assert len(project.annotations_of(frame_id, "box2d")) == 1
    stack.push(ReplaceProposals(frame_id, "geometric", [proposal(OTHER_CAR, 0.8)]))
    assert project.annotations_of(frame_id, "box2d") == []  # no box left behind for a gone proposal
    assert len(project.tracks) == 1


def test_the_distance_pre_filter_never_drops_a_pair_that_boxes_one_object() -> None:
    import numpy as np

    from annotator.ml.proposal_overlap import near_pairs, on_any_object, same_object_cuboids

    rng = np.random.default_rng(4)

    def boxes(count: int) -> list[Cuboid]:
        return [
            Cuboid(
                (*rng.uniform(-8, 8, 2), 0.0), (*rng.uniform(0.3, 5.0, 2), 1.5), rng.uniform(-np.pi, np.pi)
            )
            for _ in range(count)
        ]

    a, b = boxes(60), boxes(40)
    exact = np.array([[same_object_cuboids(x, y) for y in b] for x in a])
    near = near_pairs(a, b)
    assert exact.any() and not (exact & ~near).any()  # every true pair passes the filter
    assert near.sum() < near.size  # and it leaves some out
    np.testing.assert_array_equal(on_any_object(a, b), exact.any(axis=1))
    assert on_any_object(a, []).tolist() == [False] * 60 and on_any_object([], b).size == 0
