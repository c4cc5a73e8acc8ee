"""A small ray-cast street scene with known boxes, for the plugin's tests, benchmark and demos.

A 64-ring spinning LiDAR at 1.73 m (KITTI-like: about 120k points with the default 1,900 columns) sees a
sloped, bumpy ground with cars, vans, trucks, pedestrians and cyclists (as boxes) standing on it, plus
clutter the detector must ignore: walls, poles and trees. Occlusion is exact; points carry 1 cm noise.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid

logger = logging.getLogger(__name__)

SENSOR_HEIGHT = 1.73
#: Size ranges (l, w, h) low and high of the object classes drawn into scenes.
SIZES = {
    "Car": ((3.6, 1.6, 1.4), (4.8, 1.9, 1.65)),
    "Van": ((4.6, 1.9, 1.95), (5.6, 2.1, 2.5)),
    "Truck": ((7.0, 2.4, 2.9), (11.0, 2.6, 3.6)),
    "Pedestrian": ((0.5, 0.5, 1.55), (0.9, 0.7, 1.9)),
    "Cyclist": ((1.6, 0.5, 1.55), (1.9, 0.7, 1.85)),
}
#: Solid parts of each class as (bottom-centre offset, size), both as shares of the box's (l, w, h).
PARTS = {
    "Car": (((0.0, 0.0, 0.08), (1.0, 1.0, 0.5)), ((-0.05, 0.0, 0.58), (0.55, 0.9, 0.42))),
    "Van": (((0.0, 0.0, 0.07), (1.0, 1.0, 0.45)), ((-0.07, 0.0, 0.52), (0.86, 1.0, 0.48))),
    "Truck": (
        ((0.4, 0.0, 0.1), (0.2, 1.0, 0.75)),  # cab
        ((-0.1, 0.0, 0.34), (0.78, 1.0, 0.66)),  # cargo box over a gap
        ((0.36, 0.0, 0.0), (0.1, 1.0, 0.3)),  # wheels
        ((-0.25, 0.0, 0.0), (0.1, 1.0, 0.3)),
        ((-0.38, 0.0, 0.0), (0.1, 1.0, 0.3)),
    ),
    "Pedestrian": (((0.0, 0.0, 0.0), (0.6, 0.7, 0.5)), ((0.0, 0.0, 0.5), (1.0, 1.0, 0.5))),
    "Cyclist": (((0.0, 0.0, 0.05), (1.0, 0.3, 0.5)), ((-0.08, 0.0, 0.55), (0.35, 1.0, 0.45))),
}


@dataclass(frozen=True)
class Terrain:
    """Ground height ``z = offset + slope . (x, y) + sum of cosine bumps``; bump rows are (amplitude, kx, ky)."""

    slope: tuple[float, float]
    bumps: np.ndarray
    offset: float = 0.0

    def height(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Ground height at (x, y)."""
        z = self.offset + self.slope[0] * np.asarray(x) + self.slope[1] * np.asarray(y)
        for amplitude, kx, ky in self.bumps:
            z = z + amplitude * np.cos(kx * x + ky * y)
        return z


@dataclass
class DemoScene:
    """Points (N, 4) float32 x, y, z, intensity; ground-truth boxes with class names; clutter boxes."""

    points: np.ndarray
    boxes: list[Cuboid]
    labels: list[str]
    clutter: list[Cuboid]
    terrain: Terrain


