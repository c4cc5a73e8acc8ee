"""Pinhole cameras calibrated against the LiDAR: projecting points and cuboids into images."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from annotator.core.box2d import Box2D
from annotator.core.cuboids.cuboid import CUBOID_EDGES, Cuboid

logger = logging.getLogger(__name__)

#: Points closer than this in front of the camera (metres) are not projected.
NEAR_PLANE = 0.1


@dataclass(frozen=True)
class CameraCalibration:
    """One camera: ``pixel ~ projection @ lidar_to_camera @ [x, y, z, 1]``.

    ``lidar_to_camera`` (4x4) takes LiDAR points into the camera frame (x right, y down, z forward),
    including any rectification (KITTI: ``R0_rect @ Tr_velo_to_cam``). ``projection`` (3x4) takes camera
    points to homogeneous pixels (KITTI ``P2``; ``[K | 0]`` for a plain intrinsic matrix).
    ``width``/``height`` are the image size in pixels (0 when unknown).
    """

    name: str
    projection: tuple[tuple[float, ...], ...]
    lidar_to_camera: tuple[tuple[float, ...], ...]
    width: int = 0
    height: int = 0

    def __post_init__(self) -> None:
        projection = np.asarray(self.projection, dtype=np.float64)
        if projection.shape == (3, 3):
            projection = np.hstack([projection, np.zeros((3, 1))])
        extrinsic = np.asarray(self.lidar_to_camera, dtype=np.float64)
        if extrinsic.shape == (3, 4):
            extrinsic = np.vstack([extrinsic, [0.0, 0.0, 0.0, 1.0]])
        if projection.shape != (3, 4) or extrinsic.shape != (4, 4):
            raise ValueError(
                f"camera {self.name!r}: projection must be 3x4 (or 3x3) and lidar_to_camera 4x4 (or 3x4)"
            )
        if not (np.all(np.isfinite(projection)) and np.all(np.isfinite(extrinsic))):
            raise ValueError(f"camera {self.name!r}: calibration has non-finite numbers")
        object.__setattr__(self, "projection", tuple(map(tuple, projection.tolist())))
        object.__setattr__(self, "lidar_to_camera", tuple(map(tuple, extrinsic.tolist())))
        object.__setattr__(self, "width", int(self.width))
        object.__setattr__(self, "height", int(self.height))

    @property
    def projection_matrix(self) -> np.ndarray:
        """3x4 camera-to-pixel matrix."""
        return np.asarray(self.projection)

    @property
    def extrinsic_matrix(self) -> np.ndarray:
        """4x4 LiDAR-to-camera matrix."""
        return np.asarray(self.lidar_to_camera)

    def lidar_to_camera_points(self, points: np.ndarray) -> np.ndarray:
        """LiDAR points (N, >=3) into the camera frame (N, 3)."""
        pts = np.asarray(points, dtype=np.float64)[:, :3]
        m = self.extrinsic_matrix
        return pts @ m[:3, :3].T + m[:3, 3]

    def camera_to_lidar_points(self, points: np.ndarray) -> np.ndarray:
        """Camera-frame points (N, 3) back into the LiDAR frame (N, 3)."""
        inverse = np.linalg.inv(self.extrinsic_matrix)
        pts = np.asarray(points, dtype=np.float64)[:, :3]
        return pts @ inverse[:3, :3].T + inverse[:3, 3]

    def project_camera_points(self, points_cam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Camera-frame points (N, 3) to pixels (N, 2) and depth (N,); pixels are NaN behind the camera."""
        p = self.projection_matrix
        homogeneous = points_cam @ p[:, :3].T + p[:, 3]
        depth = points_cam[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            uv = homogeneous[:, :2] / homogeneous[:, 2:3]
        uv[depth < NEAR_PLANE] = np.nan
        return uv, depth

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """LiDAR points (N, >=3) to pixels (N, 2) and camera depth (N,); NaN pixels behind the camera."""
        return self.project_camera_points(self.lidar_to_camera_points(points))

    def in_image(self, uv: np.ndarray) -> np.ndarray:
        """Mask of pixels (N, 2) inside the image (all finite pixels when the size is unknown)."""
        finite = np.all(np.isfinite(uv), axis=1)
        if not self.width or not self.height:
            return finite
        with np.errstate(invalid="ignore"):
            return (
                finite
                & (uv[:, 0] >= 0)
                & (uv[:, 0] < self.width)
                & (uv[:, 1] >= 0)
                & (uv[:, 1] < self.height)
            )

    def cuboid_edges_2d(self, cuboid: Cuboid) -> list[tuple[np.ndarray, np.ndarray]]:
        """The cuboid's 12 edges as pixel segments, each clipped to the part in front of the camera."""
        corners_cam = self.lidar_to_camera_points(cuboid.corners())
        segments: list[tuple[np.ndarray, np.ndarray]] = []
        for i, j in CUBOID_EDGES:
            clipped = _clip_segment_to_near_plane(corners_cam[i], corners_cam[j])
            if clipped is None:
                continue
            uv, _ = self.project_camera_points(np.array(clipped))
            segments.append((uv[0], uv[1]))
        return segments

    def cuboid_box2d(self, cuboid: Cuboid, clip_to_image: bool = True) -> Box2D | None:
        """Tight 2D box of the cuboid's projection (the part in front of the camera), or None.

        With ``clip_to_image`` (and a known image size) the box is clipped to the image.
        """
        segments = self.cuboid_edges_2d(cuboid)
        if not segments:
            return None
        pixels = np.array([p for segment in segments for p in segment])
        box = Box2D(pixels[:, 0].min(), pixels[:, 1].min(), pixels[:, 0].max(), pixels[:, 1].max())
        if clip_to_image and self.width and self.height:
            return box.clipped(self.width, self.height)
        return box


def _clip_segment_to_near_plane(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The part of a camera-frame segment with depth >= NEAR_PLANE, or None.

    The cut point's depth is set to exactly ``NEAR_PLANE`` (interpolation alone can round just below it,
    which would make its pixel NaN).
    """
    if a[2] < NEAR_PLANE and b[2] < NEAR_PLANE:
        return None
    if a[2] >= NEAR_PLANE and b[2] >= NEAR_PLANE:
        return a, b
    t = (NEAR_PLANE - a[2]) / (b[2] - a[2])
    cut = a + t * (b - a)
    cut[2] = NEAR_PLANE
    return (cut, b) if a[2] < NEAR_PLANE else (a, cut)


def clip_segment_to_rect(
    a: np.ndarray, b: np.ndarray, width: float, height: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """The part of the pixel segment a-b inside the image rectangle [0, width] x [0, height], or None
    (Liang-Barsky)."""
    start, delta = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64) - a
    t0, t1 = 0.0, 1.0
    for p, q in (
        (-delta[0], start[0]),
        (delta[0], width - start[0]),
        (-delta[1], start[1]),
        (delta[1], height - start[1]),
    ):
        if p == 0.0:
            if q < 0.0:
                return None  # parallel to this edge and outside it
            continue
        t = q / p
        if p < 0.0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return None
    return start + t0 * delta, start + t1 * delta


def clip_segments_to_image(
    segments: list[tuple[np.ndarray, np.ndarray]], width: float, height: float
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The parts of pixel segments inside a ``width`` x ``height`` image (segments wholly outside go)."""
    clipped = (clip_segment_to_rect(a, b, width, height) for a, b in segments)
    return [segment for segment in clipped if segment is not None]
