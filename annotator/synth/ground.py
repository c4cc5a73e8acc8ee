"""The ground surface: a height field with a gentle slope, low bumps, a road crown and kerbs.

``z = slope . (x, y) + bumps(x, y) + crown(y) + kerb(y)`` in the world frame. Rays are intersected by
marching between two bounding planes and refining the first crossing by bisection and a final secant
step (exact to about a centimetre).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from annotator.synth.layout import StreetLayout

logger = logging.getLogger(__name__)

#: Width (m) over which a kerb rises.
KERB_RAMP = 0.08

ASPHALT = (np.array([78.0, 78.0, 84.0]), 0.10)
MARKING = (np.array([228.0, 228.0, 218.0]), 0.55)
PAVING = (np.array([168.0, 164.0, 156.0]), 0.28)
KERB_STONE = (np.array([190.0, 190.0, 186.0]), 0.32)
VERGE = (np.array([96.0, 122.0, 66.0]), 0.42)


def hash_noise(x: np.ndarray, y: np.ndarray, scale: float) -> np.ndarray:
    """Deterministic white-ish noise in [0, 1) on a ``scale``-metre lattice of the ground plane."""
    cx = np.floor(x / scale)
    cy = np.floor(y / scale)
    value = np.sin(cx * 12.9898 + cy * 78.233) * 43758.5453
    return value - np.floor(value)


@dataclass(frozen=True)
class Ground:
    """Height field of the street. ``waves`` rows are (amplitude, kx, ky, phase) of cosine bumps."""

    layout: StreetLayout
    slope: tuple[float, float] = (0.0, 0.0)
    waves: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    crown: float = 0.01

    @classmethod
    def sample(
        cls, layout: StreetLayout, rng: np.random.Generator, bumpiness: float = 1.0, max_slope: float = 0.03
    ) -> Ground:
        """A random sloped (up to ``max_slope`` along the street), slightly bumpy street surface."""
        count = 4
        amplitude = rng.uniform(0.01, 0.035, count) * bumpiness
        wavelength = rng.uniform(9.0, 40.0, count)
        heading = rng.uniform(0.0, np.pi, count)
        k = 2.0 * np.pi / wavelength
        waves = np.column_stack(
            [amplitude, k * np.cos(heading), k * np.sin(heading), rng.uniform(0, 2 * np.pi, count)]
        )
        slope = (float(rng.uniform(-max_slope, max_slope)), float(rng.uniform(-0.008, 0.008)))
        return cls(layout, slope, waves, float(rng.uniform(0.006, 0.014)))

    # -- height and slope ------------------------------------------------------------------------------
    def _bounds(self) -> tuple[float, float]:
        """Lowest and highest value of the non-planar part of the height."""
        bumps = float(np.abs(self.waves[:, 0]).sum())
        drop = self.crown * self.layout.road_half_width
        return -bumps - drop, bumps + self.layout.kerb_height

    def _profile(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Crown + kerb height across the street and its derivative along y."""
        half = self.layout.road_half_width
        ay = np.abs(y)
        inside = np.minimum(ay, half)
        height = -self.crown * inside * inside / half
        slope = np.where(ay < half, -2.0 * self.crown * inside / half, 0.0)
        u = np.clip((ay - half) / KERB_RAMP, 0.0, 1.0)
        height = height + self.layout.kerb_height * u * u * (3.0 - 2.0 * u)
        slope = slope + self.layout.kerb_height * 6.0 * u * (1.0 - u) / KERB_RAMP
        return height, slope * np.sign(y)

    def height(self, x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
        """Ground height z at world (x, y) (arrays broadcast)."""
        x, y = np.asarray(x), np.asarray(y)
        z = self.slope[0] * x + self.slope[1] * y + self._profile(y)[0]
        for amplitude, kx, ky, phase in self.waves:
            z = z + amplitude * np.cos(kx * x + ky * y + phase)
        return z

    def normal(self, x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
        """Upward unit normals (..., 3) of the ground at world (x, y)."""
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        gx = np.full(np.broadcast(x, y).shape, self.slope[0])
        gy = self.slope[1] + self._profile(y)[1]
        for amplitude, kx, ky, phase in self.waves:
            s = -amplitude * np.sin(kx * x + ky * y + phase)
            gx = gx + s * kx
            gy = gy + s * ky
        n = np.stack(np.broadcast_arrays(-gx, -gy, np.ones_like(gx)), axis=-1)
        return n / np.linalg.norm(n, axis=-1, keepdims=True)

    # -- rays -------------------------------------------------------------------------------------------
    def intersect(
        self,
        origin: np.ndarray,
        directions: np.ndarray,
        limit: np.ndarray,
        steps: int = 8,
        bisections: int = 4,
    ) -> np.ndarray:
        """Distance (M,) along each ray from ``origin`` (3,) or per-ray origins (M, 3) to the ground, ``inf``
        when beyond ``limit``."""
        d = directions
        shared = np.ndim(origin) == 1
        ox, oy, oz = (float(v) for v in origin) if shared else np.asarray(origin, dtype=d.dtype).T
        sx, sy = self.slope
        low, high = self._bounds()
        above = oz - (sx * ox + sy * oy)  # height of the origin above the tilted plane
        descent = d[:, 2] - sx * d[:, 0] - sy * d[:, 1]
        result = np.full(len(d), np.inf, dtype=d.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_lo = np.maximum((high - above) / descent, 0.0)
            t_hi = (low - above) / descent
        active = np.flatnonzero((descent < 0) & (t_lo < limit))
        if len(active) == 0:
            return result
        t_lo, t_hi = t_lo[active], np.minimum(t_hi[active], limit[active])
        dx, dy, dz = d[active, 0], d[active, 1], d[active, 2]
        if not shared:
            ox, oy, oz = ox[active], oy[active], oz[active]

        def at(values: np.ndarray | float, rows: np.ndarray) -> np.ndarray | float:
            return values if shared else values[rows]  # type: ignore[index]

        def gap(rows: np.ndarray, t: np.ndarray) -> np.ndarray:  # ray height above ground
            return (
                at(oz, rows)
                + t * dz[rows]
                - self.height(at(ox, rows) + t * dx[rows], at(oy, rows) + t * dy[rows])
            )

        lo_t = t_lo.copy()
        lo_f = gap(np.arange(len(active)), lo_t)
        hi_t = np.full_like(lo_t, np.nan)
        hi_f = np.zeros_like(lo_t)
        open_rows = np.arange(len(active))
        step = (t_hi - t_lo) / steps
        for k in range(1, steps + 1):
            t = t_lo[open_rows] + step[open_rows] * k
            f = gap(open_rows, t)
            crossed = f <= 0
            done = open_rows[crossed]
            hi_t[done], hi_f[done] = t[crossed], f[crossed]
            keep = ~crossed
            open_rows = open_rows[keep]
            lo_t[open_rows], lo_f[open_rows] = t[keep], f[keep]
            if len(open_rows) == 0:
                break
        found = np.flatnonzero(np.isfinite(hi_t))
        lo_t, lo_f, hi_t, hi_f = lo_t[found], lo_f[found], hi_t[found], hi_f[found]
        for _ in range(bisections):
            mid = 0.5 * (lo_t + hi_t)
            f = gap(found, mid)
            below = f <= 0
            hi_t, hi_f = np.where(below, mid, hi_t), np.where(below, f, hi_f)
            lo_t, lo_f = np.where(below, lo_t, mid), np.where(below, lo_f, f)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(lo_f - hi_f > 0, lo_f / (lo_f - hi_f), 0.5)
        result[active[found]] = lo_t + (hi_t - lo_t) * share
        return result

    # -- surface ----------------------------------------------------------------------------------------
    def material(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Colour (M, 3) float RGB and LiDAR reflectivity (M,) of the ground at world (x, y)."""
        layout = self.layout
        ay = np.abs(y)
        kerb = layout.road_half_width
        choice = np.zeros(len(x), dtype=np.int8)  # 0 asphalt, 1 marking, 2 paving, 3 kerb, 4 verge
        for line_y, dashed in layout.lane_markings():
            on_line = np.abs(ay - line_y) < (0.2 if line_y == 0 else 0.075)
            if line_y == 0:
                on_line &= ay > 0.06  # a double centre line
            if dashed:
                on_line &= np.mod(x, 9.0) < 3.0
            choice[on_line] = 1
        choice[ay >= kerb] = 2
        choice[(ay >= kerb) & (ay < kerb + 0.18)] = 3
        lo, hi = layout.furniture_band
        choice[(ay >= lo) & (ay < hi)] = 4
        materials = (ASPHALT, MARKING, PAVING, KERB_STONE, VERGE)
        colors = np.stack([m[0] for m in materials]).astype(np.float32)[choice]
        reflectivity = np.array([m[1] for m in materials], dtype=np.float32)[choice]
        grain = (0.91 + 0.08 * hash_noise(x, y, 1.7) + 0.1 * hash_noise(x, y, 0.07)).astype(np.float32)
        return colors * grain[:, None], reflectivity * grain
