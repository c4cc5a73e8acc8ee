"""Colour maps for point scalars, as numpy tables and as VTK lookup tables (shared with the colour bar)."""

from __future__ import annotations

import logging

import numpy as np

from annotator.render._vtk import numpy_to_vtk, vtkLookupTable

logger = logging.getLogger(__name__)

# Control points (position 0..1, r, g, b 0..1) of the colour maps; tables interpolate between them.
_CONTROL_POINTS: dict[str, tuple[tuple[float, float, float, float], ...]] = {
    # An approximation of Google's Turbo: dark blue, cyan, green, yellow, red.
    "turbo": (
        (0.00, 0.19, 0.07, 0.23),
        (0.13, 0.27, 0.42, 0.93),
        (0.25, 0.16, 0.73, 0.93),
        (0.38, 0.10, 0.93, 0.65),
        (0.50, 0.45, 1.00, 0.26),
        (0.63, 0.80, 0.93, 0.20),
        (0.75, 0.99, 0.72, 0.19),
        (0.88, 0.93, 0.37, 0.07),
        (1.00, 0.48, 0.02, 0.01),
    ),
    "viridis": (
        (0.00, 0.27, 0.00, 0.33),
        (0.25, 0.23, 0.32, 0.55),
        (0.50, 0.13, 0.57, 0.55),
        (0.75, 0.37, 0.79, 0.38),
        (1.00, 0.99, 0.91, 0.14),
    ),
    "greys": ((0.00, 0.25, 0.25, 0.30), (1.00, 1.00, 1.00, 1.00)),
}

#: The colour map of each scalar colour mode.
COLORMAP_OF_MODE = {"height": "turbo", "intensity": "greys", "distance": "viridis"}


def colormap(name: str, size: int = 256) -> np.ndarray:
    """A colour map as a (size, 3) float table in [0, 1]."""
    points = np.asarray(_CONTROL_POINTS[name])
    positions = np.linspace(0.0, 1.0, size)
    return np.stack([np.interp(positions, points[:, 0], points[:, k]) for k in (1, 2, 3)], axis=1)


def lookup_table(name: str, value_range: tuple[float, float]) -> vtkLookupTable:
    """A VTK lookup table of the colour map ``name`` over ``value_range`` (values outside are clamped)."""
    table = colormap(name)
    rgba = np.empty((len(table), 4), dtype=np.uint8)
    rgba[:, :3] = np.round(table * 255.0)
    rgba[:, 3] = 255
    lut = vtkLookupTable()
    lut.SetNumberOfTableValues(len(table))
    lut.SetTable(numpy_to_vtk(rgba, deep=True))
    lo, hi = value_range
    lut.SetTableRange(float(lo), float(hi) if hi > lo else float(lo) + 1.0)
    return lut


def hex_to_rgb(value: str) -> tuple[int, int, int]:
    """``"#1e2430"`` to (30, 36, 48)."""
    text = value.lstrip("#")
    if len(text) != 6:
        raise ValueError(f"not a #rrggbb colour: {value!r}")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def unit_rgb(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    """An 8-bit colour as floats in [0, 1] (what VTK properties take)."""
    return rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0