def _box_hits(box: Cuboid, origin: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Entry distance of each ray into the box (inf when it misses), by the slab method."""
    rotation = box.rotation
    o = (origin - np.asarray(box.center)) @ rotation
    d = directions @ rotation
    half = np.asarray(box.size) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        t1, t2 = (-half - o) / d, (half - o) / d
    near = np.nanmax(np.minimum(t1, t2), axis=1)
    far = np.nanmin(np.maximum(t1, t2), axis=1)
    return np.where((near <= far) & (near > 0), near, np.inf)


def _ground_hits(terrain: Terrain, origin: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Distance along each ray to the ground (inf for rays going up), by fixed-point iteration."""
    a, b = terrain.slope
    rate = directions[:, 2] - a * directions[:, 0] - b * directions[:, 1]
    plane_at_origin = terrain.offset + a * origin[0] + b * origin[1]
    down = rate < -1e-3
    t = np.full(len(directions), np.inf)
    t_down = np.zeros(int(down.sum()))
    d = directions[down]
    for _ in range(6):
        x, y = origin[0] + t_down * d[:, 0], origin[1] + t_down * d[:, 1]
        bumps = terrain.height(x, y) - terrain.offset - a * x - b * y
        t_down = (bumps + plane_at_origin - origin[2]) / rate[down]
    t[down] = t_down
    return t


def _place(rng: np.random.Generator, terrain: Terrain, taken: list[Cuboid], name: str) -> Cuboid | None:
    """A box of class ``name`` at a free random spot (lanes for vehicles, sidewalks for people)."""
    low, high = (np.array(v) for v in SIZES[name])
    size = rng.uniform(low, high)
    for _ in range(30):
        if name in ("Pedestrian", "Cyclist"):
            x, y = rng.uniform(-35, 35), rng.choice([-1, 1]) * rng.uniform(6.5, 10.0)
            yaw = rng.uniform(-math.pi, math.pi)
        else:
            x, y = rng.uniform(-45, 45), rng.choice([-5.5, -2.0, 2.0, 5.5]) + rng.normal(0, 0.3)
            yaw = rng.choice([0.0, math.pi]) + rng.normal(0, 0.15)
        if math.hypot(x, y) < 4.0:
            continue
        z = float(terrain.height(np.array(x), np.array(y))) + size[2] / 2.0
        box = Cuboid((x, y, z), tuple(size), yaw)
        grown = box.replace(size=(size[0] + 1.0, size[1] + 1.0, size[2]))
        if all(math.hypot(x - t.center[0], y - t.center[1]) > _radius(grown) + _radius(t) for t in taken):
            return box
    return None


def _parts(box: Cuboid, name: str) -> list[Cuboid]:
    """The solid parts a class's box is made of (a car's body and cabin, a bike and its rider)."""
    size = np.asarray(box.size)
    bottom = np.asarray(box.center) - [0.0, 0.0, size[2] / 2.0]
    rotation = box.rotation
    parts = []
    for offset, share in PARTS[name]:
        part_size = size * np.asarray(share)
        local = size * np.asarray(offset) + [0.0, 0.0, part_size[2] / 2.0]
        parts.append(Cuboid(tuple(bottom + rotation @ local), tuple(part_size), box.yaw))
    return parts


def _radius(box: Cuboid) -> float:
    """Radius of the circle around a box's footprint."""
    return math.hypot(box.size[0], box.size[1]) / 2.0


def _clutter(rng: np.random.Generator, terrain: Terrain) -> list[Cuboid]:
    """Walls along the street, poles at the kerbs and trees (trunk plus canopy)."""
    boxes = []
    for side in (-1, 1):
        wall_y = side * rng.uniform(12.0, 14.0)
        for x0 in np.arange(-50.0, 50.0, 20.0):
            z = float(terrain.height(np.array(x0 + 9.0), np.array(wall_y)))
            boxes.append(Cuboid((x0 + 9.0, wall_y, z + 1.5), (18.0, 0.4, 4.0), 0.0))
        for x in np.arange(-40.0, 40.0, 16.0) + rng.uniform(0, 8.0):
            y = side * rng.uniform(10.8, 11.5)
            base = float(terrain.height(np.array(x), np.array(y)))
            boxes.append(Cuboid((x, y, base + 3.0), (0.2, 0.2, 6.0), 0.0))
            if rng.random() < 0.5:
                boxes.append(Cuboid((x, y, base + 5.0), (3.5, 3.5, 2.5), rng.uniform(0, 1.5)))
    return boxes


def make_scene(
    seed: int = 0,
    counts: dict[str, int] | None = None,
    rings: int = 64,
    columns: int = 1900,
    slope: tuple[float, float] = (0.03, -0.02),
    bumpiness: float = 0.05,
    clutter: bool = True,
) -> DemoScene:
    """Ray-cast one scene; ``counts`` says how many objects of each class to place."""
    rng = np.random.default_rng(seed)
    counts = counts or {"Car": 12, "Van": 2, "Truck": 1, "Pedestrian": 4, "Cyclist": 2}
    k = 2.0 * np.pi / rng.uniform(8.0, 30.0, 3)
    heading = rng.uniform(0, np.pi, 3)
    bumps = np.column_stack([np.full(3, bumpiness / 3.0), k * np.cos(heading), k * np.sin(heading)])
    # The sensor frame: the scanner at the origin, SENSOR_HEIGHT above the ground under it.
    offset = -SENSOR_HEIGHT - float(Terrain(slope, bumps).height(np.array(0.0), np.array(0.0)))
    terrain = Terrain(slope, bumps, offset)
    boxes: list[Cuboid] = []
    labels: list[str] = []
    for name, count in counts.items():
        for _ in range(count):
            box = _place(rng, terrain, boxes, name)
            if box is not None:
                boxes.append(box)
                labels.append(name)
    extra = _clutter(rng, terrain) if clutter else []
    elevation = np.radians(np.linspace(-24.8, 2.0, rings))
    azimuth = np.linspace(-np.pi, np.pi, columns, endpoint=False)
    el, az = (a.reshape(-1) for a in np.meshgrid(elevation, azimuth, indexing="ij"))
    directions = np.column_stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
    origin = np.zeros(3)
    t = _ground_hits(terrain, origin, directions)
    solids = [part for box, name in zip(boxes, labels) for part in _parts(box, name)] + extra
    for box in solids:
        t = np.minimum(t, _box_hits(box, origin, directions))
    hit = t < 100.0
    t = t[hit] + rng.normal(0.0, 0.01, int(hit.sum()))
    xyz = directions[hit] * t[:, None]
    intensity = rng.uniform(0.0, 1.0, len(xyz))
    points = np.column_stack([xyz, intensity]).astype(np.float32)
    return DemoScene(points, boxes, labels, extra, terrain)
