"""Online adaptation of escalation: the error model learned from verified frames, the OOD reference that
grows by them, and both applied in annotation order, on hand-computed cases."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.ml.finetune.edits import EffortModel
from annotator.ml.uncertainty.adaptation import adapt_frames, fit_error_model
from annotator.ml.uncertainty.error_model import ErrorModel, feature_row
from annotator.ml.uncertainty.escalation import EscalationFrame, EscalationRule, escalate_frame
from annotator.ml.uncertainty.ood import OodIndex


def test_with_constant_measures_p_wrong_is_the_share_wrong() -> None:
    rows = [[0.2, 0.1, 0.0]] * 4
    model = ErrorModel.fit(["Car"] * 4, rows, [True, True, True, False])
    # one class, identical rows: the penalised terms stay at 0, the free intercept is logit(3/4)
    assert model.p_wrong(["Car"], [[0.2, 0.1, 0.0]])[0] == pytest.approx(0.75, abs=1e-6)


def test_a_class_that_is_always_wrong_is_learned_and_an_unseen_class_gets_the_intercept() -> None:
    names = ["Car"] * 10 + ["Pedestrian"] * 10
    rows = [[0.3, 0.2, 0.0]] * 20
    model = ErrorModel.fit(names, rows, [False] * 9 + [True] + [True] * 10)
    car, pedestrian, cyclist = model.p_wrong(["Car", "Pedestrian", "Cyclist"], rows[:3])
    assert car < 0.3 < 0.8 < pedestrian
    assert car < cyclist < pedestrian  # no class term: between the two
    assert model.classes == ("Car", "Pedestrian") and model.examples == 20


def test_doubt_in_the_measures_raises_p_wrong() -> None:
    rows = [[s, 0.0, 0.0] for s in np.linspace(0.0, 1.0, 20)]
    model = ErrorModel.fit(["Car"] * 20, rows, [s > 0.5 for s in np.linspace(0.0, 1.0, 20)])
    low, high = model.p_wrong(["Car", "Car"], [[0.1, 0.0, 0.0], [0.9, 0.0, 0.0]])
    assert low < 0.5 < high


def test_error_model_round_trips_and_rejects_other_data() -> None:
    model = ErrorModel.fit(["Car", "Van"], [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], [False, True])
    again = ErrorModel.from_dict(model.to_dict())
    assert again.classes == model.classes
    assert np.allclose(again.weights, model.weights, atol=1e-5)
    with pytest.raises(ValueError):
        ErrorModel.from_dict({"format": "something else"})
    with pytest.raises(ValueError):
        ErrorModel.fit([], [], [])


def test_feature_row_reads_doubt_from_the_measures() -> None:
    assert feature_row({"score": 0.8, "stability": 0.9, "class_entropy": 0.25}) == pytest.approx(
        [0.2, 0.1, 0.25]
    )
    assert feature_row({"stability": 1.0}, score=0.5) == pytest.approx([0.5, 0.0, 0.0])


def test_an_extended_ood_index_takes_verified_frames_as_training_data() -> None:
    # training frames on a unit square of a 2-D embedding; a far frame at (10, 10)
    square = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    index = OodIndex.build(square)
    far = np.array([[10.0, 10.0]])
    before = index.score(far)[0]
    assert before > 5.0
    assert np.allclose(index.embeddings, square)
    grown = index.extended(far + np.array([[0.5, 0.0]]))
    assert grown.score(far)[0] < before / 5  # its neighbour is now in the reference
    assert len(grown.vectors) == 5


def car(x: float) -> Cuboid:
    return Cuboid((x, 0.0, 0.0), (4.0, 2.0, 1.5), 0.0)


def scored_frame(name: str, embedding: list[float]) -> EscalationFrame:
    """A car proposal (right) and a pedestrian proposal (wrong), both equally sure (uncertainty 0.2)."""
    measures = [{"score": 0.8, "stability": 0.9, "class_entropy": 0.0}] * 2
    return EscalationFrame(
        name, [("Car", car(0)), ("Pedestrian", car(20))], np.array([0.2, 0.2]), np.array([False, True]),
        [("Car", car(0))], [], 3.0, None, measures, np.array(embedding),
    )  # fmt: skip


def test_adaptation_applies_what_earlier_frames_taught_to_later_ones_only() -> None:
    index = OodIndex.build(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    frames = [scored_frame(f"f{k}", [10.0 + 0.1 * k, 10.0]) for k in range(4)]
    adapted = adapt_frames(frames, every=2, index=index)
    # the first two frames: P(wrong) not learned yet, the model's own values; the first frame's OOD score is
    # the model's, the second is measured against the first, verified, frame as well (as in the window)
    assert adapted[0].uncertainty.tolist() == [0.2, 0.2] and adapted[1].uncertainty.tolist() == [0.2, 0.2]
    assert adapted[0].ood == 3.0 and adapted[1].ood < 1.0
    # after two verified frames: the pedestrian is likely wrong, the car likely right; the sequence is
    # no longer out of distribution
    car_p, pedestrian_p = adapted[2].uncertainty
    assert car_p < 0.5 < pedestrian_p
    assert adapted[2].ood < 1.0 and adapted[3].ood < 1.0
    assert frames[2].uncertainty.tolist() == [0.2, 0.2]  # the inputs are left as they were


def test_adaptation_without_measures_or_index_leaves_uncertainty_and_ood_alone() -> None:
    full = scored_frame("f", [0.0, 0.0])
    plain = EscalationFrame(full.name, full.proposals, full.uncertainty, full.wrong, full.truths)
    assert fit_error_model([plain]) is None
    adapted = adapt_frames([plain, plain, plain], every=1)
    assert adapted[0] is plain  # nothing verified before it
    assert all(a.uncertainty is plain.uncertainty and a.ood == plain.ood for a in adapted)
    assert [a.miss_rate for a in adapted] == [None, 0.0, 0.0]  # its one object was found
    with pytest.raises(ValueError):
        adapt_frames([plain], every=0)


def test_frames_are_searched_for_missed_objects_while_the_model_misses_objects_on_verified_frames() -> None:
    first = scored_frame("f0", [0.0, 0.0])
    # a second truth nobody proposed: the model missed 1 of 2 objects on the verified frame, and does again
    missing = dataclasses.replace(first, truths=[*first.truths, ("Car", car(40))])
    assert missing.missed() == 1
    later = adapt_frames([missing, dataclasses.replace(missing, name="f1")], every=1)[1]
    assert later.miss_rate == pytest.approx(0.5)
    rule = EscalationRule(threshold=0.99, ood_threshold=float("inf"))
    # the misses say nothing of the model's boxes: its sure ones are accepted, and a person draws the missed car
    assert rule.searches(None, later.miss_rate) and not rule.reviews_whole(None, later.miss_rate)
    outcome = escalate_frame(later, rule, EffortModel())
    assert (outcome.frames_whole, outcome.frames_searched, outcome.missed) == (0, 1, 0)
    assert outcome.edits.added == 1 and outcome.reviewed < 2
    assert outcome.effort_s == pytest.approx(EffortModel().seconds(outcome.edits) + EffortModel().search)
    # the rule before: such a frame reviewed whole
    before = EscalationRule(threshold=0.99, ood_threshold=float("inf"), search_misses=False)
    whole = escalate_frame(later, before)
    assert (whole.frames_whole, whole.frames_searched, whole.reviewed, whole.wrong_accepted) == (1, 0, 2, 0)
    # a model that found everything on the verified frames: its sure proposals are accepted, nothing searched
    found_all = adapt_frames([first, scored_frame("f1", [0.0, 0.0])], every=1)[1]
    assert found_all.miss_rate == 0.0 and not rule.searches(None, found_all.miss_rate)
    accepted = escalate_frame(found_all, rule)
    assert accepted.frames_whole == 0 and accepted.frames_searched == 0
