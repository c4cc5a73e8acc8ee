"""A KITTI-like front camera: its calibration (P0..P3, R0_rect, Tr_velo_to_cam) and a ray-cast renderer.

Each pixel's ray is cast with the same intersection code as the LiDAR; a primitive is tested only against
the pixels inside its projected bounds. Shading is Lambertian under a sun, with cast shadows of road users
and street furniture, a sky gradient and a little haze.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from annotator.core.camera import NEAR_PLANE, CameraCalibration
from annotator.core.cuboids.cuboid import CUBOID_EDGES
from annotator.core.cuboids.rotation import rotation_matrix
from annotator.io.kitti import KittiCalibration
from annotator.synth.intersect import intersect
from annotator.synth.primitives import FACADE, PrimitiveSet
from annotator.synth.raycast import RayHits, Surfaces, cast_rays, surfaces

if TYPE_CHECKING:
    from annotator.synth.ground import Ground
    from annotator.synth.scene import SceneState

logger = logging.getLogger(__name__)

SKY_TOP = np.array([92.0, 142.0, 214.0], dtype=np.float32)
SKY_HORIZON = np.array([204.0, 222.0, 240.0], dtype=np.float32)
_EDGES = np.array(CUBOID_EDGES)
#: Edges of a box swept along a direction: the box, its moved copy (+8) and the lines joining them.
_SWEPT_EDGES = np.concatenate([_EDGES, _EDGES + 8, np.column_stack([np.arange(8), np.arange(8) + 8])])


@dataclass(frozen=True)
class CameraConfig:
    """Image size, intrinsics (pixels), the camera's place in the LiDAR frame (m), and lighting.

    ``mount_jitter`` (degrees) randomly tilts the mounting per sequence, like a real calibration;
    ``render_scale`` < 1 casts fewer rays and scales the image up (faster, softer).
    """

    width: int = 1242
    height: int = 375
    focal: float = 721.5377
    cx: float = 609.5593
    cy: float = 172.854
    position: tuple[float, float, float] = (0.27, 0.0, -0.08)
    mount_jitter: float = 0.4
    sun_azimuth: float = 40.0
    sun_elevation: float = 50.0
    render_scale: float = 1.0
    far: float = 400.0


def make_calibration(
    config: CameraConfig, rng: np.random.Generator, mount: np.ndarray | None = None
) -> KittiCalibration:
    """A KITTI calibration for the camera: P2 is the colour camera the renderer draws.

    ``mount`` is the LiDAR's origin in the frame the points are given in (the camera's ``position`` is
    relative to the LiDAR); None or zeros for points in the sensor frame.
    """
    k = np.array([[config.focal, 0.0, config.cx], [0.0, config.focal, config.cy], [0.0, 0.0, 1.0]])
    offsets = {
        "P0": (0.0, 0.0, 0.0),
        "P1": (-0.537, 0.0, 0.0),
        "P2": (0.06, -0.0003, 0.0027),
        "P3": (-0.473, 0.002, 0.0027),
    }
    projections = {name: k @ np.hstack([np.eye(3), np.reshape(b, (3, 1))]) for name, b in offsets.items()}
    axes = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])  # LiDAR axes -> camera axes
    jitter = np.radians(rng.normal(0.0, config.mount_jitter, 3))
    rotation = axes @ rotation_matrix(*jitter)
    position = np.asarray(config.position, dtype=np.float64)
    if mount is not None and np.any(mount):
        position = position + mount
    translation = -rotation @ position
    r0 = rotation_matrix(*np.radians(rng.normal(0.0, 0.3, 3)))
    # Tr_velo_to_cam maps into the unrectified camera; R0_rect then rectifies, so compensate for it.
    velo_to_cam = r0.T @ np.hstack([rotation, translation[:, None]])
    return KittiCalibration(projections, r0, velo_to_cam)


def camera_rays(camera: CameraCalibration, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Optical centre (3,) and unit pixel-centre ray directions (height * width, 3) float32, LiDAR frame."""
    projection = camera.projection_matrix
    m_inv = np.linalg.inv(projection[:, :3])
    extrinsic_inv = np.linalg.inv(camera.extrinsic_matrix)
    centre_cam = -m_inv @ projection[:, 3]
    centre = extrinsic_inv[:3, :3] @ centre_cam + extrinsic_inv[:3, 3]
    sx, sy = camera.width / width, camera.height / height
    u = (np.arange(width) + 0.5) * sx
    v = (np.arange(height) + 0.5) * sy
    pixels = np.stack(np.broadcast_arrays(u[None, :], v[:, None], 1.0), axis=-1).reshape(-1, 3)
    directions = pixels @ (extrinsic_inv[:3, :3] @ m_inv).T
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return centre, directions.astype(np.float32)


