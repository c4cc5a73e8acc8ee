"""Road users: their classes (sizes, where they go, how fast), placement along the street, and motion.

Every strip of the street (lane, bike lane, parking, walkway half) gets one speed, and its occupants are
spaced along x and fit inside the strip, so nobody ever intersects anybody else during a sequence.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from annotator.core.model.schema import default_schema
from annotator.synth.layout import StreetLayout, Strip
from annotator.synth.street import StreetStyle, sample_size, street_style

logger = logging.getLogger(__name__)

DEFAULT_CLASSES = ("Car", "Van", "Truck", "Pedestrian", "Cyclist")
OOD_CLASSES = ("Trailer", "Animal")


@dataclass(frozen=True)
class ClassModel:
    """How a class looks and behaves: mean size and spread (l, w, h), colour, strips it uses (weights)."""

    size: tuple[float, float, float]
    spread: tuple[float, float, float]
    color: tuple[int, int, int]
    strips: dict[str, float]


def class_models() -> dict[str, ClassModel]:
    """The classes the generator knows (the default schema's, with its colours, plus out-of-schema ones)."""
    colors = {c.name: c.color for c in default_schema().classes}
    return {
        "Car": ClassModel(
            (3.9, 1.62, 1.52), (0.3, 0.07, 0.07), colors["Car"], {"traffic": 6.0, "parking": 6.0}
        ),
        "Van": ClassModel(
            (5.0, 1.95, 2.15), (0.35, 0.08, 0.12), colors["Van"], {"traffic": 1.2, "parking": 1.5}
        ),
        "Truck": ClassModel(
            (10.0, 2.5, 3.4), (1.6, 0.06, 0.2), colors["Truck"], {"traffic": 0.7, "parking": 0.4}
        ),
        "Pedestrian": ClassModel((0.8, 0.62, 1.74), (0.1, 0.05, 0.08), colors["Pedestrian"], {"walk": 1.0}),
        "Cyclist": ClassModel((1.78, 0.6, 1.72), (0.07, 0.03, 0.05), colors["Cyclist"], {"bike": 1.0}),
        "Bus": ClassModel(
            (12.0, 2.55, 3.1), (0.4, 0.03, 0.1), (230, 126, 34), {"traffic": 0.35, "parking": 0.1}
        ),
        "Trailer": ClassModel(
            (5.0, 2.1, 2.5), (0.8, 0.08, 0.2), (186, 134, 84), {"parking": 1.0, "traffic": 0.3}
        ),
        "Animal": ClassModel(
            (1.3, 0.36, 1.1), (0.15, 0.03, 0.1), (146, 104, 64), {"walk": 0.6, "parking": 0.2}
        ),
    }


#: Speeds (m/s, low and high) per strip, and the chance a strip stands still (spacing: `StreetStyle`).
SPEEDS = {"traffic": (6.0, 13.0), "walk": (0.9, 1.6), "bike": (3.5, 6.5), "parking": (0.0, 0.0)}
STOPPED = {"traffic": 0.2, "walk": 0.3, "bike": 0.0, "parking": 1.0}


@dataclass(frozen=True)
class Actor:
    """One road user: ``start`` is its bottom-centre (x, y) at time 0, moving at ``velocity`` (m/s, signed)
    along ``course`` (radians from +x: 0 along the street, about +-pi/2 across it)."""

    track_id: int
    label: str
    size: tuple[float, float, float]
    color: tuple[int, int, int]
    start: tuple[float, float]
    yaw: float
    velocity: float
    course: float = 0.0

    def position(self, time: float) -> tuple[float, float]:
        """Bottom-centre (x, y) at ``time`` seconds."""
        travelled = self.velocity * time
        return (
            self.start[0] + travelled * math.cos(self.course),
            self.start[1] + travelled * math.sin(self.course),
        )

    def world_velocity(self) -> tuple[float, float]:
        """Velocity (vx, vy) in m/s."""
        return self.velocity * math.cos(self.course), self.velocity * math.sin(self.course)


def place_actors(
    layout: StreetLayout,
    rng: np.random.Generator,
    classes: tuple[str, ...],
    ood_classes: tuple[str, ...],
    ood_rate: float,
    density: float,
    x_range: tuple[float, float],
    ego: tuple[float, float, float],
    style: StreetStyle | None = None,
) -> list[Actor]:
    """Road users for every strip of the street between ``x_range``; ``ego`` is (x, y, speed) of the ego car.

    ``style`` (default: the classic street) says how they are spaced and sized."""
    style = style or street_style("classic")
    models = class_models()
    unknown = [c for c in (*classes, *ood_classes) if c not in models]
    if unknown:
        raise ValueError(f"unknown object classes {unknown}; known: {sorted(models)}")
    actors: list[Actor] = []
    for strip in layout.strips():
        if strip.role not in style.spacing:
            continue
        is_ego_lane = strip.role == "traffic" and abs(strip.y - ego[1]) < strip.width / 2
        speed = _strip_speed(strip, rng, ego[2] if is_ego_lane else None)
        weights = _class_weights(models, strip.role, classes, ood_classes, ood_rate)
        if not weights:
            continue
        keep_clear = (ego[0] - 7.0, ego[0] + 7.0) if is_ego_lane else None
        actors += _fill_strip(
            strip, speed, weights, models, rng, density, x_range, keep_clear, len(actors), style
        )
    logger.debug("placed %d actors", len(actors))
    return actors


def _strip_speed(strip: Strip, rng: np.random.Generator, ego_speed: float | None) -> float:
    if ego_speed is not None:
        return ego_speed
    if rng.random() < STOPPED[strip.role]:
        return 0.0
    return float(rng.uniform(*SPEEDS[strip.role]))


def _class_weights(
    models: dict[str, ClassModel], role: str, classes: tuple[str, ...], ood: tuple[str, ...], ood_rate: float
) -> dict[str, float]:
    normal = {c: models[c].strips[role] for c in classes if role in models[c].strips}
    unusual = {c: models[c].strips[role] for c in ood if role in models[c].strips}
    if not unusual:
        return normal
    if not normal:
        return unusual
    total, total_ood = sum(normal.values()), sum(unusual.values())
    weights = {c: w * (1.0 - ood_rate) / total for c, w in normal.items()}
    weights.update({c: w * ood_rate / total_ood for c, w in unusual.items()})
    return weights


def _sample_size(model: ClassModel, rng: np.random.Generator) -> tuple[float, float, float]:
    noise = np.clip(rng.standard_normal(3), -2.0, 2.0)
    return tuple(float(m + s * n) for m, s, n in zip(model.size, model.spread, noise))  # type: ignore[return-value]


def _fill_strip(
    strip: Strip,
    speed: float,
    weights: dict[str, float],
    models: dict[str, ClassModel],
    rng: np.random.Generator,
    density: float,
    x_range: tuple[float, float],
    keep_clear: tuple[float, float] | None,
    first_id: int,
    style: StreetStyle,
) -> list[Actor]:
    """Occupants of one strip, spaced along x, each fitting inside the strip's width."""
    names = list(weights)
    probabilities = np.array([weights[n] for n in names])
    probabilities /= probabilities.sum()
    direction = strip.direction if strip.direction else (1 if strip.y < 0 else -1)
    spacing = style.spacing[strip.role]
    actors: list[Actor] = []
    x = x_range[0] + rng.uniform(0.0, spacing.far[1]) / max(density, 1e-3)
    while x < x_range[1]:
        label = names[int(rng.choice(len(names), p=probabilities))]
        variants = style.sizes.get(label)
        size = sample_size(variants, rng) if variants else _sample_size(models[label], rng)
        standing = speed == 0.0 and strip.role == "walk"
        yaw = float(rng.uniform(-math.pi, math.pi)) if standing else (0.0 if direction > 0 else math.pi)
        if strip.role == "parking":
            yaw += float(rng.normal(0.0, 0.03))
        c, s = abs(math.cos(yaw)), abs(math.sin(yaw))
        half_x = size[0] / 2 * c + size[1] / 2 * s
        half_y = size[0] / 2 * s + size[1] / 2 * c
        room = strip.width / 2 - 0.05 - half_y
        centre = x + half_x
        blocked = (
            keep_clear is not None and centre + half_x > keep_clear[0] and centre - half_x < keep_clear[1]
        )
        if room >= 0 and not blocked:
            offset = float(rng.uniform(-min(room, 0.3), min(room, 0.3)))
            if strip.role == "parking":  # parked close to the kerb
                offset = math.copysign(room, strip.y) - math.copysign(
                    float(rng.uniform(0, min(room, 0.15))), strip.y
                )
            velocity = speed * direction
            actors.append(
                Actor(
                    first_id + len(actors),
                    label,
                    size,
                    models[label].color,
                    (centre, strip.y + offset),
                    yaw,
                    velocity,
                )
            )
            x = centre + half_x
        elif blocked:
            x = keep_clear[1]  # type: ignore[index]
        x += spacing.sample(rng) / max(density, 1e-3)
    return actors
