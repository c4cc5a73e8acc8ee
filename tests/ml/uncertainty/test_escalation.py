"""The escalation rule: what is accepted unreviewed, what goes to review, which frames are reviewed whole,
and what is left wrong, on hand-built frames; the window's accept-all-confident follows the same rule."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.records import Annotation, Frame, Provenance, Review, Source
from annotator.io.workspace import Workspace
from annotator.ml.finetune.edits import EffortModel
from annotator.ml.uncertainty.escalation import (
    EscalationFrame,
    EscalationRule,
    escalate_frame,
    frame_ood,
    sweep,
    sweep_table,
)
from annotator.ml.uncertainty.flags import confident_proposals, whole_review_frames


def car(x: float, y: float = 0.0) -> Cuboid:
    return Cuboid((x, y, 0.0), (4.0, 2.0, 1.5), 0.0)


def frame(ood: float | None = None) -> EscalationFrame:
    """Three truths at x = 0, 10, 20 and one at y = 30 no proposal finds; proposals: exact at 0 (sure),
    exact at 10 (unsure), a false alarm at 50 (sure: the error that slips through), and 1 m off at 20
    (unsure)."""
    truths = [("Car", car(0)), ("Car", car(10)), ("Car", car(20)), ("Car", car(0, 30))]
    proposals = [("Car", car(0)), ("Car", car(10)), ("Car", car(50)), ("Car", car(21))]
    return EscalationFrame(
        "f", proposals, np.array([0.1, 0.7, 0.2, 0.6]), np.array([False, False, True, False]), truths, [], ood
    )


def test_proposals_below_the_threshold_are_accepted_the_rest_reviewed() -> None:
    rule = EscalationRule(threshold=0.5)
    assert rule.accepted([0.1, 0.5, 0.49, 0.9]).tolist() == [True, False, True, False]
    assert rule.accepted([0.1, 0.2], ood=2.0).tolist() == [False, False]
    assert rule.accepted([0.1], ood=None).tolist() == [True]


def test_one_frame_counts_reviewed_boxes_residual_errors_and_effort() -> None:
    outcome = escalate_frame(frame(), EscalationRule(0.5, 1.5), EffortModel())
    # accepted: the exact box at 0 (right) and the false alarm at 50 (wrong); reviewed: 10 (accept, 1 s)
    # and 21 (adjust, 12 s); the truth at y = 30 has no proposal: missed
    assert (outcome.boxes, outcome.reviewed, outcome.wrong_accepted, outcome.missed) == (4, 2, 1, 1)
    assert (outcome.edits.accepted, outcome.edits.adjusted, outcome.edits.added, outcome.edits.deleted) == (
        1, 1, 0, 0,
    )  # fmt: skip
    assert outcome.effort_s == pytest.approx(13.0)
    # residual: 2 errors in a result of 4 objects + 1 wrong box
    assert outcome.reviewed_share == pytest.approx(0.5) and outcome.residual_rate == pytest.approx(2 / 5)


def test_an_out_of_distribution_frame_is_reviewed_whole() -> None:
    outcome = escalate_frame(frame(ood=2.0), EscalationRule(0.5, 1.5), EffortModel())
    # everything reviewed: 0 and 10 accepted (1 s each), 21 adjusted (12 s), 50 deleted (2 s), y = 30 added,
    # and the frame looked over for what is missing (15 s)
    assert (outcome.reviewed, outcome.frames_whole, outcome.wrong_accepted, outcome.missed) == (4, 1, 0, 0)
    assert outcome.effort_s == pytest.approx(1 + 1 + 12 + 2 + 30 + 15)
    assert outcome.residual_rate == 0.0


def test_a_sweep_trades_reviewed_share_for_residual_errors() -> None:
    outcomes = sweep([frame(), frame(ood=0.5)], thresholds=(0.0, 0.5, 1.01), ood_threshold=1.5)
    assert outcomes[1].residual_rate == pytest.approx(4 / 10)
    assert [o.reviewed for o in outcomes] == [8, 4, 0]
    assert [o.wrong_accepted for o in outcomes] == [0, 2, 2]
    assert [o.missed for o in outcomes] == [2, 2, 2]
    table = sweep_table(outcomes, default=0.5)
    assert len(table) == 4 and "0.50*" in table[2]


def test_a_reviewer_adds_the_missed_objects_beside_the_items_they_review_when_asked() -> None:
    # two more cars no proposal finds, 0.5 m beside the proposal at x = 10 (reviewed at threshold 0.5) and
    # beside the one at x = 0 (accepted unreviewed: nobody looks there)
    f = dataclasses.replace(frame(), truths=[*frame().truths, ("Car", car(10, 2.5)), ("Car", car(0, 2.5))])
    rule = EscalationRule(0.5, 1.5)
    strict = escalate_frame(f, rule, EffortModel())
    assert (strict.missed, strict.found_beside) == (3, 0)
    assert escalate_frame(f, rule, EffortModel(), beside=0.4).found_beside == 0  # 0.5 m away: not within 0.4
    wide = escalate_frame(f, rule, EffortModel(), beside=0.6)
    assert (wide.missed, wide.found_beside, wide.edits.added) == (2, 1, 1)
    assert wide.effort_s == pytest.approx(strict.effort_s + 30.0)  # the car beside is drawn: an add
    assert wide.residual_rate == pytest.approx(3 / 7) and strict.residual_rate == pytest.approx(4 / 7)
    assert sweep([f], (0.5,), 1.5, beside=0.6)[0].found_beside == 1
    assert sweep([f], (0.0,), 1.5, beside=0.6)[0].found_beside == 2  # everything reviewed: x = 0 too


def test_frame_ood_is_the_largest_on_the_frames_records() -> None:
    assert frame_ood([{"frame_ood": 0.5}, {"frame_ood": 1.7}, {}]) == 1.7
    assert frame_ood([{"uncertainty": 0.2}]) is None


def _scored(frame_id: int, uncertainty: float, x: float, ood: float) -> Annotation:
    record = {"uncertainty": uncertainty, "frame_ood": ood, "mode": "ensemble", "passes": 5}
    return Annotation(0, frame_id, "Car", cuboid=car(x), review=Review.UNREVIEWED,
                      provenance=Provenance(Source.MODEL, "pointpillars", "m1", 0.9),
                      attributes={"uncertainty": record})  # fmt: skip


def test_accept_all_confident_skips_frames_to_review_whole(tmp_path: Path) -> None:
    with Workspace.create(tmp_path / "project") as ws:
        near, far = ws.push(AddFrames([Frame(0, "near", 0), Frame(0, "far", 1)])).ids
        ws.push(AddAnnotations([_scored(near, 0.1, 0, 0.4), _scored(near, 0.8, 10, 0.4),
                                _scored(far, 0.1, 0, 3.0)]))  # fmt: skip
        project = ws.project
        sure_near = next(
            a.id for a in project.annotations.values() if a.frame_id == near and a.cuboid.center[0] == 0
        )
        assert confident_proposals(project, 0.5) == [sure_near]
        assert whole_review_frames(project) == [far]
        assert len(confident_proposals(project, 0.5, ood_threshold=5.0)) == 2
