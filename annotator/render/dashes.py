"""Dashed lines as geometry: each segment cut into short dashes (OpenGL core profiles have no stipple)."""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)

#: Default dash and gap lengths in metres.
DASH, GAP = 0.35, 0.2


def dash_segments(
    vertices: np.ndarray,
    segments: np.ndarray,
    dash: float = DASH,
    gap: float = GAP,
    max_dashes: int = 64,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut straight segments into dashes.

    ``vertices`` (M, 3) and ``segments`` (K, 2) index pairs describe the lines. Returns the dash end
    points (2D, 3), the dash segments (D, 2) into them, and for each dash the index of the segment it
    came from (D,) so per-segment colours can be repeated. A segment shorter than one dash stays whole;
    a long one gets at most ``max_dashes`` dashes (the period grows instead).
    """
    vertices = np.asarray(vertices, dtype=np.float64).reshape(-1, 3)
    segments = np.asarray(segments, dtype=np.int64).reshape(-1, 2)
    if len(segments) == 0:
        return np.zeros((0, 3)), np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64)
    start, end = vertices[segments[:, 0]], vertices[segments[:, 1]]
    length = np.linalg.norm(end - start, axis=1)
    period = dash + gap
    count = np.clip(np.ceil(length / period), 1, max_dashes).astype(np.int64)
    source = np.repeat(np.arange(len(segments)), count)
    first = np.cumsum(count) - count
    step = np.arange(len(source)) - np.repeat(first, count)  # 0..count-1 within each segment
    per = count[source].astype(np.float64)
    t0 = step / per
    t1 = (step + dash / period) / per
    whole = count[source] == 1  # too short to dash: drawn whole
    t0 = np.where(whole, 0.0, t0)
    t1 = np.where(whole, 1.0, t1)
    direction = (end - start)[source]
    points = np.empty((2 * len(source), 3))
    points[0::2] = start[source] + t0[:, None] * direction
    points[1::2] = start[source] + t1[:, None] * direction
    dashes = np.arange(2 * len(source), dtype=np.int64).reshape(-1, 2)
    return points, dashes, source
