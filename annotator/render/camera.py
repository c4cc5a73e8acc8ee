"""Camera poses as plain values, and the pure functions that make them (presets, fitting, zoom, fly).

No VTK here: `annotator.render.scene.Scene` applies a `CameraPose` to a VTK camera. World frame:
x forward, y left, z up, metres.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid

logger = logging.getLogger(__name__)

#: The orthographic views: top (looking down), side (from the box's right), front (facing the box).
ORTHO_AXES = ("top", "side", "front")

Vec3 = tuple[float, float, float]


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 1e-12 else v


def _vec(v: np.ndarray | tuple[float, ...]) -> Vec3:
    x, y, z = (float(c) for c in v)
    return x, y, z


@dataclass(frozen=True)
class CameraPose:
    """Where a camera is and how it projects. ``parallel_scale`` is half the visible height (parallel)."""

    position: Vec3
    focal_point: Vec3
    view_up: Vec3 = (0.0, 0.0, 1.0)
    parallel: bool = False
    parallel_scale: float = 10.0
    view_angle: float = 45.0

    @property
    def direction(self) -> np.ndarray:
        """Unit vector from the position to the focal point."""
        return _unit(np.subtract(self.focal_point, self.position))

    @property
    def distance(self) -> float:
        """Distance from the position to the focal point."""
        return float(np.linalg.norm(np.subtract(self.focal_point, self.position)))

    def basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Screen right, screen up and forward as world unit vectors."""
        forward = self.direction
        right = _unit(np.cross(forward, self.view_up))
        if np.linalg.norm(right) < 0.5:  # looking along view_up: pick any perpendicular
            right = _unit(np.cross(forward, (1.0, 0.0, 0.0)))
        up = np.cross(right, forward)
        return right, up, forward

    def moved(self, offset: np.ndarray) -> CameraPose:
        """The same pose translated by ``offset``."""
        return replace(
            self,
            position=_vec(np.add(self.position, offset)),
            focal_point=_vec(np.add(self.focal_point, offset)),
        )


def _looking(
    focal: np.ndarray, toward_camera: np.ndarray, distance: float, up: np.ndarray, **kw
) -> CameraPose:
    toward_camera = _unit(np.asarray(toward_camera, dtype=np.float64))
    up = np.asarray(up, dtype=np.float64)
    up = _unit(up - np.dot(up, toward_camera) * toward_camera)
    return CameraPose(_vec(focal + toward_camera * distance), _vec(focal), _vec(up), **kw)


def _extent(bounds: tuple[float, ...]) -> tuple[np.ndarray, float]:
    b = np.asarray(bounds, dtype=np.float64)
    centre = np.array([(b[0] + b[1]) / 2, (b[2] + b[3]) / 2, (b[4] + b[5]) / 2])
    radius = max(0.5 * math.hypot(b[1] - b[0], b[3] - b[2]), 1.0)
    return centre, radius


def default_pose(bounds: tuple[float, ...], view_angle: float = 45.0) -> CameraPose:
    """The "reset" view: from behind and above, looking ahead (of the sensor, when it is in the cloud)."""
    centre, radius = _extent(bounds)
    b = bounds
    sensor_inside = b[0] <= 0.0 <= b[1] and b[2] <= 0.0 <= b[3]
    if sensor_inside:  # a LiDAR scan around the origin: look ahead of the car
        reach = min(radius, 60.0)
        focal = np.array([0.3 * reach, 0.0, centre[2]])
        distance = 0.9 * reach
    else:
        focal = centre
        distance = 1.1 * radius / math.tan(math.radians(view_angle) / 2.0)
    return _looking(focal, (-1.0, 0.0, 0.65), distance, (0.0, 0.0, 1.0), view_angle=view_angle)


def bird_eye_pose(bounds: tuple[float, ...], view_angle: float = 45.0) -> CameraPose:
    """Straight down on the whole cloud, forward (+x) up on screen (perspective)."""
    centre, radius = _extent(bounds)
    distance = 1.05 * radius / math.tan(math.radians(view_angle) / 2.0)
    return _looking(centre, (0.0, 0.0, 1.0), distance, (1.0, 0.0, 0.0), view_angle=view_angle)


def focus_pose(pose: CameraPose, cuboid: Cuboid) -> CameraPose:
    """Keep the viewing direction, centre on ``cuboid`` and come close enough to fill the view with it."""
    radius = max(0.5 * float(np.linalg.norm(cuboid.size)), 0.5)
    distance = 1.6 * radius / math.tan(math.radians(pose.view_angle) / 2.0)
    if pose.parallel:
        return replace(pose.moved(np.subtract(cuboid.center, pose.focal_point)), parallel_scale=1.6 * radius)
    return _looking(
        np.asarray(cuboid.center), -pose.direction, distance, pose.view_up, view_angle=pose.view_angle
    )


def ortho_margin(cuboid: Cuboid) -> float:
    """How far around a box the orthographic views look (and crop points): at least 0.75 m."""
    return max(0.75, 0.25 * max(cuboid.size))


def fit_scale(half_width: float, half_height: float, aspect: float) -> float:
    """The parallel scale (half visible height) showing a ``2 half_width x 2 half_height`` area."""
    aspect = aspect if aspect > 0 else 1.0
    return max(half_height, half_width / aspect, 1e-3)


