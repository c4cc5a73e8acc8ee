"""Hybrid pre-annotation (``complement=geometric``): with the shipped weights the complementing plugin's boxes
stand where it finds objects and the network adds only the proposals none of them explains, checked against
their points; once the network is fine-tuned on verified frames, its boxes stand and the other plugin's fill
the gaps."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.ml.protocol import CancelToken, Detections, FrameInput, LabelledFrame, PluginError

pytest.importorskip("torch")

from plugins.pointpillars.complement import (
    Complement,
    in_classes,
    merge,
    network_first,
    same_object,
    source_measures,
    unexplained,
)

CLASSES = ("Car", "Van", "Truck", "Pedestrian", "Cyclist")
GROUND = -1.7
CAR = Cuboid((10.0, -3.0, GROUND + 0.75), (4.2, 1.8, 1.5), 0.0)
PARKED = Cuboid((18.0, 4.0, GROUND + 0.75), (4.4, 1.9, 1.5), 0.1)
EMPTY = Cuboid((25.0, -6.0, GROUND + 0.75), (4.2, 1.8, 1.5), 0.0)


def found(*boxes: Cuboid, label: int = 0, score: float = 0.8, version: str = "pp") -> Detections:
    """The boxes as detections of one class, with one-hot probabilities."""
    probabilities = np.zeros((len(boxes), len(CLASSES)))
    probabilities[:, label] = 1.0
    return Detections(
        np.array([b.to_array() for b in boxes]).reshape(-1, 7),
        np.full(len(boxes), label),
        np.full(len(boxes), score),
        CLASSES,
        version,
        probabilities,
    )


def car_points(box: Cuboid, rng: np.random.Generator, count: int = 600) -> np.ndarray:
    """Points on the rear and left faces of a car seen by a sensor at the origin (intensity 0)."""
    length, width, height = box.size
    local = rng.uniform(-0.5, 0.5, (count, 3)) * np.array([length, width, height])
    rear = rng.random(count) < 0.4
    local[rear, 0] = -length / 2
    local[~rear, 1] = width / 2
    return np.column_stack([box.box_to_world(local), np.zeros(count)])


def street(rng: np.random.Generator) -> np.ndarray:
    """Flat ground and two cars (``CAR`` and ``PARKED``), float32 x, y, z, intensity."""
    ground = np.column_stack(
        [
            rng.uniform(-5, 40, 20000),
            rng.uniform(-15, 15, 20000),
            rng.normal(GROUND, 0.02, 20000),
            np.zeros(20000),
        ]
    )
    return np.vstack([ground, car_points(CAR, rng), car_points(PARKED, rng)]).astype(np.float32)


def test_boxes_of_one_object_are_told_by_overlap_or_a_centre_inside_the_other():
    assert same_object(CAR, CAR.replace(center=(10.6, -3.2, CAR.center[2])))
    thin = Cuboid((11.9, -3.0, CAR.center[2]), (0.3, 0.3, 1.7), 0.0)  # IoU far below 0.1, centre inside
    assert bev_iou(thin, CAR) < 0.1 and same_object(thin, CAR) and same_object(CAR, thin)
    assert not same_object(CAR, PARKED)


def test_the_kept_boxes_stand_and_the_others_fill_what_they_do_not_explain():
    network = found(CAR.replace(center=(10.5, -2.8, CAR.center[2]), yaw=0.2), PARKED, score=0.9)
    geometric = found(CAR, score=0.6, version="geo")
    assert unexplained(network, geometric).tolist() == [False, True]
    merged = merge(geometric, network)
    assert len(merged) == 2
    assert np.allclose(merged.boxes[0], CAR.to_array())  # the geometric box, not the network's
    assert np.allclose(merged.boxes[1], PARKED.to_array())
    assert merged.scores.tolist() == [0.6, 0.9]
    assert merged.probabilities.shape == (2, len(CLASSES))


def test_the_check_sees_only_the_added_proposals_and_what_it_moves_onto_a_kept_box_goes():
    seen: list[int] = []

    def check(added: Detections) -> Detections:
        seen.append(len(added))
        moved = added.boxes.copy()
        moved[1, :7] = CAR.to_array()  # EMPTY is "fitted" onto the geometric box's car
        return Detections(moved, added.labels, added.scores, added.class_names, added.model_version)

    network = found(CAR, PARKED, EMPTY)
    merged = merge(found(CAR.replace(size=(4.0, 1.7, 1.5))), network, check)
    assert seen == [2]  # CAR was explained, so only PARKED and EMPTY were checked
    assert len(merged) == 2 and np.allclose(merged.boxes[1], PARKED.to_array())
    assert merged.probabilities is None  # the check dropped them: none kept for half the boxes


def test_other_classes_are_mapped_by_name_and_unknown_ones_left_out():
    other = Detections(
        np.array([CAR.to_array(), PARKED.to_array(), EMPTY.to_array()]),
        np.array([1, 0, 2]),
        np.array([0.9, 0.8, 0.7]),
        ("Wall", "Pedestrian", "Car"),
        "geo",
        np.array([[0.1, 0.7, 0.2], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8]]),
    )
    mapped = in_classes(other, CLASSES, "pp")
    assert [CLASSES[k] for k in mapped.labels] == ["Pedestrian", "Car"]
    assert mapped.model_version == "pp"
    assert mapped.probabilities[0].tolist() == [0.2, 0, 0, 0.7, 0]


def test_only_known_plugins_complement():
    with pytest.raises(PluginError, match="complement must be one of"):
        Complement("pointpillars")
    with pytest.raises(PluginError, match="complement_priority must be one of"):
        network_first("first", False)


def test_the_network_wins_once_fine_tuned_on_verified_frames_unless_told():
    assert not network_first("auto", adapted=False) and network_first("auto", adapted=True)
    assert network_first("network", adapted=False) and not network_first("complement", adapted=True)


def test_fine_tuning_on_verified_frames_marks_the_model_adapted_and_the_mark_is_saved(
    detector, scenes, tmp_path
):
    params = {"epochs": 1, "batch_size": 4, "threads": 1, "ensemble_refresh": False, "box_convention": False}
    generated = [LabelledFrame(s.frame, s.targets, synthetic=True) for s in scenes[:2]]
    list(detector.fit(generated, params, CancelToken()))
    assert not detector.adapted  # generated frames only: no user's convention learned
    list(detector.fit([scenes[2], *generated], params, CancelToken()))
    assert detector.adapted
    detector.save(str(tmp_path / "tuned.pt"))
    from plugins.pointpillars.model import PointPillarsDetector

    loaded = PointPillarsDetector()
    loaded.load(str(tmp_path / "tuned.pt"))
    assert loaded.adapted


def test_the_plugin_merges_with_the_geometric_plugin_when_asked(monkeypatch):
    from plugins.pointpillars.model import PointPillarsDetector

    points = street(np.random.default_rng(3))
    detector = PointPillarsDetector()
    rough = CAR.replace(center=(10.45, -2.75, CAR.center[2]), size=(3.6, 1.6, 1.3), yaw=0.12)
    monkeypatch.setattr(
        detector, "_decode", lambda output, values: [found(rough, EMPTY, version=detector.version)]
    )
    frame = FrameInput("street", points)
    plain = detector.predict(frame, {"threads": 1})
    assert len(plain) == 2 and np.allclose(plain.boxes[0], rough.to_array())
    hybrid = detector.predict(frame, {"threads": 1, "complement": "geometric"})
    boxes = [Cuboid.from_array(b) for b in hybrid.boxes]
    # the geometric plugin boxes both cars; the network's rough car is explained and its empty-road
    # proposal is dropped by the points check
    assert len(boxes) == 2 and hybrid.model_version == detector.version
    assert max(bev_iou(b, CAR) for b in boxes) > 0.6 and max(bev_iou(b, PARKED) for b in boxes) > 0.6
    assert not any(np.allclose(b.to_array(), rough.to_array()) for b in boxes)
    assert not any(same_object(b, EMPTY) for b in boxes)
    detector.adapted = True  # fine-tuned: the network's boxes stand, unchecked, the geometric ones fill in
    tuned = detector.predict(frame, {"threads": 1, "complement": "geometric"})
    assert np.allclose(tuned.boxes[:2], [rough.to_array(), EMPTY.to_array()]) and len(tuned) == 3
    assert bev_iou(Cuboid.from_array(tuned.boxes[2]), PARKED) > 0.6
    told = detector.predict(
        frame, {"threads": 1, "complement": "geometric", "complement_priority": "complement"}
    )
    assert np.allclose(np.sort(told.boxes, axis=0), np.sort(hybrid.boxes, axis=0))


def test_scoring_samples_are_merged_as_predictions_are(monkeypatch):
    from plugins.pointpillars.model import PointPillarsDetector

    detector = PointPillarsDetector()
    monkeypatch.setattr(detector, "_decode", lambda output, values: [found(EMPTY, version=detector.version)])
    frame = FrameInput("street", street(np.random.default_rng(3)))
    raw = detector.predict_samples(frame, {"threads": 1}, 1, "mc_dropout")
    assert len(raw[0]) == 1 and np.allclose(raw[0].boxes[0], EMPTY.to_array())
    samples = detector.predict_samples(frame, {"threads": 1, "complement": "geometric"}, 1, "mc_dropout")
    boxes = [Cuboid.from_array(b) for b in samples[0].boxes]
    assert len(boxes) == 2 and all(max(bev_iou(b, car) for b in boxes) > 0.6 for car in (CAR, PARKED))


def test_source_measures_say_which_boxes_the_other_plugin_and_the_raw_members_saw():
    boxes = np.array([CAR.to_array(), PARKED.to_array(), EMPTY.to_array()])
    geometric = found(CAR.replace(center=(10.3, -3.1, CAR.center[2])), score=0.6, version="geo")
    members = [found(CAR, PARKED), found(PARKED.replace(yaw=0.3)), found()]
    measures = source_measures(boxes, geometric, members)
    assert measures["complement"].tolist() == [1.0, 0.0, 0.0]
    assert measures["complement_score"].tolist() == [0.6, 0.0, 0.0]
    assert measures["network_support"] == pytest.approx([1 / 3, 2 / 3, 0.0])
    assert source_measures(np.zeros((0, 7)), geometric, [])["network_support"].shape == (0,)


def test_the_plugin_gives_hybrid_boxes_their_sources_and_runs_the_other_plugin_once_a_frame(monkeypatch):
    from plugins.geometric.model import GeometricDetector
    from plugins.pointpillars.model import PointPillarsDetector

    runs: list[str] = []
    original = GeometricDetector.predict

    def counted(self, frame, params):
        runs.append(frame.name)
        return original(self, frame, params)

    monkeypatch.setattr(GeometricDetector, "predict", counted)
    detector = PointPillarsDetector()
    monkeypatch.setattr(detector, "_decode", lambda output, values: [found(EMPTY, version=detector.version)])
    frame = FrameInput("street", street(np.random.default_rng(3)))
    params = {"threads": 1, "complement": "geometric"}
    boxes = detector.predict_samples(frame, params, 1, "mc_dropout")[0].boxes
    assert detector.box_measures(frame, boxes, {"threads": 1}) is None  # no complement: nothing to add
    measures = detector.box_measures(frame, boxes, params)
    # both cars are the geometric plugin's boxes; the network's single (raw) pass boxed neither
    assert measures["complement"].tolist() == [1.0, 1.0]
    assert measures["network_support"].tolist() == [0.0, 0.0]
    assert all(0.0 < s <= 1.0 for s in measures["complement_score"])
    raw = detector.box_measures(frame, np.array([EMPTY.to_array()]), params)
    assert raw["complement"].tolist() == [0.0] and raw["network_support"].tolist() == [1.0]
    assert runs == ["street"]  # sampling and both measures: the geometric plugin ran once
    shifted = frame.points.copy()
    shifted[:, 0] += 0.15  # an augmented copy of the frame under the same name is another cloud
    detector.box_measures(FrameInput("street", shifted), boxes, params)
    assert runs == ["street", "street"]
