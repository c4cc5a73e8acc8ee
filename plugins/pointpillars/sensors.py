"""The simulated sensors the base detector is trained on, by name: hdl64e (KITTI), vlp32c (Argoverse 1,
ego frame), pandar128 (128 beams) and vlp16 — presets of `annotator.synth.sensor_preset` (real elevation
tables, mounting, noise, intensity).
"""

from __future__ import annotations

import logging

import numpy as np

from annotator.synth import LidarConfig, sensor_preset, sensor_presets

logger = logging.getLogger(__name__)

#: The sensors a base training draws from by default.
SENSORS = ("hdl64e", "vlp32c", "pandar128", "vlp16")
#: Which generator made the frames (part of the frame cache's signature and the run's record): change it
#: whenever `annotator.synth` changes what the frames hold, so that no cache hands out older frames.
#: "presets": the sensor presets and urban streets; "presets-2": urban streets with shrubs, parked
#: bicycles, SUV-heavy cars and pedestrians 0.66 x 0.7 m (2026-12-07); "presets-3": pedestrians mid-gait,
#: standing to long strides (0.56-1.0 m long boxes, 2026-12-07); "presets-4": people crossing the road on
#: crosswalks, side-on to a sensor ahead or behind (2026-12-07). "presets-5" (vehicle glass reflecting 0.02,
#: commit 8b97ae4) was tried and taken back (2026-12-08): the frames are presets-4's again.
GENERATOR = "presets-4"


def sensor_config(name: str) -> LidarConfig:
    """The LiDAR model called ``name`` (any `annotator.synth.sensor_presets` name); `ValueError` when unknown."""
    try:
        return sensor_preset(name)
    except ValueError:
        raise ValueError(f"unknown sensor {name!r} (known: {', '.join(sensor_presets())})") from None


def beam_index(points: np.ndarray, config: LidarConfig) -> np.ndarray:
    """Each point's beam (index of the nearest elevation of ``config`` seen from the sensor), uint8."""
    local = np.asarray(points[:, :3], dtype=np.float64) - np.asarray(config.mount(), dtype=np.float64)
    elevation = np.arctan2(local[:, 2], np.hypot(local[:, 0], local[:, 1]))
    table = np.asarray(config.elevations())
    order = np.argsort(table)
    sorted_table = table[order]
    slot = np.clip(np.searchsorted(sorted_table, elevation), 1, len(table) - 1)
    nearer = np.where(
        np.abs(elevation - sorted_table[slot - 1]) <= np.abs(sorted_table[slot] - elevation), slot - 1, slot
    )
    return order[nearer].astype(np.uint8)