def pixel_bounds(
    points_lidar: np.ndarray, camera: CameraCalibration, edges: np.ndarray = _EDGES
) -> np.ndarray:
    """Pixel bounding boxes (P, 4: u0, v0, u1, v1) of convex solids given by their vertices (P, K, 3).

    ``edges`` (E, 2) index the vertices: the solids' edges (a box's by default). The part behind the near
    plane is clipped away; solids entirely behind the camera get NaN.
    """
    extrinsic = camera.extrinsic_matrix
    cam = points_lidar @ extrinsic[:3, :3].T + extrinsic[:3, 3]
    a, b = cam[:, edges[:, 0]], cam[:, edges[:, 1]]
    za, zb = a[..., 2:3] - NEAR_PLANE, b[..., 2:3] - NEAR_PLANE
    with np.errstate(divide="ignore", invalid="ignore"):
        cut = a + (b - a) * (za / (za - zb))
    crossing = (za * zb < 0)[..., 0]
    points = np.concatenate([cam, cut], axis=1)
    valid = np.concatenate([cam[..., 2] >= NEAR_PLANE, crossing], axis=1)
    projection = camera.projection_matrix
    homogeneous = points @ projection[:, :3].T + projection[:, 3]
    with np.errstate(divide="ignore", invalid="ignore"):
        uv = homogeneous[..., :2] / homogeneous[..., 2:3]
    lo = np.where(valid[..., None], uv, np.inf).min(axis=1)
    hi = np.where(valid[..., None], uv, -np.inf).max(axis=1)
    bounds = np.concatenate([lo, hi], axis=1)
    bounds[~valid.any(axis=1)] = np.nan
    return bounds


def pixel_rect_rays(
    bounds: np.ndarray, scale: tuple[float, float], width: int, height: int
) -> list[np.ndarray | None]:
    """Flat pixel indices inside each pixel rectangle (in full-image pixels) of a ``width`` x ``height`` grid."""
    out: list[np.ndarray | None] = []
    for u0, v0, u1, v1 in bounds:
        if not np.isfinite(u0 + v0 + u1 + v1):
            out.append(None)
            continue
        c0 = max(int(np.floor(u0 / scale[0] - 0.5)) - 1, 0)
        c1 = min(int(np.ceil(u1 / scale[0] - 0.5)) + 1, width - 1)
        r0 = max(int(np.floor(v0 / scale[1] - 0.5)) - 1, 0)
        r1 = min(int(np.ceil(v1 / scale[1] - 0.5)) + 1, height - 1)
        if c1 < c0 or r1 < r0:
            out.append(None)
            continue
        out.append((np.arange(r0, r1 + 1)[:, None] * width + np.arange(c0, c1 + 1)[None, :]).ravel())
    return out


