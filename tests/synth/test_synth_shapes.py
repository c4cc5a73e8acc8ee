"""Object shapes: a car's primitives stay inside its cuboid, its widest parts are the wing mirrors, and its
body's corners are rounded, as real cars' (so the points of a generated car fill its box as a real one's do)."""

from __future__ import annotations

import numpy as np

from annotator.synth.primitives import BOX, CYLINDER
from annotator.synth.shapes import car

SIZE = (4.4, 1.85, 1.6)


def extents(parts) -> np.ndarray:
    """(P, 2, 3) lower and upper corners of the primitives' axis-aligned bounds (boxes and cylinders;
    the wheels are cylinders turned onto the y axis)."""
    assert all(p.kind in (BOX, CYLINDER) for p in parts)
    reach = [np.abs(p.rotation) @ p.half for p in parts]
    return np.array([[p.center - r, p.center + r] for p, r in zip(parts, reach, strict=True)])


def test_a_car_stays_inside_its_cuboid() -> None:
    box = extents(car(SIZE, (200.0, 30.0, 30.0)))
    half = np.array(SIZE) / 2
    assert np.all(box[:, 0] >= -half - 1e-9) and np.all(box[:, 1] <= half + 1e-9)


def test_the_mirrors_are_the_widest_parts_and_the_body_is_narrower() -> None:
    parts = car(SIZE, (200.0, 30.0, 30.0))
    box = extents(parts)
    widest = box[:, 1, 1] >= SIZE[1] / 2 - 1e-9
    assert widest.sum() == 1 and np.all(box[widest, 0, 2] > -SIZE[2] / 2 + 0.8)  # one mirror a side, up high
    low = box[:, 1, 2] < 0.0  # the body below the belt
    assert np.max(box[low, 1, 1]) <= SIZE[1] / 2 - 0.05


def test_the_bodys_corners_are_rounded() -> None:
    parts = [p for p in car(SIZE, (200.0, 30.0, 30.0)) if p.center[2] < -0.2 and p.half[0] > 0.1]
    box = extents(parts)
    reach_x, reach_y = box[:, 1, 0].max(), box[:, 1, 1].max()
    corner = np.array([reach_x - 0.03, reach_y - 0.03])
    inside = [(b[0, 0] <= corner[0] <= b[1, 0] and b[0, 1] <= corner[1] <= b[1, 1]) for b in box]
    cylinders = [p for p in parts if p.kind == CYLINDER]
    near = [np.hypot(*(corner - p.center[:2])) <= p.half[0] for p in cylinders]
    assert not any(inside[i] for i, p in enumerate(parts) if p.kind == BOX) and not any(near)
