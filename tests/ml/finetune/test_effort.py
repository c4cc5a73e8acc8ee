"""The effort model: seconds per box added, adjusted, deleted and accepted; ``--costs`` overrides."""

from __future__ import annotations

import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.ml.finetune.edits import CostsError, EditCounts, EffortModel, count_edits, matched_pairs


def test_defaults_price_each_action() -> None:
    model = EffortModel()
    assert (model.add, model.adjust, model.delete, model.accept) == (30.0, 12.0, 2.0, 1.0)
    assert model.seconds(EditCounts(added=2, deleted=3, adjusted=1, accepted=4)) == 60 + 6 + 12 + 4
    assert model.manual_seconds(5) == 150.0


def test_a_proposal_within_tolerance_costs_a_second_a_wrong_one_two() -> None:
    truth = [("Car", Cuboid((10, 0, 0.8), (4.4, 1.8, 1.6)))]
    near = [("Car", Cuboid((10.05, 0, 0.8), (4.4, 1.8, 1.6)))]
    wrong = [("Car", Cuboid((30, 5, 0.8), (4.4, 1.8, 1.6)))]
    model = EffortModel()
    assert model.seconds(count_edits(near, truth)) == 1.0
    assert model.seconds(count_edits(wrong, truth)) == 30.0 + 2.0


def test_a_box_linked_to_its_object_is_adjusted_onto_it_however_far_off() -> None:
    truth = [("Car", Cuboid((10, 0, 0.8), (4.4, 1.8, 1.6))), ("Car", Cuboid((20, 0, 0.8), (4.4, 1.8, 1.6)))]
    carried = [
        ("Car", Cuboid((30, 5, 0.8), (4.4, 1.8, 1.6))),
        ("Car", Cuboid((20.05, 0, 0.8), (4.4, 1.8, 1.6))),
    ]
    assert matched_pairs(carried, truth) == [(1, 1)]
    assert matched_pairs(carried, truth, linked=[(0, 0)]) == [(0, 0), (1, 1)]
    # a linked pair is one adjustment, instead of a deletion and a box drawn anew
    assert count_edits(carried, truth, linked=[(0, 0)]) == EditCounts(adjusted=1, accepted=1)
    assert count_edits(carried, truth) == EditCounts(added=1, deleted=1, accepted=1)


def test_costs_override_any_subset() -> None:
    model = EffortModel.parse("adjust=8, delete=0.5")
    assert (model.add, model.adjust, model.delete, model.accept) == (30.0, 8.0, 0.5, 1.0)
    assert EffortModel.parse(None) == EffortModel() == EffortModel.parse("")


@pytest.mark.parametrize("text", ["paint=2", "add", "add=fast", "add=-3", "add=inf"])
def test_bad_costs_are_refused(text: str) -> None:
    with pytest.raises(CostsError, match="costs:"):
        EffortModel.parse(text)