def render(state: SceneState, ground: Ground, camera: CameraCalibration, config: CameraConfig) -> np.ndarray:
    """The camera image (height, width, 3) uint8 of the scene at ``state``."""
    width = max(1, round(camera.width * config.render_scale))
    height = max(1, round(camera.height * config.render_scale))
    scale = (camera.width / width, camera.height / height)
    pose = state.lidar_pose
    centre, directions = camera_rays(camera, width, height)
    origin = pose[:3, :3] @ centre + pose[:3, 3]
    world_dirs = directions @ pose[:3, :3].T.astype(np.float32)
    prims = state.primitives
    to_lidar = (prims.corners() - pose[:3, 3]) @ pose[:3, :3]
    candidates = pixel_rect_rays(pixel_bounds(to_lidar, camera), scale, width, height)
    hits = cast_rays(origin, world_dirs, prims, candidates, ground, config.far)
    seen = surfaces(origin, world_dirs, hits, prims, ground)
    sun = _sun(config)
    light = 0.42 + 0.58 * np.clip(seen.normals @ sun, 0.0, None)
    light *= _shadows(seen, hits, prims, ground, sun, pose, camera, (width, height))
    haze = np.exp(-hits.t[seen.rays] / 350.0)[:, None]
    elevation = np.clip(world_dirs[:, 2], 0.0, 1.0)[:, None] ** 0.6
    image = SKY_HORIZON + (SKY_TOP - SKY_HORIZON) * elevation
    lit = seen.color * light[:, None].astype(np.float32)
    image[seen.rays] = lit * haze + SKY_HORIZON * (1.0 - haze)
    image = np.clip(image, 0, 255).astype(np.uint8).reshape(height, width, 3)
    if (width, height) != (camera.width, camera.height):
        rows = np.minimum((np.arange(camera.height) / scale[1]).astype(int), height - 1)
        cols = np.minimum((np.arange(camera.width) / scale[0]).astype(int), width - 1)
        image = image[rows][:, cols]
    return image


def _sun(config: CameraConfig) -> np.ndarray:
    azimuth, elevation = np.radians(config.sun_azimuth), np.radians(config.sun_elevation)
    return np.array(
        [np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth), np.sin(elevation)]
    )


def _shadows(
    seen: Surfaces, hits: RayHits, prims: PrimitiveSet, ground: Ground, sun: np.ndarray, pose: np.ndarray,
    camera: CameraCalibration, grid: tuple[int, int],
) -> np.ndarray:  # fmt: skip
    """Light factor per hit (0.55 in shadow): shadow rays towards the sun against everything but buildings."""
    width, height = grid
    factor = np.ones(len(seen.rays), dtype=np.float64)
    casters = np.flatnonzero(prims.texture != FACADE)
    if len(casters) == 0 or sun[2] <= 0.05:
        return factor
    row_of_ray = np.full(width * height, -1, dtype=np.int64)
    row_of_ray[seen.rays] = np.arange(len(seen.rays))
    corners = prims.corners()[casters]
    centres = prims.center[casters]
    floor = ground.height(centres[:, 0], centres[:, 1])[:, None] - 0.3
    drop = np.maximum(corners[..., 2] - floor, 0.0)[..., None] / sun[2]
    swept = np.concatenate([corners, corners - drop * sun], axis=1)  # the caster and its shadow's far end
    bounds = pixel_bounds((swept - pose[:3, 3]) @ pose[:3, :3], camera, _SWEPT_EDGES)
    origins = seen.points + seen.normals * 0.02
    shadowed = np.zeros(len(seen.rays), dtype=bool)
    scale = (camera.width / width, camera.height / height)
    for caster, rays in zip(casters, pixel_rect_rays(bounds, scale, width, height)):
        if rays is None:
            continue
        rows = row_of_ray[rays]
        rows = rows[rows >= 0]
        rows = rows[(hits.target[seen.rays[rows]] != caster) & ~shadowed[rows]]
        if len(rows):
            t = intersect(prims, int(caster), origins[rows], np.broadcast_to(sun, (len(rows), 3)))
            shadowed[rows[np.isfinite(t)]] = True
    factor[shadowed] = 0.55
    return factor
