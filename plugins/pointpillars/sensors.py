"""The simulated sensors the base detector is trained on, by name: hdl64e (KITTI), vlp32c (Argoverse 1,
ego frame), pandar128 (128 beams) and vlp16.

`annotator.synth.sensor_preset` (real elevation tables, mounting, noise, intensity) is used when the
generator has it; otherwise a `LidarConfig` with the sensor's beam count, field of view, azimuth step and
mounting height stands in (the generator's own beam spacing).
"""

from __future__ import annotations

import logging

import numpy as np

from annotator.synth import LidarConfig

logger = logging.getLogger(__name__)

#: Stand-ins when the generator has no presets: beams, fov up/down (deg), azimuth step (deg), height (m).
FALLBACK = {
    "hdl64e": (64, 2.0, -24.8, 0.17, 1.73),
    "vlp32c": (32, 15.0, -25.0, 0.2, 1.9),
    "pandar128": (128, 15.0, -25.0, 0.2, 1.9),
    "vlp16": (16, 15.0, -15.0, 0.2, 1.8),
}
SENSORS = tuple(FALLBACK)


def sensor_config(name: str) -> LidarConfig:
    """The LiDAR model called ``name`` (see `SENSORS`); `ValueError` for an unknown name."""
    try:
        from annotator.synth import sensor_preset  # type: ignore[attr-defined]
    except ImportError:  # a generator without presets
        sensor_preset = None
    if sensor_preset is not None:
        try:
            return sensor_preset(name)
        except (KeyError, ValueError):
            if name not in FALLBACK:
                raise ValueError(f"unknown sensor {name!r}") from None
    if name not in FALLBACK:
        raise ValueError(f"unknown sensor {name!r} (known: {', '.join(SENSORS)})")
    beams, up, down, step, height = FALLBACK[name]
    return LidarConfig(beams=beams, fov_up=up, fov_down=down, azimuth_step=step, height=height)


def generator_source() -> str:
    """``"presets"`` when the generator has realistic sensor presets, else ``"fallback"``."""
    import annotator.synth as synth

    return "presets" if hasattr(synth, "sensor_preset") else "fallback"


def beam_count(config: LidarConfig) -> int:
    """Beams the rig fires (both heads of a stacked one)."""
    return len(config.elevations())


def beam_index(points: np.ndarray, config: LidarConfig) -> np.ndarray:
    """Each point's beam (index of the nearest elevation of ``config`` seen from the sensor), uint8."""
    mount = getattr(config, "mount", None)
    origin = np.zeros(3) if mount is None else np.asarray(mount(), dtype=np.float64)
    local = np.asarray(points[:, :3], dtype=np.float64) - origin
    elevation = np.arctan2(local[:, 2], np.hypot(local[:, 0], local[:, 1]))
    table = np.asarray(config.elevations())
    order = np.argsort(table)
    sorted_table = table[order]
    slot = np.clip(np.searchsorted(sorted_table, elevation), 1, len(table) - 1)
    nearer = np.where(
        np.abs(elevation - sorted_table[slot - 1]) <= np.abs(sorted_table[slot] - elevation), slot - 1, slot
    )
    return order[nearer].astype(np.uint8)
