"""KITTI ego poses: odometry's ``poses.txt`` and raw's ``oxts/`` (GPS/IMU), read into LiDAR poses.

``poses.txt`` (beside ``label_2/``, or ``-o poses=FILE``): one line per frame in frame order, the 3x4
row-major pose of the rectified camera (camera -> world, in camera axes); a frame's LiDAR pose is
``C^-1 @ P @ C`` with ``C = R0_rect @ Tr_velo_to_cam`` of its calibration.

``oxts/data/<frame>.txt`` or ``oxts/<frame>.txt`` (KITTI raw): latitude, longitude (degrees), altitude
(m), roll, pitch, yaw (radians) first; as in the KITTI devkit's ``convertOxtsToPose`` the position is
projected with a Mercator scale taken at the first frame's latitude and the IMU turned by
``Rz(yaw) Ry(pitch) Rx(roll)``; the LiDAR pose is the IMU pose times ``Tr_imu_to_velo^-1`` (from the
frame's calibration).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np

from annotator.core.cuboids.rotation import rotation_matrix
from annotator.io.errors import FormatError
from annotator.io.formats.base import Dataset, SourceFrame
from annotator.io.formats.files import numbers, read_text
from annotator.io.formats.kitti_objects import calib_from_data
from annotator.io.formats.poses import lidar_pose, pose_from_matrix
from annotator.io.kitti import KittiCalibration

logger = logging.getLogger(__name__)

#: KITTI odometry's pose file (camera poses, one line per frame).
POSES = "poses.txt"
#: The Earth radius of the devkit's Mercator projection (m).
EARTH_RADIUS = 6378137.0


def read_poses(dataset: Dataset, root: Path, poses: str | None = None) -> None:
    """Give the frames their LiDAR poses from ``poses`` / ``root/poses.txt``, else from ``root/oxts/``."""
    path = Path(poses) if poses else root / POSES
    if poses or path.is_file():
        read_odometry_poses(dataset, path)
    elif (root / "oxts").is_dir():
        read_oxts_poses(dataset, root / "oxts")


def read_odometry_poses(dataset: Dataset, path: Path) -> None:
    """LiDAR poses from a KITTI odometry ``poses.txt`` (camera poses, one line per frame in order)."""
    try:
        lines = [line for line in read_text(path).splitlines() if line.strip()]
        if len(lines) != len(dataset.frames):
            raise FormatError(path, f"{len(lines)} poses for {len(dataset.frames)} frames; no poses read")
    except FormatError as error:
        dataset.problems.append(error)
        return
    for number, (line, frame) in enumerate(zip(lines, dataset.frames, strict=True), start=1):
        try:
            camera = np.reshape(numbers(line.split(), 12, path, "pose", number), (3, 4))
            calib = _calibration(frame, path, number)
            frame.pose = lidar_pose(camera, calib.lidar_to_rect(), path, "pose", number)
        except FormatError as error:
            dataset.problems.append(error)


def read_oxts_poses(dataset: Dataset, folder: Path) -> None:
    """LiDAR poses from KITTI raw's GPS/IMU records (``oxts/data/<frame>.txt`` or ``oxts/<frame>.txt``)."""
    scale = None
    for frame in dataset.frames:
        path = next(
            (p for p in (folder / "data" / f"{frame.name}.txt", folder / f"{frame.name}.txt") if p.is_file()),
            None,
        )
        if path is None:
            continue
        try:
            values = read_text(path).split()
            lat, lon, alt, roll, pitch, yaw = numbers(values[:6], 6, path, "oxts")
            scale = math.cos(math.radians(lat)) if scale is None else scale
            imu = np.eye(4)
            imu[:3, :3] = rotation_matrix(yaw, pitch, roll)
            imu[:3, 3] = (
                scale * EARTH_RADIUS * math.radians(lon),
                scale * EARTH_RADIUS * math.log(math.tan(math.radians(90.0 + lat) / 2.0)),
                alt,
            )
            calib = _calibration(frame, path, None)
            if calib.imu_to_velo is None:
                raise FormatError(
                    path, f"no Tr_imu_to_velo in frame {frame.name!r}'s calibration, so no LiDAR pose"
                )
            imu_to_velo = np.eye(4)
            imu_to_velo[:3] = calib.imu_to_velo
            frame.pose = pose_from_matrix((imu @ np.linalg.inv(imu_to_velo)).tolist(), path, "oxts")
        except FormatError as error:
            dataset.problems.append(error)


def _calibration(frame: SourceFrame, path: Path, line: int | None) -> KittiCalibration:
    kept = frame.meta.get("kitti", {}).get("calib") if isinstance(frame.meta.get("kitti"), dict) else None
    if kept is None:
        raise FormatError(path, f"no calibration for frame {frame.name!r}, so no LiDAR pose", line=line)
    return calib_from_data(kept)
