"""Cuboids stay visible on the coloured points: no default class is drawn in the colours of the ground."""

from __future__ import annotations

from annotator.core.model.schema import color_distance, default_schema
from annotator.render.colors import colormap

#: Apart enough to tell at a glance (redmean distance).
APART = 100.0


def test_cars_are_not_drawn_in_the_blue_of_the_ground_points() -> None:
    table = colormap("turbo", 256)  # heights: the ground is the lowest quarter
    ground = [tuple(int(v * 255) for v in rgb) for rgb in table[: 256 // 4]]
    car = default_schema().get("Car").color
    assert min(color_distance(car, g) for g in ground) >= APART
