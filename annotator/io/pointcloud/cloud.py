"""The in-memory point cloud and the helpers every reader shares.

Coordinates are kept as float32, whatever the file stores: that is what the viewer and the model
plugins use. Far from the origin float32 loses precision (the step between neighbouring values is
about 1 cm at 100 km and 0.5 m at 5,000 km), so georeferenced clouds (LAS in UTM, say) should be
shifted to a local origin before annotation; the readers subtract nothing and log a warning instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

__all__ = ["PointCloud", "canonical_name", "from_columns", "unpack_rgb"]

# File field names (lower-cased, a leading "scalar_" removed) -> canonical names.
_ALIASES: dict[str, str] = {
    "intensity": "intensity",
    "i": "intensity",
    "reflectance": "intensity",
    "remission": "intensity",
    "time": "time",
    "timestamp": "time",
    "t": "time",
    "gps_time": "time",
    "ring": "ring",
    "laser_id": "ring",
    "rgb": "rgb",
    "rgba": "rgba",
}
_COLOUR_NAMES = (
    ("red", "green", "blue"),
    ("r", "g", "b"),
    ("diffuse_red", "diffuse_green", "diffuse_blue"),
)
_FAR = 1.0e5  # metres: beyond this float32 resolution is worse than a few millimetres


def canonical_name(name: str) -> str:
    """Map a file's field name to the canonical one (``intensity``, ``time``, ``ring``, ...).

    Names without a canonical meaning are returned unchanged.
    """
    key = name.strip().lower()
    if key.startswith("scalar_"):
        key = key[len("scalar_") :]
    return _ALIASES.get(key, name)


@dataclass(eq=False)
class PointCloud:
    """A point cloud: float32 ``xyz`` (N, 3) plus per-point ``fields`` with canonical names.

    Canonical fields: ``intensity`` (N,) float32, ``rgb`` (N, 3) uint8, ``ring`` (N,) int32,
    ``time`` (N,) float64; any other field keeps the file's name and dtype, (N,) or (N, k).
    """

    xyz: np.ndarray
    fields: dict[str, np.ndarray] = field(default_factory=dict)
    path: Path | None = None

    def __post_init__(self) -> None:
        xyz = np.ascontiguousarray(self.xyz, dtype=np.float32)
        if xyz.ndim != 2 or xyz.shape[1] != 3:
            raise ValueError(f"xyz must have shape (N, 3), got {xyz.shape}")
        self.xyz = xyz
        for name, values in self.fields.items():
            if len(values) != len(xyz):
                raise ValueError(f"field {name!r} has {len(values)} values for {len(xyz)} points")
        if self.path is not None:
            self.path = Path(self.path)

    def __len__(self) -> int:
        return int(self.xyz.shape[0])

    def __repr__(self) -> str:
        names = ", ".join(self.fields)
        return f"PointCloud({len(self)} points, fields=[{names}], path={self.path})"

    @property
    def intensity(self) -> np.ndarray | None:
        """Per-point intensity (N,) float32, or None when the file has none."""
        return self.fields.get("intensity")

    @property
    def rgb(self) -> np.ndarray | None:
        """Per-point colour (N, 3) uint8, or None when the file has none."""
        return self.fields.get("rgb")

    def xyzi(self) -> np.ndarray:
        """Return a new float32 (N, 4) array x, y, z, intensity (0 without intensity).

        This is the point format of the model plugins.
        """
        out = np.empty((len(self), 4), dtype=np.float32)
        out[:, :3] = self.xyz
        intensity = self.intensity
        out[:, 3] = 0.0 if intensity is None else intensity
        return out


def unpack_rgb(packed: np.ndarray) -> np.ndarray:
    """Unpack PCL-style colours packed in a 32-bit float or uint (0x00RRGGBB) to (N, 3) uint8."""
    packed = np.ascontiguousarray(packed)
    if packed.dtype.itemsize != 4:
        packed = packed.astype(np.uint32)
    bits = packed.view(np.uint32)
    out = np.empty((len(bits), 3), dtype=np.uint8)
    out[:, 0] = bits >> 16
    out[:, 1] = bits >> 8
    out[:, 2] = bits
    return out


def _to_uint8_colour(values: np.ndarray) -> np.ndarray:
    """Scale one colour channel to uint8: 16-bit integers by >> 8, floats in [0, 1] by 255."""
    if values.dtype == np.uint8:
        return values
    if values.dtype.kind == "f":
        finite = values[np.isfinite(values)]
        scale = 255.0 if finite.size and float(finite.max()) <= 1.0 else 1.0
        return np.clip(np.rint(np.nan_to_num(values) * scale), 0, 255).astype(np.uint8)
    if values.size and int(values.max()) > 255:
        return (values.astype(np.int64) >> 8).clip(0, 255).astype(np.uint8)
    return values.clip(0, 255).astype(np.uint8)


def _convert(name: str, values: np.ndarray) -> np.ndarray:
    """Convert a canonical field to its canonical dtype (other fields are returned as they are)."""
    if name == "intensity":
        return values.astype(np.float32, copy=False)
    if name == "time":
        return values.astype(np.float64, copy=False)
    if name == "ring":
        if values.dtype.kind == "f":
            values = np.nan_to_num(values)
        return values.astype(np.int32, copy=False)
    return values


def finite_mask(xyz: np.ndarray) -> np.ndarray | None:
    """Return a boolean mask of points with finite x, y and z, or None when all are finite."""
    if len(xyz) == 0:
        return None
    lo, hi = xyz.min(), xyz.max()  # NaN propagates through min/max: cheap test, no temporaries
    if np.isfinite(lo) and np.isfinite(hi):
        return None
    return np.isfinite(xyz).all(axis=1)


def warn_if_far(xyz: np.ndarray, path: Path | None) -> None:
    """Log a warning when coordinates are so large that float32 loses precision."""
    if len(xyz) == 0:
        return
    far = max(abs(float(xyz.min())), abs(float(xyz.max())))
    if far > _FAR:
        step = float(np.spacing(np.float32(far)))
        logger.warning(
            "%s: coordinates up to %.0f m; float32 keeps only %.2g m resolution there", path, far, step
        )


def from_columns(
    path: Path | None,
    xyz: np.ndarray,
    columns: Mapping[str, np.ndarray],
    *,
    packed_rgb: bool = True,
) -> PointCloud:
    """Build a cloud from float32 ``xyz`` and other named columns, as read from a file.

    Field names are made canonical, colours are merged into ``rgb`` (N, 3) uint8 (``rgb``/``rgba``
    packed into 32 bits are unpacked when ``packed_rgb``), and points whose x, y or z is NaN or
    infinite are dropped, from every field alike. ``xyz`` is used as it is when it is already a
    contiguous float32 array (no copy).
    """
    fields: dict[str, np.ndarray] = {}
    lowered = {name.lower(): name for name in columns}
    used: set[str] = set()
    for names in _COLOUR_NAMES:
        if all(n in lowered for n in names) and "rgb" not in fields:
            channels = [np.asarray(columns[lowered[n]]) for n in names]
            if all(c.ndim == 1 for c in channels):
                fields["rgb"] = np.stack([_to_uint8_colour(c) for c in channels], axis=1)
                used.update(lowered[n] for n in names)
    for name, values in columns.items():
        if name in used:
            continue
        values = np.asarray(values)
        canon = canonical_name(name)
        if canon in ("rgb", "rgba") and packed_rgb and values.ndim == 1 and values.dtype.itemsize == 4:
            canon, values = "rgb", unpack_rgb(values)
        elif canon in ("rgb", "rgba") and values.ndim == 2 and values.shape[1] in (3, 4):
            canon = "rgb"
            values = np.stack([_to_uint8_colour(values[:, k]) for k in range(3)], axis=1)
        if canon in fields:  # e.g. both "intensity" and "reflectance": keep the second as it is
            canon = name
        if canon in fields:
            logger.warning("%s: duplicate field %r ignored", path, name)
            continue
        fields[canon] = _convert(canon, values)
    mask = finite_mask(xyz)
    if mask is not None:
        dropped = int(len(mask) - np.count_nonzero(mask))
        logger.debug("%s: dropped %d points with NaN/inf coordinates", path, dropped)
        xyz = xyz[mask]
        fields = {name: values[mask] for name, values in fields.items()}
    warn_if_far(xyz, path)
    return PointCloud(xyz, fields, path)
