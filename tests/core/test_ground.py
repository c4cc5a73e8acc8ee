"""Local ground estimation: slopes, bumps, objects standing on the ground, holes."""

from __future__ import annotations

import numpy as np

from annotator.core.ground import GroundModel, estimate_ground, ground_slope


def surface(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A 6 % / -4 % slope with 8 cm and 5 cm bumps."""
    return 0.06 * x - 0.04 * y + 0.08 * np.sin(x / 4.0) + 0.05 * np.cos(y / 3.0) - 1.7


def box_shell(rng, centre_xy, size, bottom, count=2500) -> np.ndarray:
    """Points on the sides and top of an upright box (no bottom: LiDAR never sees it)."""
    half = np.asarray(size) / 2.0
    local = rng.uniform(-1.0, 1.0, (count, 3)) * half
    face = rng.integers(0, 3, count)
    sign = np.where(face == 2, 1.0, rng.choice([-1.0, 1.0], count))
    local[np.arange(count), face] = sign * half[face]
    return local + np.array([centre_xy[0], centre_xy[1], bottom + half[2]])


def sloped_scene(seed: int = 0) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Ground points in a ring around the sensor (hole in the middle) plus a few cars and a wall."""
    rng = np.random.default_rng(seed)
    n = 40_000
    r = np.sqrt(rng.uniform(3.0**2, 40.0**2, n))
    a = rng.uniform(-np.pi, np.pi, n)
    x, y = r * np.cos(a), r * np.sin(a)
    ground = np.column_stack([x, y, surface(x, y) + rng.normal(0.0, 0.02, n)])
    cars = [(10.0, 3.0), (15.0, -4.0), (-12.0, 2.0), (20.0, 8.0)]
    parts = [ground]
    for cx, cy in cars:
        parts.append(box_shell(rng, (cx, cy), (4.4, 1.8, 1.5), float(surface(cx, cy)) + 0.25))
    wall = box_shell(rng, (0.0, -14.0), (20.0, 0.3, 3.0), 0.0, 6000)
    wall[:, 2] += surface(wall[:, 0], wall[:, 1])  # standing on the slope
    parts.append(wall)
    return np.concatenate(parts), cars


def test_height_at_follows_a_bumpy_slope_within_5_cm():
    points, cars = sloped_scene()
    model = estimate_ground(points)
    rng = np.random.default_rng(1)
    probe = rng.uniform(-28.0, 28.0, (4000, 2))  # inside the scanned disc
    error = np.abs(model.height_at(probe) - surface(probe[:, 0], probe[:, 1]))
    assert error.max() < 0.05
    for cx, cy in cars:  # under the cars, where the ground is partly hidden
        assert abs(float(model.height_at(np.array([cx, cy]))) - surface(cx, cy)) < 0.05


def test_is_ground_separates_ground_from_objects():
    points, _ = sloped_scene()
    model = estimate_ground(points)
    mask = model.is_ground(points, tolerance=0.15)
    truth = np.abs(points[:, 2] - surface(points[:, 0], points[:, 1])) < 0.1
    assert mask[truth].mean() > 0.99
    assert mask[points[:, 2] - surface(points[:, 0], points[:, 1]) > 0.3].mean() < 0.01


def test_a_plane_is_reproduced_exactly_and_extended_outside_the_grid():
    rng = np.random.default_rng(2)
    xy = rng.uniform(-10.0, 10.0, (5000, 2))
    points = np.column_stack([xy, 0.1 * xy[:, 0] + 0.2 * xy[:, 1] + 1.0])
    model = estimate_ground(points, cell=2.0)
    probe = np.array([[0.3, -4.2], [7.7, 7.7], [-9.0, 2.0]])
    assert np.allclose(model.height_at(probe), 0.1 * probe[:, 0] + 0.2 * probe[:, 1] + 1.0, atol=0.01)
    assert np.allclose(ground_slope(model, np.array([1.0, 1.0])), (0.1, 0.2), atol=0.01)
    # Outside the grid the border heights carry on (no extrapolation into nonsense).
    assert (
        abs(float(model.height_at(np.array([100.0, 0.0]))) - float(model.height_at(np.array([10.5, 0.0]))))
        < 0.2
    )


def test_flat_and_empty_models():
    assert float(GroundModel.flat(-1.5).height_at(np.array([3.0, 4.0]))) == -1.5
    assert float(estimate_ground(np.zeros((0, 3))).height_at(np.array([0.0, 0.0]))) == 0.0
    one_cell = estimate_ground(np.array([[0.0, 0.0, 2.0], [0.1, 0.1, 2.0], [0.2, 0.0, 2.0]]))
    assert abs(float(one_cell.height_at(np.array([0.1, 0.0]))) - 2.0) < 1e-6
