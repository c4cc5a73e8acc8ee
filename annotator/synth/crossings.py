"""People crossing the road: groups on crosswalks, walking across the street in front of or behind the ego car.

Everybody `place_actors` puts on the walkways heads along the street, so in a sensor's view a walker ahead
is almost always seen end-on, his stride along the line of sight. Real sequences also show walkers side-on,
crossing in front of a car waiting at a crossing (KITTI frame 000000's walker, 8 m ahead, his 1.2 m stride
across the view). A street style with ``crossing_spacing`` gets crosswalks about that many metres apart,
across the lanes and bike lanes (the parked cars along the kerb stay: people step out between them); the
vehicles and cyclists on a crosswalk at time 0 are taken away, and the crosswalk keeps clear of the ego
car's own path.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from annotator.synth.actors import SPEEDS, Actor, class_models
from annotator.synth.layout import StreetLayout
from annotator.synth.street import StreetStyle, sample_size

logger = logging.getLogger(__name__)

#: Half the extent (m) of a crosswalk along the street.
HALF_WIDTH = 1.5
#: How far (m) a crosswalk keeps from the ego car's path, ahead of its first and behind its last position.
EGO_CLEARANCE = 5.0
#: Mean number of people on a crosswalk besides the first.
GROUP_EXTRA = 1.8
#: Spread (radians) of a crossing walker's heading about straight across the street.
COURSE_SPREAD = 0.2


@dataclass(frozen=True)
class Crosswalk:
    """A band across the road at ``x`` (its centre), ``HALF_WIDTH`` either side."""

    x: float

    def covers(self, actor: Actor, margin: float = 0.5) -> bool:
        """Whether ``actor`` stands on this crosswalk at time 0 (with ``margin`` m to spare)."""
        half = max(actor.size[0], actor.size[1]) / 2 + margin
        return abs(actor.start[0] - self.x) < HALF_WIDTH + half


def crosswalks(
    style: StreetStyle, rng: np.random.Generator, x_range: tuple[float, float], ego_path: tuple[float, float]
) -> list[Crosswalk]:
    """Crosswalks between ``x_range``, about ``style.crossing_spacing`` m apart, none within
    `EGO_CLEARANCE` of ``ego_path`` (the ego car's x from the first frame to the last)."""
    if style.crossing_spacing <= 0:
        return []
    walks: list[Crosswalk] = []
    x = x_range[0] + float(rng.uniform(0.0, style.crossing_spacing))
    while x < x_range[1]:
        if not ego_path[0] - EGO_CLEARANCE - HALF_WIDTH < x < ego_path[1] + EGO_CLEARANCE + HALF_WIDTH:
            walks.append(Crosswalk(x))
        x += float(rng.exponential(style.crossing_spacing))
    return walks


def place_crossers(
    layout: StreetLayout,
    style: StreetStyle,
    rng: np.random.Generator,
    walks: list[Crosswalk],
    first_id: int,
) -> list[Actor]:
    """Pedestrians on ``walks``: a group each (1 + Poisson(`GROUP_EXTRA`)), anywhere on the carriageway,
    each walking straight across (either way, heading within `COURSE_SPREAD` of it) at a walking speed; ids
    count from ``first_id``."""
    model = class_models()["Pedestrian"]
    variants = style.sizes.get("Pedestrian")
    kerb = layout.carriageway_half_width
    crossers: list[Actor] = []
    for walk in walks:
        group_direction = 1.0 if rng.random() < 0.5 else -1.0
        for _ in range(1 + int(rng.poisson(GROUP_EXTRA))):
            size = sample_size(variants, rng) if variants else model.size
            direction = group_direction if rng.random() < 0.75 else -group_direction
            course = direction * math.pi / 2 + float(rng.normal(0.0, COURSE_SPREAD))
            start = (walk.x + float(rng.uniform(-HALF_WIDTH, HALF_WIDTH)), float(rng.uniform(-kerb, kerb)))
            if any(math.dist(start, other.start) < 0.8 for other in crossers):
                continue
            speed = float(rng.uniform(*SPEEDS["walk"]))
            crossers.append(
                Actor(first_id + len(crossers), "Pedestrian", size, model.color, start, course, speed, course)
            )
    logger.debug("%d crosswalks, %d people crossing", len(walks), len(crossers))
    return crossers


def clear_crosswalks(actors: list[Actor], walks: list[Crosswalk], layout: StreetLayout) -> list[Actor]:
    """``actors`` without the vehicles and cyclists on a crosswalk at time 0 (parking and walkways stay)."""
    carriageway = layout.carriageway_half_width
    return [a for a in actors if abs(a.start[1]) > carriageway or not any(w.covers(a) for w in walks)]
