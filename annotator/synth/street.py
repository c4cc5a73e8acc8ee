"""What a street holds, by style: how road users are spaced per strip, their size mixtures, the slopes.

``classic`` is the original generator (evenly spread parking, one size model per class); ``urban`` is
what real streets hold: cars packed along the kerbs (gaps under a metre, runs broken by driveways),
pedestrians in groups, vehicles drawn from mixtures of real body types (compact, saloon, SUV; minivan,
panel van; box truck, lorry, articulated lorry; city bus), boundaries (fences, walls, hedges) along the
building line, more trees and poles, steeper slopes, often narrow streets (`StreetLayout.sample_urban`),
side streets opening between the buildings (nothing built or parked across their mouths), people crossing
the road on crosswalks (`annotator.synth.crossings`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

Size = tuple[float, float, float]


@dataclass(frozen=True)
class Spacing:
    """Free space (m) after each occupant of a strip: ``near`` (lo, hi) usually, ``far`` (lo, hi) with
    probability ``far_chance`` (the end of a run of parked cars, or of a group of pedestrians)."""

    near: tuple[float, float]
    far: tuple[float, float]
    far_chance: float = 0.0

    def sample(self, rng: np.random.Generator) -> float:
        """One gap (the classic style draws exactly one uniform number)."""
        if self.far_chance > 0.0 and rng.random() < self.far_chance:
            return float(rng.uniform(*self.far))
        return float(rng.uniform(*self.near))


@dataclass(frozen=True)
class SizeVariant:
    """One body type of a class: its share, mean size (l, w, h) and standard deviation."""

    weight: float
    size: Size
    spread: Size


@dataclass(frozen=True)
class StreetStyle:
    """The knobs of a street style (see the module docstring)."""

    name: str
    spacing: dict[str, Spacing]
    sizes: dict[str, tuple[SizeVariant, ...]]
    max_slope: float = 0.03
    boundaries: bool = False
    narrow: bool = False
    side_street_spacing: float = 0.0  # mean metres between side streets on each side (0: none)
    crossing_spacing: float = 0.0  # mean metres between crosswalks with people crossing (0: none)
    furniture_weights: tuple[float, ...] = (1.0, 1.0, 2.0, 1.0, 1.0, 1.0, 0.0)
    clutter_weights: tuple[float, ...] = (0.0, 0.0)  # shrubs, parked bicycles (see `static.furniture`)


def _classic() -> StreetStyle:
    spacing = {
        "traffic": Spacing((7.0, 40.0), (7.0, 40.0)),
        "parking": Spacing((0.7, 6.0), (0.7, 6.0)),
        "walk": Spacing((3.0, 24.0), (3.0, 24.0)),
        "bike": Spacing((12.0, 45.0), (12.0, 45.0)),
    }
    return StreetStyle("classic", spacing, {})


def _urban() -> StreetStyle:
    spacing = {
        "traffic": Spacing((6.0, 35.0), (6.0, 35.0)),
        "parking": Spacing((0.3, 1.0), (3.0, 25.0), far_chance=0.2),
        "walk": Spacing((0.05, 0.5), (4.0, 30.0), far_chance=0.5),
        "bike": Spacing((10.0, 40.0), (10.0, 40.0)),
    }
    sizes = {
        # today's fleets are SUV-heavy: the labelled cars of the Argoverse log (US) and of SUSTechPOINTS
        # (China) are 1.69-1.71 m high (median), KITTI's (Germany, 2011) 1.53 (benchmarks/synth_vs_real.py)
        "Car": (
            SizeVariant(0.28, (4.1, 1.75, 1.47), (0.25, 0.06, 0.05)),  # compact / hatchback
            SizeVariant(0.17, (4.75, 1.83, 1.45), (0.2, 0.05, 0.05)),  # saloon / estate
            SizeVariant(0.4, (4.7, 1.9, 1.72), (0.25, 0.06, 0.08)),  # SUV / crossover
            SizeVariant(0.15, (5.4, 2.0, 1.88), (0.3, 0.05, 0.08)),  # pickup / full-size SUV
        ),
        # people mid-gait: the box runs from heel to toe of the stride (`shapes.pedestrian` spreads the legs
        # over the length), as KITTI labels them (0.84 x 0.66 mean, a walker crossing frame 000000 1.2 m
        # long); Argoverse and SUSTechPOINTS draw about 0.6 m along the heading, 0.7-0.9 m across
        "Pedestrian": (
            SizeVariant(0.35, (0.56, 0.68, 1.74), (0.05, 0.06, 0.08)),  # standing, short step
            SizeVariant(0.45, (0.76, 0.7, 1.76), (0.07, 0.06, 0.08)),  # walking
            SizeVariant(0.2, (1.0, 0.68, 1.76), (0.1, 0.06, 0.08)),  # long stride, legs wide apart
        ),
        "Van": (
            SizeVariant(0.4, (5.05, 1.95, 1.8), (0.2, 0.05, 0.08)),  # minivan
            SizeVariant(0.6, (5.6, 2.0, 2.4), (0.4, 0.06, 0.15)),  # panel van
        ),
        "Truck": (
            SizeVariant(0.55, (7.5, 2.45, 3.3), (0.8, 0.05, 0.2)),  # box truck
            SizeVariant(0.35, (10.5, 2.5, 3.6), (1.2, 0.04, 0.2)),  # rigid lorry
            SizeVariant(0.1, (15.5, 2.55, 3.9), (1.0, 0.03, 0.1)),  # articulated lorry
        ),
        "Bus": (
            SizeVariant(0.75, (12.0, 2.55, 3.1), (0.3, 0.03, 0.1)),  # city bus
            SizeVariant(0.25, (9.5, 2.45, 3.0), (0.5, 0.04, 0.1)),  # midibus
        ),
    }
    # street light, sign, tree, hedge, bin, bollard, pole
    furniture = (1.0, 1.0, 3.0, 1.0, 0.7, 0.7, 1.0)
    return StreetStyle(
        "urban",
        spacing,
        sizes,
        0.06,
        True,
        True,
        110.0,
        crossing_spacing=30.0,
        furniture_weights=furniture,
        clutter_weights=(1.5, 1.0),
    )


STYLES = {"classic": _classic, "urban": _urban}


def street_style(name: str) -> StreetStyle:
    """The `StreetStyle` of a street name (``classic`` or ``urban``)."""
    maker = STYLES.get(name)
    if maker is None:
        raise ValueError(f"unknown street {name!r}; known: {', '.join(STYLES)}")
    return maker()


def side_streets(
    style: StreetStyle, rng: np.random.Generator, x_range: tuple[float, float]
) -> dict[int, list[tuple[float, float]]]:
    """Per side of the street (-1, 1), the x intervals where side streets open (none for a style without)."""
    gaps: dict[int, list[tuple[float, float]]] = {-1: [], 1: []}
    if style.side_street_spacing <= 0:
        return gaps
    for side in (-1, 1):
        x = x_range[0] + float(rng.uniform(0.0, style.side_street_spacing))
        while x < x_range[1]:
            width = float(rng.uniform(9.0, 18.0))
            gaps[side].append((x, x + width))
            x += width + float(rng.exponential(style.side_street_spacing))
    return gaps


def in_gap(x0: float, x1: float, gaps: list[tuple[float, float]]) -> bool:
    """Whether the x interval [x0, x1] overlaps any of ``gaps``."""
    return any(x0 < hi and x1 > lo for lo, hi in gaps)


def sample_size(variants: tuple[SizeVariant, ...], rng: np.random.Generator) -> tuple[float, float, float]:
    """A size drawn from a mixture of body types (each within two standard deviations of its mean)."""
    weights = np.array([v.weight for v in variants])
    variant = variants[int(rng.choice(len(variants), p=weights / weights.sum()))]
    noise = np.clip(rng.standard_normal(3), -2.0, 2.0)
    return tuple(float(m + s * n) for m, s, n in zip(variant.size, variant.spread, noise))  # type: ignore[return-value]
