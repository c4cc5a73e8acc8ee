"""Exact ground truth of a generated frame: LiDAR-frame cuboids, visibility, and image boxes.

Occlusion levels follow KITTI (0 fully visible, 1 partly occluded, 2 largely occluded, 3 unknown) and
are measured from the LiDAR: the share of the rays that would hit the object which did reach it first
(3 when no ray would hit it at all). Truncation is the share of the projected box outside the image.
"""

from __future__ import annotations

import logging

import numpy as np

from annotator.core.box2d import Box2D
from annotator.core.camera import NEAR_PLANE, CameraCalibration
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.point_index import PointIndex
from annotator.core.cuboids.rotation import euler_from_matrix
from annotator.io.reference_labels import ReferenceObject
from annotator.synth.lidar import LidarScan
from annotator.synth.scene import SceneState

logger = logging.getLogger(__name__)

#: Visible-ray shares at or above which an object counts as fully (0) or partly (1) visible.
VISIBLE_SHARES = (0.8, 0.4)


#: One object of a frame as the generator knows it: the generator writes reference labels (`annotator.io`).
GroundTruthObject = ReferenceObject


def occlusion_level(visible: int, reachable: int) -> int:
    """KITTI occlusion level from rays that reached the object out of rays that would hit it."""
    if reachable <= 0:
        return 3
    share = visible / reachable
    if share >= VISIBLE_SHARES[0]:
        return 0
    return 1 if share >= VISIBLE_SHARES[1] else 2


def truncation(cuboid: Cuboid, camera: CameraCalibration) -> tuple[float, Box2D | None]:
    """Share of the projected box outside the image (1 when not in view) and the clipped 2D box."""
    if np.all(camera.lidar_to_camera_points(cuboid.corners())[:, 2] < NEAR_PLANE):
        return 1.0, None  # wholly behind the camera (most objects of a 360-degree sweep)
    full = camera.cuboid_box2d(cuboid, clip_to_image=False)
    sized = full is not None and camera.width and camera.height
    clipped = full.clipped(camera.width, camera.height) if sized else full  # type: ignore[union-attr]
    if full is None or clipped is None or full.area <= 0:
        return 1.0, None
    return float(np.clip(1.0 - clipped.area / full.area, 0.0, 1.0)), clipped


def ground_truth(state: SceneState, lidar: LidarScan, camera: CameraCalibration) -> list[GroundTruthObject]:
    """Ground truth of every object of ``state`` in the LiDAR frame of that instant."""
    pose = state.lidar_pose
    rotation, origin = pose[:3, :3], pose[:3, 3]
    index = PointIndex(lidar.points[:, :3])
    objects = []
    for k, obj in enumerate(state.objects):
        world = obj.cuboid
        centre = rotation.T @ (np.asarray(world.center) - origin)
        yaw, pitch, roll = euler_from_matrix(rotation.T @ world.rotation)
        cuboid = Cuboid(tuple(centre), world.size, yaw, pitch, roll)
        cut, box = truncation(cuboid, camera)
        objects.append(
            GroundTruthObject(
                obj.actor.track_id,
                obj.actor.label,
                cuboid,
                index.count_inside(cuboid),
                occlusion_level(int(lidar.visible_rays[k]), int(lidar.reachable_rays[k])),
                cut,
                box,
                tuple(float(v) for v in rotation.T @ obj.velocity),  # type: ignore[arg-type]
            )
        )
    return objects
