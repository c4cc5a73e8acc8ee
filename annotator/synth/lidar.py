"""A rotating multi-beam LiDAR (HDL-64-like by default) simulated by ray casting the scene.

Rays form a grid of beams (elevations) by columns (azimuth steps). A primitive is only tested against the
rays of the beams and columns its bounds can reach, which keeps a 135k-ray frame well under a second.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from annotator.synth.intensity import IntensityModel
from annotator.synth.raycast import NO_HIT, RayHits, cast_rays, surfaces

if TYPE_CHECKING:
    from annotator.synth.ground import Ground
    from annotator.synth.scene import SceneState

logger = logging.getLogger(__name__)

#: Corner index pairs of all segments between the 8 corners of a box (the hull's edges are among them).
_PAIRS = np.array([(i, j) for i in range(8) for j in range(i + 1, 8)])


FRAMES = ("sensor", "ego")


@dataclass(frozen=True)
class LidarConfig:
    """Sensor geometry, imperfections, intensity and the frame its points are given in.

    Angles are in degrees, distances in metres. Without an ``elevation_table`` the beams are denser in the
    upper part of the field like a Velodyne HDL-64E; with one, ``beams`` must match its length. ``stacked``
    adds a second, upside-down copy of the sensor ``stack_gap`` below the first (Argoverse 1's two VLP-32C),
    so the rig fires the table and its mirror image. ``range_noise`` is the standard deviation of the range error,
    ``dropout`` the share of returns lost at random, ``spurious`` the share of rays that return from dust
    or rain instead (all scaled by the scene's ``noise``); ``intensity`` maps reflectivity to what the sensor
    reports. ``spin_period`` > 0 simulates the spin: each column fires at its own time within the sweep
    while the ego car moves (rolling shutter); 0 fires all rays at once.

    ``frame`` is where the points are given: ``"sensor"`` (origin at the sensor, as KITTI's velodyne) or
    ``"ego"`` (the ego vehicle's frame as in Argoverse: origin ``ego_height`` above the ground and
    ``mount_x`` behind the sensor, axes as the sensor's). ``height`` is the sensor's height above ground.
    """

    beams: int = 64
    fov_up: float = 2.0
    fov_down: float = -24.8
    azimuth_step: float = 0.17
    max_range: float = 100.0
    min_range: float = 2.5
    height: float = 1.73
    range_noise: float = 0.015
    dropout: float = 0.03
    spurious: float = 0.0003
    elevation_table: tuple[float, ...] = ()
    stacked: bool = False
    stack_gap: float = 0.0
    intensity: IntensityModel = field(default_factory=IntensityModel)
    spin_period: float = 0.0
    frame: str = "sensor"
    mount_x: float = 0.0
    ego_height: float = 0.0
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "elevation_table", tuple(float(e) for e in self.elevation_table))
        if self.beams < 1 or self.azimuth_step <= 0 or self.max_range <= self.min_range:
            raise ValueError("a LiDAR needs beams >= 1, a positive azimuth_step and max_range > min_range")
        if self.elevation_table and len(self.elevation_table) != self.beams:
            raise ValueError(f"elevation_table has {len(self.elevation_table)} angles for {self.beams} beams")
        if self.frame not in FRAMES:
            raise ValueError(f"frame must be one of {FRAMES}, got {self.frame!r}")
        if self.spin_period < 0:
            raise ValueError(f"spin_period must not be negative, got {self.spin_period}")

    @property
    def columns(self) -> int:
        """Azimuth steps per revolution."""
        return round(360.0 / self.azimuth_step)

    def elevations(self) -> np.ndarray:
        """Elevations (radians), ascending, of every beam the rig fires (both heads when ``stacked``)."""
        if self.elevation_table:
            table = np.array(self.elevation_table)
            if self.stacked:
                table = np.concatenate([table, -table])
            return np.radians(np.sort(table))
        upper = self.beams // 2
        split = self.fov_up - 0.38 * (self.fov_up - self.fov_down)
        gap = (self.fov_up - split) / max(upper, 1)
        high = np.linspace(split, self.fov_up, upper) if upper > 1 else np.array([self.fov_up])
        low = np.linspace(self.fov_down, split - gap, self.beams - upper)
        return np.radians(np.concatenate([low, high]))

    def mount(self) -> np.ndarray:
        """The sensor's origin (3,) in the frame the points are given in."""
        if self.frame == "sensor":
            return np.zeros(3)
        return np.array([self.mount_x, 0.0, self.height - self.ego_height])

    def beam_offsets(self) -> np.ndarray | None:
        """Per ray (beam-major, 3) offset of the head that fires it from the sensor origin, or None (one head)."""
        if not (self.stacked and self.elevation_table and self.stack_gap):
            return None
        table = np.array(self.elevation_table)
        lower_head = np.argsort(np.concatenate([table, -table]), kind="stable") >= len(table)
        offsets = np.zeros((len(lower_head), 3))
        offsets[lower_head, 2] = -self.stack_gap
        return np.repeat(offsets, self.columns, axis=0)

    def directions(self) -> np.ndarray:
        """Unit ray directions (beams * columns, 3) float32 in the sensor frame, beam-major."""
        elevation = self.elevations()[:, None]
        azimuth = np.arange(self.columns)[None, :] * (2.0 * math.pi / self.columns)
        cos_e = np.cos(elevation)
        grid = np.stack(
            np.broadcast_arrays(cos_e * np.cos(azimuth), cos_e * np.sin(azimuth), np.sin(elevation)), axis=-1
        )
        return grid.reshape(-1, 3).astype(np.float32)

    def fire_times(self) -> np.ndarray:
        """Time (s, per ray, beam-major) each ray fires relative to the sweep's timestamp.

        The head spins clockwise seen from above, from the back through the front (at the timestamp) to
        the back again, so the seam of the sweep is behind the car.
        """
        azimuth = np.arange(self.columns) * (2.0 * math.pi / self.columns)
        wrapped = np.mod(azimuth + math.pi, 2.0 * math.pi) - math.pi
        times = -wrapped / (2.0 * math.pi) * self.spin_period
        return np.tile(times, len(self.elevations()))


@dataclass
class LidarScan:
    """One sweep: points (N, 4) float32 x, y, z, intensity in the sensor frame, the object each point came
    from (``owner``, -1 for the static world), and per object the rays that reached it (``visible_rays``)
    out of the rays that would have hit it without anything in front (``reachable_rays``)."""

    points: np.ndarray
    owner: np.ndarray
    visible_rays: np.ndarray
    reachable_rays: np.ndarray


def candidate_rays(corners: np.ndarray, config: LidarConfig) -> list[np.ndarray | None]:
    """For each primitive (corners (P, 8, 3) in the sensor frame) the flat indices of rays that may hit it."""
    count = len(corners)
    if count == 0:
        return []
    elevations = config.elevations()
    columns = config.columns
    step = 2.0 * math.pi / columns
    xy = corners[..., :2]
    azimuth = np.sort(np.arctan2(xy[..., 1], xy[..., 0]), axis=1)
    gaps = np.diff(np.concatenate([azimuth, azimuth[:, :1] + 2.0 * math.pi], axis=1), axis=1)
    widest = np.argmax(gaps, axis=1)
    rows = np.arange(count)
    start = azimuth[rows, (widest + 1) % 8]
    span = 2.0 * math.pi - gaps[rows, widest]
    surrounds = gaps[rows, widest] < math.pi  # the sensor is inside the footprint
    a, b = xy[:, _PAIRS[:, 0]], xy[:, _PAIRS[:, 1]]
    edge = b - a
    along = np.clip(-(a * edge).sum(-1) / np.maximum((edge * edge).sum(-1), 1e-12), 0.0, 1.0)
    near = np.where(surrounds, 0.0, np.linalg.norm(a + along[..., None] * edge, axis=-1).min(axis=1))
    far = np.linalg.norm(xy, axis=-1).max(axis=1)
    z_lo, z_hi = corners[..., 2].min(axis=1), corners[..., 2].max(axis=1)
    top = np.arctan2(z_hi, np.where(z_hi >= 0, near, far))
    bottom = np.arctan2(z_lo, np.where(z_lo >= 0, far, near))
    beam_lo = np.searchsorted(elevations, bottom - 1e-4, side="left")
    beam_hi = np.searchsorted(elevations, top + 1e-4, side="right")
    first = np.floor(start / step).astype(np.int64) - 1
    width = np.minimum(np.ceil(span / step).astype(np.int64) + 3, columns)
    first[surrounds], width[surrounds] = 0, columns
    candidates: list[np.ndarray | None] = []
    for p in range(count):
        if beam_hi[p] <= beam_lo[p] or near[p] > config.max_range:
            candidates.append(None)
            continue
        cols = np.mod(first[p] + np.arange(width[p]), columns)
        candidates.append((np.arange(beam_lo[p], beam_hi[p])[:, None] * columns + cols[None, :]).ravel())
    return candidates


def scan(
    state: SceneState, ground: Ground, config: LidarConfig, noise: float, rng: np.random.Generator
) -> LidarScan:
    """Simulate one sweep of the LiDAR at ``state`` (random imperfections drawn from ``rng``).

    Points are given in ``config.frame`` at the sweep's timestamp; with a ``spin_period`` and a moving ego
    car each ray starts where the sensor was when it fired (the sweep is not motion-compensated).
    """
    pose = state.lidar_pose
    rotation = pose[:3, :3]
    mount = config.mount()
    origin = pose[:3, 3] + rotation @ mount
    sensor_dirs = config.directions()
    world_dirs = sensor_dirs @ rotation.T.astype(np.float32)
    prims = state.primitives
    shift = _ray_shift(state, config, rotation)
    # With moving ray starts, cull against each primitive swept over the offsets (never loses a hit).
    world_corners = prims.corners() if shift is None else prims.swept_corners(-shift.max(0), -shift.min(0))
    corners = (world_corners - origin) @ rotation
    origins = origin if shift is None else origin + shift
    hits = cast_rays(
        origins,
        world_dirs,
        prims,
        candidate_rays(corners, config),
        ground,
        config.max_range,
        rng,
        record_touched=True,
    )
    seen = surfaces(origins, world_dirs, hits, prims, ground)
    rays, t = seen.rays, hits.t[seen.rays]
    model = config.intensity
    incidence = np.abs(np.einsum("ij,ij->i", seen.normals, world_dirs[rays]))
    strength = model.strength(seen.reflectivity, incidence, t)
    strength += rng.normal(0.0, model.noise * noise, len(rays))
    lost = rng.random(len(rays)) < (
        config.dropout * noise
        + model.weak_loss * (strength < model.weak)
        + 0.15 * (t / config.max_range) ** 2
    )
    t = t + rng.normal(0.0, config.range_noise * noise, len(rays))
    spurious = rng.random(len(rays)) < config.spurious * noise
    t[spurious] = np.minimum(t[spurious], 20.0) * rng.uniform(0.1, 1.0, int(spurious.sum()))
    strength[spurious] = rng.uniform(0.0, 0.1, int(spurious.sum()))
    keep = ~lost & (t >= config.min_range) & (t <= config.max_range)
    rays, t, strength = rays[keep], t[keep], strength[keep]
    points = np.empty((len(rays), 4), dtype=np.float32)
    points[:, :3] = sensor_dirs[rays] * t[:, None].astype(np.float32)
    if config.frame != "sensor":
        points[:, :3] += mount.astype(np.float32)
    if shift is not None:
        points[:, :3] += (shift[rays] @ rotation).astype(np.float32)  # where the head was, in the frame
    points[:, 3] = model.report(strength)
    owner = np.where(hits.target[rays] >= 0, prims.owner[np.maximum(hits.target[rays], 0)], -1)
    owner[spurious[keep]] = -1
    return LidarScan(points, owner.astype(np.int32), *_ray_counts(state, hits))


def _ray_shift(state: SceneState, config: LidarConfig, rotation: np.ndarray) -> np.ndarray | None:
    """World offset (rays, 3) of each ray's start from the sensor origin at the timestamp: the ego car's
    motion until the ray fires and the head that fires it; None when every ray starts at the origin."""
    velocity = np.asarray(state.ego_velocity, dtype=np.float64)
    heads = config.beam_offsets()
    moving = config.spin_period > 0 and bool(np.any(velocity))
    if not moving and heads is None:
        return None
    shift = config.fire_times()[:, None] * velocity[None, :] if moving else 0.0
    if heads is not None:
        shift = shift + heads @ rotation.T
    return np.broadcast_to(shift, (len(config.elevations()) * config.columns, 3))


def _ray_counts(state: SceneState, hits: RayHits) -> tuple[np.ndarray, np.ndarray]:
    """Per object: rays whose nearest hit is the object, and rays that intersect it at all."""
    prims = state.primitives
    hit_owner = np.full(len(hits.target), -1, dtype=np.int64)
    hit = hits.target != NO_HIT
    hit_owner[hit] = np.where(hits.target[hit] >= 0, prims.owner[np.maximum(hits.target[hit], 0)], -1)
    n = len(state.objects)
    visible = np.bincount(hit_owner[hit_owner >= 0], minlength=n)[:n]
    reachable = np.zeros(n, dtype=np.int64)
    for k, obj in enumerate(state.objects):
        touched = hits.touched[obj.primitives] if hits.touched is not None else []
        if touched:
            reachable[k] = len(np.unique(np.concatenate(touched)))
    return visible, reachable
