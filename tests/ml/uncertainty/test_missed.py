"""Possible missed objects: unexplained point clusters on hand-built clouds, the prior and the learned
objectness, which labelled object a cluster lies on, and how flagged clusters count in escalation."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.ml.finetune.edits import EffortModel
from annotator.ml.uncertainty.adaptation import OnlineAdapter, miss_rate
from annotator.ml.uncertainty.escalation import EscalationFrame, EscalationRule, escalate_frame
from annotator.ml.uncertainty.missed import (
    PRIOR_INSIDE,
    PRIOR_OUTSIDE,
    MissedCluster,
    ObjectnessModel,
    guess_class,
    prior_objectness,
    scored,
    unexplained_clusters,
    with_truths,
)


def block(centre: tuple[float, float], size: tuple[float, float, float], step: float = 0.1) -> np.ndarray:
    """Points filling the surface of an upright box standing on z = 0."""
    (x, y), (length, width, height) = centre, size
    xs = np.arange(x - length / 2, x + length / 2 + 1e-9, step)
    ys = np.arange(y - width / 2, y + width / 2 + 1e-9, step)
    zs = np.arange(0.4, height + 1e-9, step)
    sides = [np.array([[a, b, z] for a in xs for z in zs]) for b in (ys[0], ys[-1])]
    ends = [np.array([[a, b, z] for b in ys for z in zs]) for a in (xs[0], xs[-1])]
    return np.vstack([*sides, *ends])


def scene() -> np.ndarray:
    """Flat ground (40 x 40 m, z = 0), a car-sized block at (10, 0) and another at (20, 5)."""
    g = np.arange(-20.0, 20.0, 0.25)
    ground = np.array([[x + 20.0, y, 0.0] for x in g for y in g])
    return np.vstack([ground, block((10.0, 0.0), (4.0, 1.8, 1.5)), block((20.0, 5.0), (4.0, 1.8, 1.5))])


def car(x: float, y: float = 0.0) -> Cuboid:
    return Cuboid((x, y, 0.75), (4.0, 1.8, 1.5), 0.0)


def cluster(points: int, size: tuple[float, float, float], truth: int | None = None, objectness: float = 0.0) -> MissedCluster:  # fmt: skip
    box = Cuboid((10.0, 0.0, size[2] / 2), size, 0.0)
    return MissedCluster(box, points, size[2], 0.3, 10.0, objectness, truth)


def test_clusters_no_proposal_explains_are_found_and_fitted() -> None:
    found = unexplained_clusters(scene(), [])
    centres = sorted((round(c.box.center[0]), round(c.box.center[1])) for c in found)
    assert centres == [(10, 0), (20, 5)]
    first = min(found, key=lambda c: c.box.center[0])
    assert first.box.size[0] == pytest.approx(4.0, abs=0.15) and first.box.size[1] == pytest.approx(
        1.8, abs=0.15
    )
    assert first.top == pytest.approx(1.5, abs=0.1) and first.distance == pytest.approx(10.0, abs=0.1)


def test_a_proposal_on_a_cluster_explains_it() -> None:
    found = unexplained_clusters(scene(), [car(10.3)])
    assert [(round(c.box.center[0]), round(c.box.center[1])) for c in found] == [(20, 5)]


def test_a_cluster_lies_on_the_labelled_object_that_holds_its_centre() -> None:
    clusters = [cluster(50, (4.0, 1.8, 1.5)), cluster(50, (0.3, 0.3, 3.0))]
    far = MissedCluster(Cuboid((30.0, 0.0, 1.0), (1.0, 1.0, 2.0), 0.0), 20, 2.0, 0.3, 30.0)
    labelled = with_truths([*clusters, far], [car(40.0), car(10.4)])
    assert [c.truth for c in labelled] == [1, 1, None]


def test_the_prior_flags_what_fits_a_vehicle_or_person_with_enough_points() -> None:
    assert prior_objectness(cluster(50, (4.0, 1.8, 1.5))) == PRIOR_INSIDE
    assert prior_objectness(cluster(50, (0.6, 0.5, 1.7))) == PRIOR_INSIDE
    assert prior_objectness(cluster(50, (9.0, 0.5, 2.0))) == PRIOR_OUTSIDE  # a wall
    assert prior_objectness(cluster(50, (1.0, 1.0, 0.6))) == PRIOR_OUTSIDE  # a bush
    assert prior_objectness(cluster(5, (4.0, 1.8, 1.5))) == PRIOR_OUTSIDE  # too few points


def test_objectness_is_learned_from_which_clusters_were_objects() -> None:
    objects = [cluster(40 + k, (4.0, 1.8, 1.5), truth=k) for k in range(10)]
    poles = [cluster(40 + k, (0.3, 0.3, 3.5)) for k in range(10)]
    model = ObjectnessModel.fit([*objects, *poles])
    assert model is not None and model.examples == 20
    car_like, pole_like = model.predict([cluster(45, (4.2, 1.9, 1.4)), cluster(45, (0.3, 0.3, 3.4))])
    assert car_like > 0.8 > 0.2 > pole_like
    assert ObjectnessModel.fit(objects[:3]) is None  # too few to learn from
    assert [c.objectness for c in scored(poles[:2], None)] == [PRIOR_OUTSIDE, PRIOR_OUTSIDE]


def test_a_new_box_gets_the_class_of_the_nearest_default_size() -> None:
    sizes = {"Car": (4.5, 1.9, 1.6), "Pedestrian": (0.7, 0.7, 1.8), "Cyclist": (1.8, 0.7, 1.7)}
    assert guess_class(Cuboid((0, 0, 0), (4.0, 1.8, 1.5), 0.0), sizes) == "Car"
    assert guess_class(Cuboid((0, 0, 0), (0.5, 0.6, 1.7), 0.0), sizes) == "Pedestrian"
    assert guess_class(Cuboid((0, 0, 0), (1.0, 1.0, 1.0), 0.0), {}) is None


def frame_with_clusters() -> EscalationFrame:
    """Truths at x = 0 (proposed, sure) and at y = 30, y = 60 (not proposed); clusters: one on y = 30
    (objectness 0.9), one on a pole (0.7), one on y = 60 (0.2)."""
    truths = [("Car", car(0)), ("Car", car(0, 30)), ("Car", car(0, 60))]
    clusters = [cluster(50, (4.0, 1.8, 1.5), 1, 0.9), cluster(30, (0.3, 0.3, 3.0), None, 0.7),
                cluster(20, (3.0, 1.5, 1.2), 2, 0.2)]  # fmt: skip
    return EscalationFrame("f", [("Car", car(0))], np.array([0.1]), np.array([False]), truths,
                           clusters=clusters)  # fmt: skip


def test_flagged_clusters_are_review_items_that_find_missed_objects() -> None:
    outcome = escalate_frame(frame_with_clusters(), EscalationRule(0.5, cluster_threshold=0.5), EffortModel())
    # the proposal is accepted unreviewed; 2 clusters flagged: the one on y = 30 finds it (adjust, 12 s),
    # the pole is dismissed (2 s); y = 60 (objectness 0.2) stays missed
    assert (outcome.reviewed, outcome.clusters_flagged, outcome.clusters_found, outcome.missed) == (
        0,
        2,
        1,
        1,
    )
    assert outcome.effort_s == pytest.approx(12 + 2)
    assert outcome.reviewed_share == pytest.approx(2 / 3)  # 2 items reviewed of 1 proposal + 2 flags
    assert outcome.reviewed_per_object == pytest.approx(2 / 3)
    assert outcome.residual_rate == pytest.approx(1 / 3)
    low = escalate_frame(frame_with_clusters(), EscalationRule(0.5, cluster_threshold=0.1))
    assert (low.clusters_flagged, low.missed, low.residual_rate) == (3, 0, 0.0)


def test_the_miss_rate_counts_only_objects_neither_proposed_nor_flagged() -> None:
    frames = [frame_with_clusters()]
    assert miss_rate(frames, 0.5) == pytest.approx(1 / 3)
    assert miss_rate(frames, 0.95) == pytest.approx(2 / 3)
    assert miss_rate(frames, 0.1) == 0.0


def test_the_adapter_learns_objectness_from_the_verified_frames() -> None:
    objects = [cluster(40 + k, (4.0, 1.8, 1.5), truth=0) for k in range(6)]
    poles = [cluster(40 + k, (0.3, 0.3, 3.5)) for k in range(6)]
    verified = EscalationFrame("v", [], np.zeros(0), np.zeros(0, bool), [("Car", car(10))],
                               clusters=[*objects, *poles])  # fmt: skip
    later = EscalationFrame("l", [], np.zeros(0), np.zeros(0, bool), [("Car", car(10))],
                            clusters=[cluster(45, (4.1, 1.8, 1.5), 0), cluster(45, (0.3, 0.3, 3.4))])  # fmt: skip
    adapter = OnlineAdapter(1, cluster_threshold=0.5)
    first, second = adapter.judge(verified), adapter.judge(later)
    assert {c.objectness for c in first.clusters} == {PRIOR_INSIDE, PRIOR_OUTSIDE}  # before: the prior
    car_like, pole_like = (c.objectness for c in second.clusters)
    assert car_like > 0.5 > pole_like
    # the first frame as judged (prior: the objects' cluster flagged) missed nothing
    assert second.miss_rate == 0.0
