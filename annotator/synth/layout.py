"""The cross-section of a generated street: lanes, bike lanes, parking, kerbs, sidewalks, building lines.

The street runs along the world x axis, its centre line at y = 0; traffic keeps to the right, so lanes
at negative y drive towards +x. Both sides are mirror images of each other.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Strip:
    """A band of the street parallel to x: centre ``y``, ``width``, travel direction (+1, -1 or 0)."""

    role: str  # "traffic", "bike", "parking", "walk", "furniture"
    y: float
    width: float
    direction: int


@dataclass(frozen=True)
class StreetLayout:
    """Widths of the street's bands (metres); everything else is derived from them."""

    lane_width: float = 3.5
    lanes_per_direction: int = 2
    bike_width: float = 1.5
    parking_width: float = 2.4
    sidewalk_width: float = 5.0
    kerb_height: float = 0.15

    @classmethod
    def sample(cls, rng: np.random.Generator) -> StreetLayout:
        """A random but plausible street."""
        return cls(
            lane_width=float(rng.uniform(3.2, 3.7)),
            lanes_per_direction=int(rng.integers(1, 3)),
            bike_width=float(rng.uniform(1.3, 1.8)),
            parking_width=float(rng.uniform(2.3, 2.6)),
            sidewalk_width=float(rng.uniform(4.5, 6.5)),
            kerb_height=float(rng.uniform(0.12, 0.18)),
        )

    @classmethod
    def sample_urban(cls, rng: np.random.Generator) -> StreetLayout:
        """A random city street: often narrow, a bike lane on about half of them, narrower sidewalks."""
        has_bike_lane = rng.random() < 0.5
        return cls(
            lane_width=float(rng.uniform(2.9, 3.6)),
            lanes_per_direction=int(rng.integers(1, 3)),
            bike_width=float(rng.uniform(1.2, 1.7)) if has_bike_lane else 0.0,
            parking_width=float(rng.uniform(2.1, 2.5)),
            sidewalk_width=float(rng.uniform(3.6, 5.5)),
            kerb_height=float(rng.uniform(0.1, 0.18)),
        )

    @property
    def lanes_half_width(self) -> float:
        """|y| of the outer edge of the traffic lanes."""
        return self.lanes_per_direction * self.lane_width

    @property
    def carriageway_half_width(self) -> float:
        """|y| of the outer edge of the bike lanes (where the parking strips begin)."""
        return self.lanes_half_width + self.bike_width

    @property
    def road_half_width(self) -> float:
        """|y| of the kerbs."""
        return self.lanes_half_width + self.bike_width + self.parking_width

    @property
    def building_line(self) -> float:
        """|y| where the sidewalk ends and the buildings may begin."""
        return self.road_half_width + self.sidewalk_width

    @property
    def furniture_band(self) -> tuple[float, float]:
        """|y| range next to the kerb for poles, trees, bins (nobody walks there)."""
        kerb = self.road_half_width
        return kerb + 0.25, kerb + 1.45

    @property
    def walk_band(self) -> tuple[float, float]:
        """|y| range pedestrians walk in."""
        return self.road_half_width + 1.75, self.building_line - 0.35

    def lane_markings(self) -> list[tuple[float, bool]]:
        """Painted lines as (|y|, dashed); the centre line is at 0."""
        lines = [(0.0, False)]
        lines += [(i * self.lane_width, True) for i in range(1, self.lanes_per_direction)]
        lines += [(self.lanes_half_width, False), (self.lanes_half_width + self.bike_width, True)]
        return lines

    def strips(self) -> list[Strip]:
        """All bands of both sides with their travel direction (right-hand traffic)."""
        strips: list[Strip] = []
        for side in (-1, 1):
            direction = -side  # y < 0 drives towards +x
            for i in range(self.lanes_per_direction):
                strips.append(
                    Strip("traffic", side * (i + 0.5) * self.lane_width, self.lane_width, direction)
                )
            bike_y = self.lanes_half_width + self.bike_width / 2.0
            strips.append(Strip("bike", side * bike_y, self.bike_width, direction))
            park_y = self.lanes_half_width + self.bike_width + self.parking_width / 2.0
            strips.append(Strip("parking", side * park_y, self.parking_width, 0))
            lo, hi = self.furniture_band
            strips.append(Strip("furniture", side * (lo + hi) / 2.0, hi - lo, 0))
            lo, hi = self.walk_band
            width = (hi - lo) / 2.0
            strips.append(Strip("walk", side * (lo + width / 2.0), width, 1))
            strips.append(Strip("walk", side * (hi - width / 2.0), width, -1))
        return strips
