"""The static part of a street: building blocks along both sides, street furniture (poles, signs,
street lights, trees, hedges, bins, bollards; in urban streets also shrubs and parked bicycles, the
car- and person-sized clutter a detector must learn to leave alone) in the strip next to the kerb, and (urban streets)
boundaries along the building line: fences, garden walls and hedges with gaps for gates and drives, and
side streets opened through all of it.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np

from annotator.core.cuboids.rotation import rotation_matrix
from annotator.synth.ground import Ground
from annotator.synth.primitives import BOX, FACADE, FOLIAGE, Primitive, box, cylinder, ellipsoid, rod
from annotator.synth.shapes import parked_bicycle
from annotator.synth.street import StreetStyle

logger = logging.getLogger(__name__)

FACADE_COLORS = np.array(
    [[205, 190, 160], [170, 110, 85], [190, 190, 185], [225, 215, 195], [150, 150, 150], [196, 160, 120]],
    dtype=np.float64,
)
FOLIAGE_COLOR = (62.0, 108.0, 48.0)
BARK = (92.0, 70.0, 52.0)
POLE = (128.0, 130.0, 134.0)


def buildings(ground: Ground, rng: np.random.Generator, x_range: tuple[float, float]) -> list[Primitive]:
    """Blocks of houses along both sides (front row with alleys, and a taller back row)."""
    line = ground.layout.building_line
    blocks: list[Primitive] = []
    for side in (-1, 1):
        x = x_range[0]
        while x < x_range[1]:
            width = float(rng.uniform(8.0, 30.0))
            setback = float(rng.uniform(0.0, 2.5)) if rng.random() < 0.5 else 0.0
            depth = float(rng.uniform(8.0, 16.0))
            height = float(rng.uniform(5.0, 24.0))
            blocks.append(
                _block(ground, rng, x + width / 2, side * (line + setback + depth / 2), width, depth, height)
            )
            x += width + (float(rng.uniform(3.0, 9.0)) if rng.random() < 0.3 else 0.0)
        x = x_range[0] - 40.0
        while x < x_range[1] + 40.0:
            width = float(rng.uniform(25.0, 60.0))
            y = side * (line + float(rng.uniform(26.0, 40.0)))
            blocks.append(_block(ground, rng, x + width / 2, y, width, 16.0, float(rng.uniform(12.0, 35.0))))
            x += width + float(rng.uniform(5.0, 15.0))
    return blocks


def _block(
    ground: Ground, rng: np.random.Generator, x: float, y: float, length: float, depth: float, height: float
) -> Primitive:
    xs = np.array([x - length / 2, x + length / 2, x - length / 2, x + length / 2])
    ys = np.array([y - depth / 2, y - depth / 2, y + depth / 2, y + depth / 2])
    base = float(ground.height(xs, ys).min()) - 0.5
    top = float(ground.height(x, y)) + height
    color = FACADE_COLORS[int(rng.integers(len(FACADE_COLORS)))] * rng.uniform(0.9, 1.1)
    return box(
        (x, y, (base + top) / 2),
        (length, depth, top - base),
        color,
        float(rng.uniform(0.2, 0.4)),
        texture=FACADE,
    )


def furniture(
    ground: Ground,
    rng: np.random.Generator,
    x_range: tuple[float, float],
    clutter: float,
    style: StreetStyle | None = None,
) -> list[Primitive]:
    """Street furniture and vegetation in the furniture strips; ``clutter`` scales how much, ``style``
    (default classic) weighs the kinds. A style with `StreetStyle.clutter_weights` also gets shrubs and
    parked bicycles in the free stretches between, drawn from a generator spawned off ``rng`` (so the rest
    of the scene, drawn from ``rng`` after this, is the same with or without them)."""
    if clutter <= 0:
        return []
    lo, hi = ground.layout.furniture_band
    classic = (_street_light, _sign, _tree, _tree, _hedge, _bin, _bollard)
    makers = (_street_light, _sign, _tree, _hedge, _bin, _bollard, _pole)
    weights = None
    if style is not None and style.name != "classic":
        weights = np.asarray(style.furniture_weights, dtype=np.float64)
        weights = weights / weights.sum()
    items: list[Primitive] = []
    taken: dict[int, list[tuple[float, float]]] = {-1: [], 1: []}
    for side in (-1, 1):
        x = x_range[0] + float(rng.uniform(0.0, 10.0))
        while x < x_range[1]:
            if weights is None:
                maker = classic[int(rng.integers(len(classic)))]
            else:
                maker = makers[int(rng.choice(len(makers), p=weights))]
            y = side * float(rng.uniform(lo + 0.35, hi - 0.35))
            footprint = maker(ground, rng, x, y, side, items)
            taken[side].append((x - 1.0, x + footprint + 1.0))
            x += footprint + float(rng.uniform(2.0, 14.0)) / clutter
    if style is not None and sum(style.clutter_weights) > 0:
        items += _clutter(ground, rng.spawn(1)[0], x_range, clutter, style.clutter_weights, taken)
    return items


def _clutter(
    ground: Ground,
    rng: np.random.Generator,
    x_range: tuple[float, float],
    clutter: float,
    weights: tuple[float, ...],
    taken: dict[int, list[tuple[float, float]]],
) -> list[Primitive]:
    """Shrubs and parked bicycles (weighed by ``weights``) in the furniture strips, where no other
    furniture stands (``taken``: x intervals per side)."""
    lo, hi = ground.layout.furniture_band
    makers = (_shrub, _bicycles)
    p = np.asarray(weights, dtype=np.float64) / sum(weights)
    items: list[Primitive] = []
    for side in (-1, 1):
        x = x_range[0] + float(rng.uniform(0.0, 15.0))
        while x < x_range[1]:
            maker = makers[int(rng.choice(len(makers), p=p))]
            y = side * float(rng.uniform(lo + 0.35, hi - 0.35))
            placed: list[Primitive] = []
            footprint = maker(ground, rng, x, y, side, placed)
            if not any(x - 0.5 < b and x + footprint + 0.5 > a for a, b in taken[side]):
                items += placed
            x += footprint + float(rng.uniform(6.0, 30.0)) / clutter
    return items


def _base(ground: Ground, x: float, y: float) -> float:
    return float(ground.height(x, y)) - 0.2


def _street_light(
    ground: Ground, rng: np.random.Generator, x: float, y: float, side: int, out: list
) -> float:
    height = float(rng.uniform(6.0, 9.0))
    base = _base(ground, x, y)
    arm = float(rng.uniform(1.2, 2.5))
    out.append(cylinder((x, y, base + height / 2), 0.1, height, POLE, 0.35))
    out.append(box((x, y - side * arm / 2, base + height - 0.1), (0.12, arm, 0.1), POLE, 0.35))
    out.append(box((x, y - side * arm, base + height - 0.2), (0.6, 0.3, 0.15), (230.0, 230.0, 210.0), 0.5))
    return 0.3


def _sign(ground: Ground, rng: np.random.Generator, x: float, y: float, side: int, out: list) -> float:
    height = float(rng.uniform(2.4, 3.0))
    base = _base(ground, x, y)
    out.append(cylinder((x, y, base + height / 2), 0.04, height, POLE, 0.35))
    color = ((200.0, 30.0, 30.0), (30.0, 80.0, 190.0), (240.0, 200.0, 30.0))[int(rng.integers(3))]
    out.append(
        box((x, y, base + height - 0.3), (0.04, 0.6, 0.6), color, 0.9, yaw=float(rng.uniform(-0.3, 0.3)))
    )
    return 0.4


def _tree(ground: Ground, rng: np.random.Generator, x: float, y: float, side: int, out: list) -> float:
    base = _base(ground, x, y)
    radius = float(rng.uniform(1.4, 2.4))
    radius_z = float(rng.uniform(1.5, 2.6))
    crown_base = base + float(rng.uniform(4.9, 6.0))
    out.append(
        cylinder(
            (x, y, (base + crown_base + 0.6) / 2),
            float(rng.uniform(0.1, 0.2)),
            crown_base + 0.6 - base,
            BARK,
            0.3,
        )
    )
    color = tuple(c * float(rng.uniform(0.85, 1.15)) for c in FOLIAGE_COLOR)
    out.append(
        ellipsoid(
            (x, y, crown_base + radius_z),
            (radius, radius, radius_z),
            color,
            0.45,
            porosity=0.4,
            texture=FOLIAGE,
        )
    )
    return 2.0 * radius - 1.0


def _hedge(ground: Ground, rng: np.random.Generator, x: float, y: float, side: int, out: list) -> float:
    length = float(rng.uniform(1.5, 5.0))
    height = float(rng.uniform(0.6, 1.3))
    base = _base(ground, x + length / 2, y)
    color = tuple(c * float(rng.uniform(0.8, 1.1)) for c in FOLIAGE_COLOR)
    radii = (length / 2, 0.45, height / 2 + 0.2)
    out.append(
        ellipsoid((x + length / 2, y, base + radii[2]), radii, color, 0.45, porosity=0.25, texture=FOLIAGE)
    )
    return length


def _bin(ground: Ground, rng: np.random.Generator, x: float, y: float, side: int, out: list) -> float:
    base = _base(ground, x, y)
    color = ((40.0, 90.0, 50.0), (60.0, 60.0, 64.0), (30.0, 60.0, 140.0))[int(rng.integers(3))]
    out.append(box((x, y, base + 0.6), (0.6, 0.6, 1.2), color, 0.3, yaw=float(rng.uniform(-0.4, 0.4))))
    return 0.5


def _pole(ground: Ground, rng: np.random.Generator, x: float, y: float, side: int, out: list) -> float:
    """A bare utility or traffic-light pole."""
    height = float(rng.uniform(4.0, 10.0))
    base = _base(ground, x, y)
    out.append(cylinder((x, y, base + height / 2), float(rng.uniform(0.08, 0.16)), height, POLE, 0.35))
    return 0.3


def _shrub(ground: Ground, rng: np.random.Generator, x: float, y: float, side: int, out: list) -> float:
    """A free-standing shrub or bush: two to four overlapping foliage blobs, 0.5-1.9 m high and up to
    3.5 m across (from a distance, about a car's or a person's size)."""
    lobes = int(rng.integers(2, 5))
    spread = float(rng.uniform(0.3, 1.2))
    color = tuple(c * float(rng.uniform(0.75, 1.15)) for c in FOLIAGE_COLOR)
    reach = 0.0
    for _ in range(lobes):
        dx, dy = rng.uniform(-spread, spread), rng.uniform(-0.4, 0.4) * spread
        rx, ry = float(rng.uniform(0.35, 0.9)), float(rng.uniform(0.35, 0.8))
        rz = float(rng.uniform(0.3, 0.85))
        base = _base(ground, x + dx, y + dy)
        out.append(
            ellipsoid(
                (x + dx, y + dy, base + rz + float(rng.uniform(0.0, 0.15))),
                (rx, ry, rz),
                color,
                0.45,
                porosity=float(rng.uniform(0.1, 0.35)),
                texture=FOLIAGE,
            )
        )
        reach = max(reach, abs(dx) + rx)
    return 2.0 * reach


def _bicycles(ground: Ground, rng: np.random.Generator, x: float, y: float, side: int, out: list) -> float:
    """One to eight bicycles parked side by side across the strip (a rack's rail in front of a row),
    each turned a little and leaning a little."""
    count = int(rng.choice([1, 1, 2, 3, 4, 5, 6, 8]))
    gap = float(rng.uniform(0.5, 0.85))
    colors = ((30.0, 30.0, 34.0), (150.0, 20.0, 20.0), (200.0, 200.0, 205.0), (20.0, 60.0, 140.0))
    for i in range(count):
        length, width, height = rng.uniform(1.65, 1.85), rng.uniform(0.5, 0.65), rng.uniform(0.95, 1.1)
        bx = x + i * gap
        base = _base(ground, bx, y) + 0.2
        yaw = side * np.pi / 2 + float(rng.normal(0.0, 0.12)) + (np.pi if rng.random() < 0.3 else 0.0)
        rotation = rotation_matrix(yaw, 0.0, float(rng.normal(0.0, 0.08)))
        centre = np.array([bx, y, base + height / 2])
        color = colors[int(rng.integers(len(colors)))]
        out += [p.posed(rotation, centre) for p in parked_bicycle((length, width, height), color)]
    if count >= 3:
        base = _base(ground, x, y) + 0.2
        rail_y = y + side * 0.5
        out.append(
            rod(
                (x - 0.3, rail_y, base + 0.7),
                (x + (count - 1) * gap + 0.3, rail_y, base + 0.7),
                0.03,
                POLE,
                0.35,
            )
        )
    return (count - 1) * gap + 0.6


def boundaries(ground: Ground, rng: np.random.Generator, x_range: tuple[float, float]) -> list[Primitive]:
    """Fences, garden walls and hedges along both building lines, in stretches with gaps between them."""
    line = ground.layout.building_line
    items: list[Primitive] = []
    for side in (-1, 1):
        y = side * (line - 0.15)
        x = x_range[0] + float(rng.uniform(0.0, 8.0))
        while x < x_range[1]:
            length = float(rng.uniform(3.0, 18.0))
            kind = int(rng.integers(3))
            centre = x + length / 2
            base = float(ground.height(np.array([x, x + length]), np.array([y, y])).min()) - 0.2
            if kind == 0:  # a fence: see-through mesh between posts
                height = float(rng.uniform(1.0, 2.0))
                colour = ((70.0, 90.0, 70.0), (150.0, 150.0, 150.0), (120.0, 90.0, 60.0))[
                    int(rng.integers(3))
                ]
                items.append(
                    box((centre, y, base + height / 2), (length, 0.05, height), colour, 0.4, porosity=0.6)
                )
                for post in np.arange(x, x + length + 1e-6, 2.5):
                    items.append(box((post, y, base + height / 2), (0.08, 0.08, height), POLE, 0.35))
            elif kind == 1:  # a garden wall of brick or concrete
                height = float(rng.uniform(0.5, 1.8))
                colour = FACADE_COLORS[int(rng.integers(len(FACADE_COLORS)))] * 0.9
                items.append(box((centre, y, base + height / 2), (length, 0.25, height), colour, 0.3))
            else:  # a clipped hedge
                height = float(rng.uniform(0.8, 1.8))
                colour = tuple(c * float(rng.uniform(0.8, 1.1)) for c in FOLIAGE_COLOR)
                items.append(
                    box(
                        (centre, y, base + height / 2),
                        (length, 0.25, height),
                        colour,
                        0.45,
                        porosity=0.2,
                        texture=FOLIAGE,
                    )
                )
            x += length + float(rng.uniform(1.0, 12.0))
    return items


def open_side_streets(
    primitives: list[Primitive], gaps: dict[int, list[tuple[float, float]]], kerb: float
) -> list[Primitive]:
    """The static world with side streets opened beside the road (|y| > ``kerb``): long boxes (buildings,
    walls, fences, hedges) are cut back to the gaps' edges, anything else standing in a gap is removed."""
    kept: list[Primitive] = []
    for p in primitives:
        y = float(p.center[1])
        side_gaps = gaps.get(1 if y > 0 else -1, []) if abs(y) > kerb else []
        x0, x1 = float(p.center[0] - p.half[0]), float(p.center[0] + p.half[0])
        if not any(x0 < hi and x1 > lo for lo, hi in side_gaps):
            kept.append(p)
        elif p.kind == BOX and np.allclose(p.rotation, np.eye(3)) and x1 - x0 > 3.0:
            kept += _cut(p, x0, x1, side_gaps)
    return kept


def _cut(p: Primitive, x0: float, x1: float, gaps: list[tuple[float, float]]) -> list[Primitive]:
    """Pieces (at least 1 m long) of an axis-aligned box outside the x intervals ``gaps``."""
    pieces, start = [], x0
    for lo, hi in sorted(gaps):
        if hi <= start or lo >= x1:
            continue
        if lo - start >= 1.0:
            pieces.append((start, lo))
        start = max(start, hi)
    if x1 - start >= 1.0:
        pieces.append((start, x1))
    return [
        replace(
            p,
            center=np.array([(a + b) / 2, p.center[1], p.center[2]]),
            half=np.array([(b - a) / 2, *p.half[1:]]),
        )
        for a, b in pieces
    ]


def _bollard(ground: Ground, rng: np.random.Generator, x: float, y: float, side: int, out: list) -> float:
    count = int(rng.integers(1, 5))
    for i in range(count):
        base = _base(ground, x + 1.5 * i, y)
        out.append(cylinder((x + 1.5 * i, y, base + 0.5), 0.09, 1.0, (60.0, 60.0, 62.0), 0.6))
    return 1.5 * count
