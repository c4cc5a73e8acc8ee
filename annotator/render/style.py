"""How points and helpers are displayed: one immutable value shared by every view."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from annotator.render.cloud import DEFAULT_LOD_BUDGET

logger = logging.getLogger(__name__)

#: Background colours offered in the View menu (RGB 0-255).
BACKGROUNDS: dict[str, tuple[int, int, int]] = {
    "dark": (26, 28, 34),
    "black": (0, 0, 0),
    "grey": (70, 72, 78),
    "white": (250, 250, 250),
}

POINT_SIZES = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)


@dataclass(frozen=True)
class DisplayOptions:
    """Point colouring, point size, background and which helpers are shown."""

    color_mode: str = "height"
    point_size: float = 2.0
    background: str = "dark"
    highlight_inside: bool = True
    show_grid: bool = True
    show_rings: bool = False
    show_labels: bool = True
    show_color_bar: bool = True
    lod_budget: int = DEFAULT_LOD_BUDGET

    @property
    def background_rgb(self) -> tuple[int, int, int]:
        """The background as RGB 0-255."""
        return BACKGROUNDS.get(self.background, BACKGROUNDS["dark"])
