"""Ground-truth sampling of the base training: pasted people stand in front of structures, and every pasted
object hides what stands behind it from the sensor."""

from __future__ import annotations

import numpy as np
import pytest

from plugins.pointpillars.base_placement import (
    against_structure,
    move_to,
    polar,
    shadow,
    structure_points,
)

GROUND = -1.73


def person(x: float, y: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A 0.6 x 0.6 x 1.7 m column of points standing on the ground at (x, y), and its box."""
    rng = np.random.default_rng(seed)
    box = np.array([x, y, GROUND + 0.85, 0.6, 0.6, 1.7, 0.3])
    points = np.column_stack(
        [
            rng.uniform(-0.25, 0.25, (60, 2)) + np.array([x, y]),
            rng.uniform(GROUND + 0.1, GROUND + 1.7, 60),
            np.ones(60),
        ]
    ).astype(np.float32)
    return points, box


def wall(x: float) -> np.ndarray:
    """A wall across the x axis at ``x`` (y -5..5, 0-3 m high) and the ground in front of it."""
    y, z = np.meshgrid(np.linspace(-5, 5, 101), np.linspace(GROUND, GROUND + 3, 31))
    face = np.column_stack([np.full(y.size, x), y.ravel(), z.ravel(), np.zeros(y.size)])
    gx, gy = np.meshgrid(np.linspace(2, x - 0.1, 40), np.linspace(-5, 5, 41))
    ground = np.column_stack([gx.ravel(), gy.ravel(), np.full(gx.size, GROUND), np.zeros(gx.size)])
    return np.concatenate([face, ground]).astype(np.float32)


def test_a_moved_object_keeps_its_points_in_its_box_and_faces_the_sensor_alike():
    points, box = person(10.0, 0.0)
    moved, placed = move_to(points, box, np.array([0.0, 20.0]))
    assert placed[:2] == pytest.approx([0.0, 20.0])
    assert placed[2:6] == pytest.approx(box[2:6])
    # turned by the change of azimuth (90 degrees), so the sensor sees the same side of it
    assert placed[6] == pytest.approx(box[6] + np.pi / 2)
    before = points[:, :2] - box[:2]
    after = moved[:, :2] - placed[:2]
    turn = np.array([[0.0, -1.0], [1.0, 0.0]])
    assert after == pytest.approx(before @ turn.T, abs=1e-4)
    assert moved[:, 2] == pytest.approx(points[:, 2])


def test_structure_is_background_standing_above_the_ground_within_range():
    cloud = wall(15.0)
    owner = np.full(len(cloud), -1)
    owner[:10] = 0  # owned by an object: not structure
    chosen = structure_points(cloud, owner, GROUND)
    heights = cloud[chosen, 2] - GROUND
    assert len(chosen) > 100 and heights.min() > 0.5 and heights.max() < 2.5
    assert not set(range(10)) & set(chosen.tolist())
    assert np.allclose(cloud[chosen, 0], 15.0)  # the ground in front is not structure


def test_a_person_is_moved_to_stand_just_in_front_of_a_wall():
    cloud = wall(15.0)
    structure = cloud[structure_points(cloud, np.full(len(cloud), -1), GROUND)]
    points, box = person(-30.0, 8.0)
    for seed in range(10):
        moved, placed = against_structure(points, box, structure, np.random.default_rng(seed))
        assert 15.0 - 1.2 < placed[0] < 15.0 - 0.3  # on the sensor's side, not inside the wall
        assert abs(placed[1]) <= 5.0
        assert moved[:, 0].max() < 15.0
    assert against_structure(points, box, structure[:0], np.random.default_rng(0)) is None


def test_a_pasted_object_hides_what_stands_behind_it_only():
    cloud = wall(15.0)
    points, _ = person(14.0, 0.0)
    hidden = shadow(polar(cloud), points)
    behind = cloud[hidden]
    assert len(behind) > 20
    assert np.all(behind[:, 0] > 13.7)  # the wall (and ground near it) behind the person
    assert np.all(np.abs(behind[:, 1]) < 0.5)  # within the person's span of azimuths
    assert not hidden[(cloud[:, 0] < 13.0)].any()  # nothing in front of the person is hidden
    assert not shadow(polar(cloud), points[:0]).any()


def test_ground_truth_sampling_stands_people_against_structures(monkeypatch):
    from plugins.pointpillars import base_augment
    from plugins.pointpillars.base_data import CachedFrame
    from plugins.pointpillars.config import CLASSES

    donor_points, donor_box = person(-30.0, 8.0)
    pedestrian = CLASSES.index("Pedestrian")
    donor = CachedFrame(donor_points, np.zeros(60, np.uint8), np.zeros(60, np.int64), donor_box[None],
                        np.array([pedestrian]), 64)  # fmt: skip
    cloud = wall(15.0)
    frame = CachedFrame(cloud, np.zeros(len(cloud), np.uint8), np.full(len(cloud), -1, np.int64),
                        np.zeros((0, 7)), np.zeros(0, np.int64), 64)  # fmt: skip
    bank = base_augment.ObjectBank([donor], len(CLASSES))
    monkeypatch.setattr(base_augment, "AGAINST_STRUCTURE_CHANCE", 1.0)
    pasted = base_augment.paste_objects(frame, bank, np.random.default_rng(0))
    people = len(pasted.boxes)
    assert people >= 2 and pasted.labels.tolist() == [pedestrian] * people  # copies, side by side
    assert np.all((pasted.boxes[:, 0] > 13.8) & (pasted.boxes[:, 0] < 14.7))  # all in front of the wall
    assert len(pasted.points) < len(cloud) + 60 * people  # the wall behind them is in their shadow
