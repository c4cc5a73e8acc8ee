"""A plugin's own per-box measures (optional ``box_measures``, e.g. a hybrid detector's sources) reach the
aggregated boxes, the stored proposals and the escalation frames beside the host's measures."""

from __future__ import annotations

import numpy as np

from annotator.ml.protocol import Detections, FrameInput
from annotator.ml.uncertainty.aggregate import aggregate
from annotator.ml.uncertainty.scoring import UNCERTAINTY_KEY, add_model_measures, scored_proposals

CLASSES = ("Car", "Pedestrian")
BOXES = np.array([[10.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0], [20.0, 5.0, 0.0, 0.8, 0.8, 1.8, 0.0]])


class Hybrid:
    """A model whose box_measures says which boxes another plugin made, plus two it must not have."""

    def __init__(self, measures: dict) -> None:
        self.measures = measures
        self.asked: list[int] = []

    def box_measures(self, frame: FrameInput, boxes: np.ndarray, params: dict) -> dict:
        self.asked.append(len(boxes))
        return self.measures


def found() -> list:
    passes = [Detections(BOXES, np.array([0, 1]), np.array([0.9, 0.5]), CLASSES, "v1") for _ in range(3)]
    return aggregate(passes)


def test_plugin_measures_join_the_host_measures_and_are_stored_with_the_proposal() -> None:
    boxes = found()
    model = Hybrid(
        {
            "complement": [1.0, 0.0],
            "network_support": np.array([0.2, float("nan")]),  # a non-finite value is left out
            "uncertainty": [0.0, 0.0],  # a host measure: a plugin cannot overwrite it
            "too_short": [1.0],  # not one value per box: ignored
        }
    )
    before = [b.uncertainty for b in boxes]
    add_model_measures(model, FrameInput("f", np.zeros((0, 4), np.float32)), {}, boxes)
    assert model.asked == [2]
    assert [b.measures["complement"] for b in boxes] == [1.0, 0.0]
    assert boxes[0].measures["network_support"] == 0.2 and "network_support" not in boxes[1].measures
    assert [b.uncertainty for b in boxes] == before
    assert all("too_short" not in b.measures for b in boxes)
    record = scored_proposals(boxes, 1, "hybrid", "v1", "ensemble", 3)[0].attributes[UNCERTAINTY_KEY]
    assert record["complement"] == 1.0 and record["network_support"] == 0.2


def test_a_model_without_box_measures_adds_none() -> None:
    boxes = found()
    keys = [set(b.measures) for b in boxes]
    add_model_measures(object(), FrameInput("f", None), {}, boxes)
    assert [set(b.measures) for b in boxes] == keys


class Finishing:
    """A model that finishes the aggregated boxes: the pedestrian becomes a car, 1 m further on."""

    def __init__(self, count_off: bool = False) -> None:
        self.count_off = count_off

    def finish_aggregated(self, frame: FrameInput, found: Detections, params: dict) -> Detections:
        walker = found.labels == CLASSES.index("Pedestrian")
        boxes, probabilities = found.boxes.copy(), found.probabilities.copy()
        boxes[walker, 0] += 1.0
        probabilities[walker] = probabilities[walker][:, ::-1]
        labels = np.zeros(len(found), dtype=int)
        done = Detections(boxes, labels, found.scores, found.class_names, "v1", probabilities)
        return done.select(~walker) if self.count_off else done


def test_a_plugin_finishes_the_aggregated_boxes_without_touching_their_uncertainty() -> None:
    boxes = found()
    before = [(b.uncertainty, dict(b.measures)) for b in boxes]
    add_model_measures(Finishing(), FrameInput("f", None), {}, boxes, CLASSES)
    assert [b.class_name for b in boxes] == ["Car", "Car"]
    assert sorted(b.box[0] for b in boxes) == [10.0, 21.0]
    moved = next(b for b in boxes if b.box[0] == 21.0)
    assert moved.probabilities[0] > moved.probabilities[1]
    assert [(b.uncertainty, b.measures) for b in boxes] == before
    records = scored_proposals(boxes, 1, "finishing", "v1", "ensemble", 3)
    assert sorted((r.class_name, r.cuboid.center[0]) for r in records) == [("Car", 10.0), ("Car", 21.0)]


def test_finishing_that_drops_a_box_or_comes_without_the_classes_is_ignored() -> None:
    boxes = found()
    names = sorted((b.class_name, b.box[0]) for b in boxes)
    add_model_measures(Finishing(count_off=True), FrameInput("f", None), {}, boxes, CLASSES)
    assert sorted((b.class_name, b.box[0]) for b in boxes) == names
    add_model_measures(Finishing(), FrameInput("f", None), {}, boxes)  # the classes unknown: not asked
    assert sorted((b.class_name, b.box[0]) for b in boxes) == names == [("Car", 10.0), ("Pedestrian", 20.0)]


class Broken:
    """A model whose finishing puts a box nowhere."""

    def finish_aggregated(self, frame: FrameInput, found: Detections, params: dict) -> Detections:
        boxes = found.boxes.copy()
        boxes[0, 0] = float("nan")
        return Detections(boxes, found.labels, found.scores, found.class_names, "v1", found.probabilities)


def test_finishing_with_a_non_finite_box_is_ignored() -> None:
    boxes = found()
    before = sorted((b.class_name, b.box[0]) for b in boxes)
    add_model_measures(Broken(), FrameInput("f", None), {}, boxes, CLASSES)
    assert sorted((b.class_name, b.box[0]) for b in boxes) == before
