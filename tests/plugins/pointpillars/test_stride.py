"""A walker's heading from his legs (``stride_heading``): pedestrian proposals turned to a wide stride's
axis, everything else left as the network placed it; in both 3D plugins, on by default."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.ml.protocol import Detections, FrameInput

pytest.importorskip("torch")

from plugins.pointpillars.stride import MIN_LEG_POINTS, align_to_strides, percentile_span, stride_heading

CLASSES = ("Car", "Pedestrian")
GROUND = -1.7
HEIGHT = 1.8
# a walker 8 m ahead, striding across the line of sight (heading -y), as KITTI frame 000000's
CENTRE = np.array([8.0, -2.0, GROUND + HEIGHT / 2])


def walker(rng: np.random.Generator, stride: float, heading: float = -math.pi / 2) -> np.ndarray:
    """Points of a person: two legs ``stride`` m apart at the feet along ``heading``, meeting at the hips,
    a torso 0.45 m wide across the heading and 0.25 m deep; (N, 4)."""
    along, across = (
        np.array([math.cos(heading), math.sin(heading)]),
        np.array([-math.sin(heading), math.cos(heading)]),
    )
    height = rng.uniform(0.05, 0.9, 160)  # above the ground, up to the hips
    side = np.where(rng.random(160) < 0.5, -1.0, 1.0)
    leg = (side * stride / 2 * (1 - height / 0.9))[:, None] * along + rng.normal(0, 0.04, (160, 1)) * across
    torso_h = rng.uniform(0.9, 1.7, 200)
    torso = rng.uniform(-0.225, 0.225, (200, 1)) * across + rng.uniform(-0.12, 0.12, (200, 1)) * along
    xy = np.vstack([leg, torso]) + CENTRE[:2]
    z = np.concatenate([height, torso_h]) + GROUND
    return np.column_stack([xy, z, np.zeros(len(z))]).astype(np.float32)


def box(yaw: float, size=(1.0, 0.66, HEIGHT)) -> np.ndarray:
    return np.array([*CENTRE, *size, yaw])


def found(*rows: tuple[np.ndarray, str]) -> Detections:
    return Detections(
        np.array([r[0] for r in rows]), np.array([CLASSES.index(r[1]) for r in rows]),
        np.full(len(rows), 0.6), CLASSES, "test",
    )  # fmt: skip


def test_a_wide_stride_turns_a_box_along_the_ray_to_cross_it() -> None:
    points = walker(np.random.default_rng(0), stride=1.1)
    heading = stride_heading(box(-0.3), points)  # the network's box runs along the ray
    assert heading is not None
    # of the two ends of the axis, the one nearer the network's heading
    assert heading == pytest.approx(-math.pi / 2, abs=math.radians(5))
    assert stride_heading(box(2.0), points) == pytest.approx(math.pi / 2, abs=math.radians(5))


def test_a_stride_seen_end_on_is_read_as_well() -> None:
    points = walker(np.random.default_rng(1), stride=1.0, heading=0.0)
    assert stride_heading(box(1.2), points) == pytest.approx(0.0, abs=math.radians(5))


def test_standing_people_and_sparse_legs_keep_the_network_heading() -> None:
    rng = np.random.default_rng(2)
    assert stride_heading(box(0.3), walker(rng, stride=0.25)) is None  # feet together: no stride
    sparse = walker(rng, stride=1.1)
    legs = sparse[sparse[:, 2] < GROUND + 0.8][: MIN_LEG_POINTS - 1]
    assert stride_heading(box(0.3), legs) is None
    far_away = walker(rng, stride=1.1) + np.array([5.0, 0, 0, 0], dtype=np.float32)
    assert stride_heading(box(0.3), far_away) is None  # points of someone else


def test_only_pedestrians_are_turned_and_nothing_else_changes() -> None:
    points = walker(np.random.default_rng(3), stride=1.1)
    car = np.array([20.0, 3.0, -0.9, 4.2, 1.8, 1.5, 0.2])
    before = found((box(-0.3), "Pedestrian"), (car, "Car"))
    after = align_to_strides(before, points)
    assert after is not before and np.allclose(after.boxes[1], car)
    assert np.allclose(after.boxes[0, :6], before.boxes[0, :6])
    assert after.boxes[0, 6] == pytest.approx(-math.pi / 2, abs=math.radians(5))
    assert before.boxes[0, 6] == -0.3  # the input is left alone
    cars_only = found((car, "Car"))
    assert align_to_strides(cars_only, points) is cars_only
    assert align_to_strides(before, None) is before


def test_both_3d_plugins_turn_strides_unless_told_not_to(decoding_detector) -> None:
    detector = decoding_detector(CLASSES, found((box(0.05), "Pedestrian")))
    frame = FrameInput("walker", walker(np.random.default_rng(4), stride=1.1))
    turned = detector.predict(frame, {"threads": 1})
    assert abs(math.remainder(turned.boxes[0, 6] + math.pi / 2, math.pi)) < math.radians(5)
    kept = detector.predict(frame, {"threads": 1, "stride_heading": False})
    assert kept.boxes[0, 6] == pytest.approx(0.05)


@pytest.mark.parametrize("count", [1, 2, 7, 160])
def test_the_percentile_span_is_numpys_5_to_95_percent_range(count: int) -> None:
    values = np.random.default_rng(count).normal(0.0, 0.4, count)
    expected = np.percentile(values, 95.0) - np.percentile(values, 5.0)
    assert percentile_span(values) == pytest.approx(expected, abs=1e-12)
