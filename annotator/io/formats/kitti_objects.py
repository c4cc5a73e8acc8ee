"""KITTI numbers of LiDAR-frame cuboids, for a whole frame at once, and KITTI calibration helpers.

`kitti_objects` does what `annotator.io.kitti.kitti_from_cuboid` does for one cuboid (a test holds them
equal), vectorised over a frame's cuboids, adds the truncation estimate and reuses the numbers an
unchanged imported object came with.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from annotator.core.camera import NEAR_PLANE, CameraCalibration
from annotator.core.cuboids.cuboid import CORNER_SIGNS, CUBOID_EDGES, Cuboid
from annotator.core.cuboids.rotation import wrap_angles
from annotator.core.model.records import Annotation
from annotator.io.kitti import PROJECTION_KEYS, KittiCalibration, KittiObject

logger = logging.getLogger(__name__)

CAMERA = "image_2"
#: The usual KITTI image size, for cameras whose size is unknown.
KITTI_IMAGE_SIZE = (1242, 375)
#: An unchanged cuboid (all 9 numbers within this) is written with the KITTI numbers it came with.
UNCHANGED = 1e-6


def calib_to_data(calib: KittiCalibration) -> dict[str, list[float]]:
    """A calibration as JSON-compatible lists (kept in a frame's meta)."""
    data = {key: np.ravel(m).tolist() for key, m in calib.projections.items()}
    data["R0_rect"] = np.ravel(calib.r0_rect).tolist()
    data["Tr_velo_to_cam"] = np.ravel(calib.velo_to_cam).tolist()
    if calib.imu_to_velo is not None:
        data["Tr_imu_to_velo"] = np.ravel(calib.imu_to_velo).tolist()
    return data


def calib_from_data(data: dict[str, list[float]]) -> KittiCalibration:
    """Inverse of `calib_to_data`."""
    imu = data.get("Tr_imu_to_velo")
    return KittiCalibration(
        projections={k: np.reshape(data[k], (3, 4)) for k in PROJECTION_KEYS if k in data},
        r0_rect=np.reshape(data["R0_rect"], (3, 3)),
        velo_to_cam=np.reshape(data["Tr_velo_to_cam"], (3, 4)),
        imu_to_velo=None if imu is None else np.reshape(imu, (3, 4)),
    )


def calib_for_camera(camera: CameraCalibration) -> KittiCalibration:
    """A KITTI calibration that reproduces ``camera``: P0..P3 its projection, R0_rect the identity."""
    projection = camera.projection_matrix
    return KittiCalibration(
        projections=dict.fromkeys(PROJECTION_KEYS, projection),
        r0_rect=np.eye(3),
        velo_to_cam=camera.extrinsic_matrix[:3].copy(),
    )


def synthetic_calibration(
    name: str = CAMERA, width: int = KITTI_IMAGE_SIZE[0], height: int = KITTI_IMAGE_SIZE[1]
) -> CameraCalibration:
    """The usual KITTI mounting (camera looking along LiDAR x, no offset) with KITTI-like intrinsics."""
    focal = 721.5377
    projection = [[focal, 0.0, width / 2.0, 0.0], [0.0, focal, height / 2.0, 0.0], [0.0, 0.0, 1.0, 0.0]]
    lidar_to_camera = [
        [0.0, -1.0, 0.0, 0.0],
        [0.0, 0.0, -1.0, 0.0],
        [1.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 1.0],
    ]
    return CameraCalibration(name, projection, lidar_to_camera, width, height)


def lidar_boxes(objects: list[KittiObject], camera: CameraCalibration) -> np.ndarray:
    """(N, 7) LiDAR-frame ``x y z l w h yaw`` of KITTI objects, vectorised.

    The same conversion as `annotator.io.kitti.cuboid_from_kitti` (a test holds them equal).
    """
    if not objects:
        return np.zeros((0, 7))
    dimensions = np.array([o.dimensions for o in objects], dtype=np.float64)  # h, w, l
    location = np.array([o.location for o in objects], dtype=np.float64)
    rotation_y = np.array([o.rotation_y for o in objects], dtype=np.float64)
    to_lidar = np.linalg.inv(camera.extrinsic_matrix)
    centre_cam = location - np.stack(
        [np.zeros(len(objects)), dimensions[:, 0] / 2.0, np.zeros(len(objects))], axis=1
    )
    centres = centre_cam @ to_lidar[:3, :3].T + to_lidar[:3, 3]
    heading_cam = np.stack([np.cos(rotation_y), np.zeros(len(objects)), -np.sin(rotation_y)], axis=1)
    heading = heading_cam @ np.linalg.inv(camera.extrinsic_matrix[:3, :3]).T
    yaw = np.arctan2(heading[:, 1], heading[:, 0])
    return np.column_stack([centres, dimensions[:, ::-1], yaw])


def kitti_objects(
    annotations: list[Annotation], camera: CameraCalibration, reuse: bool = True
) -> list[KittiObject]:
    """KITTI label objects of cuboid annotations.

    With ``reuse`` (the camera is the one the objects were imported with), an unchanged cuboid gets the
    KITTI numbers it came with; every other one is computed.
    """
    if not annotations:
        return []
    if not camera.width or not camera.height:
        camera = CameraCalibration(camera.name, camera.projection, camera.lidar_to_camera, *KITTI_IMAGE_SIZE)
    cuboids = [a.cuboid for a in annotations]
    computed = _computed_rows(cuboids, camera)  # type: ignore[arg-type]
    objects = []
    for annotation, row in zip(annotations, computed):
        kept = annotation.attributes.get("kitti")
        occluded = _occlusion(annotation.attributes.get("occluded"), kept)
        score = annotation.provenance.score
        if reuse and isinstance(kept, dict) and _unchanged(annotation.cuboid, kept.get("cuboid")):  # type: ignore[arg-type]
            objects.append(
                KittiObject(
                    annotation.class_name,
                    float(kept["truncated"]),
                    occluded,
                    float(kept["alpha"]),
                    tuple(kept["bbox"]),
                    tuple(kept["dimensions"]),
                    tuple(kept["location"]),
                    float(kept["rotation_y"]),
                    score,
                )
            )
        else:
            truncated, alpha, bbox, dimensions, location, rotation_y = row
            objects.append(
                KittiObject(
                    annotation.class_name,
                    truncated,
                    occluded,
                    alpha,
                    bbox,
                    dimensions,
                    location,
                    rotation_y,
                    score,
                )
            )
    return objects


def _occlusion(attribute: Any, kept: Any) -> int:
    for value in (attribute, kept.get("occluded") if isinstance(kept, dict) else None):
        try:
            level = int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if 0 <= level <= 3:
            return level
    return 0


def _unchanged(cuboid: Cuboid, kept: Any) -> bool:
    if not isinstance(kept, list) or len(kept) != 9:
        return False
    return bool(
        np.all(np.abs(cuboid.to_array(nine_dof=True) - np.asarray(kept, dtype=np.float64)) <= UNCHANGED)
    )


def _computed_rows(cuboids: list[Cuboid], camera: CameraCalibration) -> list[tuple]:
    """(truncated, alpha, bbox, dimensions, location, rotation_y) per cuboid, vectorised over a frame.

    The same conversion as `annotator.io.kitti.kitti_from_cuboid` (a test holds them equal), done for
    all cuboids at once, plus the truncation estimate.
    """
    values = np.array([c.to_array(nine_dof=True) for c in cuboids])
    centres, sizes = values[:, 0:3], values[:, 3:6]
    rotations = _rotations(values[:, 6], values[:, 7], values[:, 8])
    extrinsic = camera.extrinsic_matrix
    to_camera, offset = extrinsic[:3, :3], extrinsic[:3, 3]
    location = centres @ to_camera.T + offset
    location[:, 1] += sizes[:, 2] / 2.0
    heading = rotations[:, :, 0] @ to_camera.T
    rotation_y = wrap_angles(np.arctan2(-heading[:, 2], heading[:, 0]))
    alpha = wrap_angles(rotation_y - np.arctan2(location[:, 0], location[:, 2]))
    full, clipped = _image_boxes(centres, sizes, rotations, camera)
    full_area = (full[:, 2] - full[:, 0]) * (full[:, 3] - full[:, 1])
    clipped_area = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        truncated = np.where(full_area > 0, np.clip(1.0 - clipped_area / full_area, 0.0, 1.0), 1.0)
    rows = []
    for i in range(len(cuboids)):
        length, width, height = sizes[i]
        rows.append(
            (
                float(truncated[i]),
                float(alpha[i]),
                tuple(clipped[i].tolist()),
                (height, width, length),
                tuple(location[i].tolist()),
                float(rotation_y[i]),
            )
        )
    return rows


def _rotations(yaw: np.ndarray, pitch: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """(N, 3, 3) box-to-LiDAR rotations ``Rz(yaw) @ Ry(pitch) @ Rx(roll)``."""
    cy, sy, cp, sp, cr, sr = (
        np.cos(yaw),
        np.sin(yaw),
        np.cos(pitch),
        np.sin(pitch),
        np.cos(roll),
        np.sin(roll),
    )
    return np.stack(
        [
            np.stack([cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr], axis=-1),
            np.stack([sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr], axis=-1),
            np.stack([-sp, cp * sr, cp * cr], axis=-1),
        ],
        axis=1,
    )


def _image_boxes(
    centres: np.ndarray, sizes: np.ndarray, rotations: np.ndarray, camera: CameraCalibration
) -> tuple[np.ndarray, np.ndarray]:
    """Unclipped and image-clipped (N, 4) boxes of the projected cuboids; zeros when nothing is seen."""
    corners = (
        np.einsum("nij,nkj->nki", rotations, CORNER_SIGNS[None] * (sizes[:, None, :] / 2.0))
        + centres[:, None]
    )
    corners_cam = corners @ camera.extrinsic_matrix[:3, :3].T + camera.extrinsic_matrix[:3, 3]
    projection = camera.projection_matrix
    homogeneous = corners_cam @ projection[:, :3].T + projection[:, 3]
    in_front = np.all(corners_cam[:, :, 2] >= NEAR_PLANE, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        pixels = homogeneous[:, :, :2] / homogeneous[:, :, 2:3]
    full = np.concatenate([pixels.min(axis=1), pixels.max(axis=1)], axis=1)
    for i in np.flatnonzero(~in_front):  # crossing the near plane: clip the edges (rare)
        full[i] = _near_clipped_box(corners_cam[i], projection)
    clipped = full.copy()
    clipped[:, [0, 2]] = np.clip(full[:, [0, 2]], 0.0, camera.width)
    clipped[:, [1, 3]] = np.clip(full[:, [1, 3]], 0.0, camera.height)
    empty = (clipped[:, 2] <= clipped[:, 0]) | (clipped[:, 3] <= clipped[:, 1])
    clipped[empty] = 0.0
    return full, clipped


def _near_clipped_box(corners_cam: np.ndarray, projection: np.ndarray) -> np.ndarray:
    """Pixel box (4,) of the parts of a cuboid's edges at depth >= NEAR_PLANE (zeros if none).

    Cut points are put exactly on the near plane, so rounding never drops them behind it.
    """
    points = [corners_cam[i] for i in range(8) if corners_cam[i, 2] >= NEAR_PLANE]
    for i, j in CUBOID_EDGES:
        a, b = corners_cam[i], corners_cam[j]
        if (a[2] < NEAR_PLANE) != (b[2] < NEAR_PLANE):
            cut = a + (NEAR_PLANE - a[2]) / (b[2] - a[2]) * (b - a)
            cut[2] = NEAR_PLANE
            points.append(cut)
    if not points:
        return np.zeros(4)
    homogeneous = np.asarray(points) @ projection[:, :3].T + projection[:, 3]
    pixels = homogeneous[:, :2] / homogeneous[:, 2:3]
    return np.concatenate([pixels.min(axis=0), pixels.max(axis=0)])
