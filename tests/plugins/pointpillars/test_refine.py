"""Proposal refinement (``refine=fit``): the detector's boxes are placed on their points by the partial-scan
fitter, proposals the points do not back are dropped; and harder training while few frames are verified."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.ml.protocol import CancelToken, Detections, FrameInput, LabelledFrame

pytest.importorskip("torch")

from plugins.pointpillars.refine import RefineSettings, refine_detections

CLASSES = ("Car", "Pedestrian")
GROUND = -1.7
CAR = Cuboid((10.0, -3.0, GROUND + 0.75), (4.2, 1.8, 1.5), 0.0)


def car_points(rng: np.random.Generator, count: int = 600) -> np.ndarray:
    """Points on the car's faces a sensor at the origin sees (the rear at x = 7.9 and the left side)."""
    length, width, height = CAR.size
    local = rng.uniform(-0.5, 0.5, (count, 3)) * np.array([length, width, height])
    rear = rng.random(count) < 0.4
    local[rear, 0] = -length / 2
    local[~rear, 1] = width / 2
    return CAR.box_to_world(local)


def street(rng: np.random.Generator) -> np.ndarray:
    """Flat ground, one car and a 30 m wall at y = 8 (points x, y, z, intensity)."""
    ground = np.column_stack(
        [rng.uniform(-5, 40, (20000, 2)) * [1, 0.6], rng.normal(GROUND, 0.02, 20000), np.zeros(20000)]
    )
    wall = np.column_stack(
        [rng.uniform(0, 30, 3000), rng.normal(8.0, 0.03, 3000), rng.uniform(GROUND, GROUND + 2.5, 3000)]
    )
    return np.vstack(
        [ground, np.column_stack([car_points(rng), np.zeros(600)]), np.column_stack([wall, np.zeros(3000)])]
    )


def proposals(*boxes: Cuboid) -> Detections:
    """The boxes as Car proposals, scores falling from 0.9."""
    scores = np.linspace(0.9, 0.5, len(boxes))
    return Detections(np.array([b.to_array() for b in boxes]), np.zeros(len(boxes)), scores, CLASSES, "pp")


def test_a_proposal_off_its_car_is_placed_on_the_points():
    points = street(np.random.default_rng(0))
    rough = CAR.replace(center=(10.45, -2.75, CAR.center[2]), size=(3.6, 1.6, 1.3), yaw=0.12)
    refined = refine_detections(proposals(rough), points, RefineSettings())
    assert len(refined) == 1
    box = Cuboid.from_array(refined.boxes[0])
    assert np.hypot(*(np.subtract(box.center, CAR.center)[:2])) < 0.2 < np.hypot(0.45, 0.25)
    assert bev_iou(box, CAR) > 0.8 > bev_iou(rough, CAR)
    assert refined.scores[0] == pytest.approx(0.9)
    kept = refine_detections(proposals(rough), points, RefineSettings(), move=False)  # refine=drop
    assert np.allclose(kept.boxes[0], rough.to_array())


def test_proposals_on_empty_road_and_on_a_wall_are_dropped():
    points = street(np.random.default_rng(1))
    empty = Cuboid((20.0, -4.0, GROUND + 0.75), (4.2, 1.8, 1.5), 0.0)
    on_wall = Cuboid((15.0, 8.5, GROUND + 0.9), (4.5, 1.9, 1.8), 0.0)
    refined = refine_detections(proposals(CAR, empty, on_wall), points, RefineSettings())
    assert len(refined) == 1 and bev_iou(Cuboid.from_array(refined.boxes[0]), CAR) > 0.8
    kept_all = refine_detections(
        proposals(CAR, empty, on_wall), points, RefineSettings(min_points=0, drop_walls=False)
    )
    assert len(kept_all) == 3


def test_the_plugin_refines_only_when_asked(monkeypatch):
    from plugins.pointpillars.model import PointPillarsDetector

    points = street(np.random.default_rng(2))
    rough = CAR.replace(center=(10.45, -2.75, CAR.center[2]), size=(3.6, 1.6, 1.3))
    empty = Cuboid((20.0, -4.0, GROUND + 0.75), (4.2, 1.8, 1.5), 0.0)
    detector = PointPillarsDetector()
    monkeypatch.setattr(detector, "_decode", lambda output, values: [proposals(rough, empty)])
    frame = FrameInput("street", points.astype(np.float32))
    assert len(detector.predict(frame, {"threads": 1})) == 2
    refined = detector.predict(frame, {"threads": 1, "refine": "fit"})
    assert len(refined) == 1 and bev_iou(Cuboid.from_array(refined.boxes[0]), CAR) > 0.8
    dropped = detector.predict(frame, {"threads": 1, "refine": "drop"})
    assert len(dropped) == 1 and np.allclose(dropped.boxes[0], rough.to_array())


def planned_steps(detector, frames: list[LabelledFrame], params: dict) -> int:
    """The optimiser steps a fit plans (its first progress report; the fit is then cancelled)."""
    cancel = CancelToken()
    for progress in detector.fit(frames, params, cancel):
        cancel.cancel()
        return progress.total
    raise AssertionError("the fit reported no progress")


def test_fine_tuning_trains_early_epochs_while_generated_frames_are_mixed_in(detector, scenes):
    verified = scenes[:2]
    generated = LabelledFrame(verified[0].frame, verified[0].targets, synthetic=True)
    params = {"epochs": 1, "early_epochs": 3, "batch_size": 1, "threads": 1}
    assert planned_steps(detector, [*verified, generated], params) == 3 * 3  # 3 frames, 1 a step, 3 epochs
    assert planned_steps(detector, verified, params) == 2  # no generated frames: enough verified ones
    assert planned_steps(detector, [*verified, generated], {**params, "early_epochs": 0}) == 3