def ortho_axes(axis: str, rotation: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
    """For an orthographic ``axis``: the direction toward the camera, the view-up, and which box axes
    (0 length, 1 width, 2 height) run across and up the screen. ``rotation``: box-to-world (3, 3)."""
    x_axis, y_axis, z_axis = rotation[:, 0], rotation[:, 1], rotation[:, 2]
    if axis == "top":  # from above, heading up the screen; width across
        return z_axis, x_axis, 1, 0
    if axis == "side":  # from the box's right (-y), heading to the right; length across
        return -y_axis, z_axis, 0, 2
    if axis == "front":  # facing the box's front (+x); width across
        return x_axis, z_axis, 1, 2
    raise ValueError(f"unknown orthographic view {axis!r}; expected one of {ORTHO_AXES}")


def ortho_pose_for_cuboid(
    cuboid: Cuboid, axis: str, aspect: float, margin: float | None = None
) -> CameraPose:
    """An orthographic camera centred on ``cuboid``, aligned with its heading, fitting it plus ``margin``."""
    margin = ortho_margin(cuboid) if margin is None else margin
    toward, up, across, upward = ortho_axes(axis, cuboid.rotation)
    size = cuboid.size
    scale = fit_scale(size[across] / 2 + margin, size[upward] / 2 + margin, aspect)
    distance = max(size) + margin + 10.0
    return _looking(np.asarray(cuboid.center), toward, distance, up, parallel=True, parallel_scale=scale)


def ortho_pose_for_bounds(bounds: tuple[float, ...], axis: str, aspect: float) -> CameraPose:
    """An orthographic camera showing the whole cloud from the top, the side or the front. The top view
    turns the frame so its longer side runs along the longer side of the view (+x up or to the right)."""
    b = np.asarray(bounds, dtype=np.float64)
    centre = np.array([(b[0] + b[1]) / 2, (b[2] + b[3]) / 2, (b[4] + b[5]) / 2])
    half = np.maximum(np.array([b[1] - b[0], b[3] - b[2], b[5] - b[4]]) / 2, 0.5)
    toward, up, across, upward = ortho_axes(axis, np.eye(3))
    scale = 1.05 * fit_scale(half[across], half[upward], aspect)
    if axis == "top":  # x across the screen when that shows the frame larger (a long scan in a wide view)
        turned = 1.05 * fit_scale(half[upward], half[across], aspect)
        if turned < scale:
            up, scale = np.array([0.0, 1.0, 0.0]), turned
    distance = float(np.linalg.norm(half)) * 2 + 10.0
    return _looking(centre, toward, distance, up, parallel=True, parallel_scale=scale)


def zoom_pose(pose: CameraPose, anchor: np.ndarray | tuple[float, ...], factor: float) -> CameraPose:
    """Zoom by ``factor`` (> 1 closer) keeping the world point ``anchor`` fixed on screen."""
    anchor = np.asarray(anchor, dtype=np.float64)
    position = np.asarray(pose.position, dtype=np.float64)
    focal = np.asarray(pose.focal_point, dtype=np.float64)
    if pose.parallel:
        forward = pose.direction
        anchor = anchor - np.dot(anchor - focal, forward) * forward  # onto the focal plane
        new_focal = anchor + (focal - anchor) / factor
        return replace(
            pose,
            focal_point=_vec(new_focal),
            position=_vec(new_focal + (position - focal)),
            parallel_scale=pose.parallel_scale / factor,
        )
    return replace(
        pose,
        position=_vec(anchor + (position - anchor) / factor),
        focal_point=_vec(anchor + (focal - anchor) / factor),
    )


def fly_pose(pose: CameraPose, forward: float, right: float, up: float, step: float) -> CameraPose:
    """Move the camera (and its focal point) ``step`` metres along its view, its right and world up."""
    screen_right, _, view_forward = pose.basis()
    horizontal_right = _unit(np.array([screen_right[0], screen_right[1], 0.0]))
    if np.linalg.norm(horizontal_right) < 0.5:
        horizontal_right = screen_right
    offset = (forward * view_forward + right * horizontal_right + up * np.array([0.0, 0.0, 1.0])) * step
    return pose.moved(offset)


def fly_step(pose: CameraPose) -> float:
    """A sensible distance for one fly step: 4 % of the distance to the focal point, at least 0.2 m."""
    reach = pose.parallel_scale if pose.parallel else pose.distance
    return max(0.2, 0.04 * reach)


def pan_pose(pose: CameraPose, dx_pixels: float, dy_pixels: float, viewport_height: int) -> CameraPose:
    """Drag the scene by a pixel offset in an orthographic view (content follows the cursor)."""
    per_pixel = 2.0 * pose.parallel_scale / max(viewport_height, 1)
    right, up, _ = pose.basis()
    return pose.moved(-(dx_pixels * per_pixel) * right - (dy_pixels * per_pixel) * up)


def ray_plane_z(origin: np.ndarray, direction: np.ndarray, z: float) -> np.ndarray | None:
    """Where a ray meets the horizontal plane at height ``z`` (None when it does not, going away)."""
    if abs(direction[2]) < 1e-9:
        return None
    t = (z - origin[2]) / direction[2]
    return None if t <= 0 else origin + t * direction
