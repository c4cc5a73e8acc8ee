"""Ego poses in label formats: parsing them checked, writing them, and the ``-o boxes=lidar|world`` option.

A pose is LiDAR -> world (`annotator.core.pose.Pose`). Formats carry it as a 4x4 (or 3x4) matrix, as a
quaternion and a translation, or (KITTI odometry) as the pose of a camera; these helpers turn each into a
`Pose` with one-line named errors for bad numbers (not a rotation, not finite, wrong count).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from annotator.core.errors import AnnotatorError
from annotator.core.pose import Pose
from annotator.io.errors import FormatError
from annotator.io.formats.files import format_number, numbers
from annotator.io.formats.rotation import quaternion_from_matrix

logger = logging.getLogger(__name__)

#: ``-o boxes=lidar`` (default: cuboids in each frame's LiDAR coordinates) or ``-o boxes=world`` (in the
#: world frame of the ego poses; exporting, a frame without a pose is skipped and reported).
BOX_FRAMES = ("lidar", "world")
WORLD = "world"
#: Digits of pose numbers written (sub-micrometre at city scale).
POSE_DECIMALS = 9


def box_frame(options: dict[str, str] | None, format_id: str) -> str:
    """The ``boxes`` option: ``lidar`` or ``world``; an unknown value is a named error."""
    value = (options or {}).get("boxes", BOX_FRAMES[0])
    if value not in BOX_FRAMES:
        raise AnnotatorError(f"{format_id}: -o boxes= takes {' or '.join(BOX_FRAMES)}, got {value!r}")
    return value


def pose_from_matrix(matrix: Any, path: Path, field: str, line: int | None = None) -> Pose:
    """A pose from a rigid 4x4 or 3x4 matrix (nested or flat, row-major)."""
    flat = np.ravel(np.asarray(matrix, dtype=object)).tolist() if isinstance(matrix, list | tuple) else matrix
    values = numbers(flat, (12, 16), path, field, line)
    m = np.eye(4)
    m[: len(values) // 4] = np.reshape(values, (-1, 4))
    rotation = m[:3, :3]
    if not np.allclose(rotation @ rotation.T, np.eye(3), atol=1e-4) or np.linalg.det(rotation) < 0:
        raise FormatError(
            path, "not a rigid transform (its 3x3 part is not a rotation)", line=line, field=field
        )
    return Pose(quaternion_from_matrix(rotation), tuple(m[:3, 3]))


def pose_from_parts(rotation: Any, translation: Any, path: Path, field: str) -> Pose:
    """A pose from a quaternion ``[w, x, y, z]`` and a translation ``[x, y, z]``."""
    q = numbers(rotation, 4, path, f"{field}.rotation")
    t = numbers(translation, 3, path, f"{field}.translation")
    try:
        return Pose(tuple(q), tuple(t))  # type: ignore[arg-type]
    except ValueError as error:
        raise FormatError(path, str(error), field=f"{field}.rotation") from None


def pose_parts(pose: Pose) -> dict[str, list[float]]:
    """A pose as ``rotation`` (w, x, y, z) and ``translation`` lists, rounded for files."""
    return {
        "rotation": [format_number(v, POSE_DECIMALS) for v in pose.rotation],
        "translation": [format_number(v, POSE_DECIMALS) for v in pose.translation],
    }


def matrix_rows(pose: Pose, rows: int = 4) -> list[float]:
    """The pose's matrix, its first ``rows`` rows flattened row-major (12 or 16 numbers)."""
    return [format_number(v, POSE_DECIMALS) for v in np.ravel(pose.matrix[:rows])]


def camera_pose(pose: Pose, lidar_to_camera: np.ndarray) -> np.ndarray:
    """KITTI odometry: the camera's pose (camera -> world, in camera axes) of a LiDAR pose."""
    conjugate = np.asarray(lidar_to_camera, dtype=np.float64)
    return conjugate @ pose.matrix @ np.linalg.inv(conjugate)


def lidar_pose(camera: np.ndarray, lidar_to_camera: np.ndarray, path: Path, field: str, line: int) -> Pose:
    """Inverse of `camera_pose`: a LiDAR pose from a camera pose (3x4 or 4x4)."""
    m = np.eye(4)
    values = np.asarray(camera, dtype=np.float64)
    m[: values.shape[0]] = values
    conjugate = np.asarray(lidar_to_camera, dtype=np.float64)
    return pose_from_matrix((np.linalg.inv(conjugate) @ m @ conjugate).tolist(), path, field, line)
