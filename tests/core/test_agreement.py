"""Two annotators' agreement per box and per frame, checked against values worked out by hand."""

from __future__ import annotations

import pytest

from annotator.core.agreement import frame_agreement, match_boxes, project_agreement
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Provenance, Review, Source


def box(frame_id: int, x: float, author: str | None, cls: str = "Car", z: float = 0.0, **kw) -> Annotation:
    """A 4 x 2 x 1.5 m axis-aligned cuboid at (x, 0, z) drawn by ``author``."""
    provenance = Provenance(Source.MANUAL, author=author) if author else Provenance()
    return Annotation(
        0, frame_id, cls, cuboid=Cuboid((x, 0, z), (4, 2, 1.5), 0.0), provenance=provenance, **kw
    )


def project_with(*annotations_of_frame: list[Annotation]) -> Project:
    project = Project()
    stack = UndoStack(project)
    stack.push(AddFrames([Frame(0, f"f{i}", i) for i in range(len(annotations_of_frame))]))
    for frame_boxes in annotations_of_frame:
        if frame_boxes:
            stack.push(AddAnnotations(frame_boxes))
    return project


def test_a_box_shifted_by_a_metre_has_iou_0_6_in_bev_and_3d():
    # overlap 3 x 2 = 6 m2 of two 8 m2 footprints: 6 / (8 + 8 - 6) = 0.6; same heights, so 3D is 0.6 too
    (pair,) = match_boxes([box(1, 0, "ann")], [box(1, 1, "bob")])
    assert pair.iou == pytest.approx(0.6)
    (pair3d,) = match_boxes([box(1, 0, "ann")], [box(1, 1, "bob")], measure="3d")
    assert pair3d.iou == pytest.approx(0.6)


def test_a_height_offset_counts_in_3d_only():
    # z offset 0.5 of 1.5 m tall boxes: 3 x 2 x 1 = 6 m3 of 12 m3 each -> 6 / 18 = 1/3; BEV unchanged 0.6
    (bev,) = match_boxes([box(1, 0, "ann")], [box(1, 1, "bob", z=0.5)], measure="bev")
    (full,) = match_boxes([box(1, 0, "ann")], [box(1, 1, "bob", z=0.5)], measure="3d")
    assert bev.iou == pytest.approx(0.6)
    assert full.iou == pytest.approx(1 / 3)


def test_frame_score_counts_class_mismatches_and_missed_boxes_as_zero():
    # ann: car at 0 (bob's at 1: IoU 0.6), car at 20 (bob calls it a Truck, exact: IoU 1, class wrong),
    # car at 40 (bob has none); bob: car at 60 (ann has none).
    project = project_with(
        [
            box(1, 0, "ann"), box(1, 20, "ann"), box(1, 40, "ann"),
            box(1, 1, "bob"), box(1, 20, "bob", cls="Truck"), box(1, 60, "bob"),
        ]
    )  # fmt: skip
    result = frame_agreement(project, project.frames[1])
    assert (result.first, result.second) == ("ann", "bob")
    assert result.objects == 4  # two pairs, one box only ann drew, one only bob drew
    assert result.agreed == 1
    assert result.score == pytest.approx((0.6 + 0.0 + 0.0 + 0.0) / 4)
    assert result.mean_iou == pytest.approx((0.6 + 1.0) / 2)
    assert dict(result.counts()) == {"agreed": 1, "class": 1, "only_first": 1, "only_second": 1}
    assert len(result.disagreements()) == 3


def test_a_pair_below_the_threshold_is_a_disagreement_on_overlap():
    # shifted by 2.5 m: overlap 1.5 x 2 = 3 m2 -> 3 / 13 = 0.2308, matched (> 0.1) but not agreed (< 0.5)
    project = project_with([box(1, 0, "ann"), box(1, 2.5, "bob")])
    result = frame_agreement(project, project.frames[1])
    (pair,) = result.boxes
    assert pair.matched and pair.iou == pytest.approx(3 / 13)
    assert result.counts()["overlap"] == 1 and result.agreed == 0
    assert result.score == pytest.approx(3 / 13)


def test_proposals_rejected_and_authorless_boxes_do_not_count():
    model = Annotation(
        0, 1, "Car", cuboid=Cuboid((0, 0, 0), (4, 2, 1.5), 0.0),
        provenance=Provenance(Source.MODEL, "geometric", "v1", 0.9), review=Review.UNREVIEWED,
    )  # fmt: skip
    project = project_with(
        [
            box(1, 0, "ann"),
            box(1, 0, "bob"),
            model,
            box(1, 30, None),
            box(1, 50, "bob", review=Review.REJECTED),
        ]
    )
    result = frame_agreement(project, project.frames[1])
    assert result.objects == 1 and result.score == pytest.approx(1.0)


def test_frames_with_one_author_are_left_out_and_names_can_be_chosen():
    project = project_with([box(1, 0, "ann")], [box(2, 0, "ann"), box(2, 0, "bob"), box(2, 0, "cy")])
    results = project_agreement(project)
    assert [r.frame.name for r in results] == ["f1"]
    assert (results[0].first, results[0].second) == ("ann", "bob")
    chosen = frame_agreement(project, project.frames[2], "cy", "bob")
    assert (chosen.first, chosen.second) == ("cy", "bob")
    assert frame_agreement(project, project.frames[2], "ann", "nobody") is None


def test_matching_pairs_each_box_with_its_best_partner():
    # ann at 0 and 3.5; bob at 0.5 and 3.5: greedy-by-position would be wrong, the optimum pairs 0<->0.5
    (first, second) = match_boxes([box(1, 0, "a"), box(1, 3.5, "a")], [box(1, 3.5, "b"), box(1, 0.5, "b")])
    assert first.iou == pytest.approx(3.5 * 2 / (16 - 7)) and first.second.cuboid.center[0] == 0.5
    assert second.iou == pytest.approx(1.0)
