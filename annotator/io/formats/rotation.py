"""Rotation conversions between the core's yaw/pitch/roll and what label formats store.

The core uses intrinsic Z-Y-X angles, ``R = Rz(yaw) @ Ry(pitch) @ Rx(roll)`` (so do OpenLABEL's Euler
form and labelCloud). SUSTechPOINTS stores ``R = Rx(x) @ Ry(y) @ Rz(z)``; nuScenes and OpenLABEL store
quaternions.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from annotator.core.cuboids.rotation import euler_from_matrix, rotation_matrix

logger = logging.getLogger(__name__)


def quaternion_from_matrix(matrix: np.ndarray) -> tuple[float, float, float, float]:
    """Unit quaternion ``(w, x, y, z)`` with ``w >= 0`` of a rotation matrix."""
    m = np.asarray(matrix, dtype=np.float64)
    trace = m[0, 0] + m[1, 1] + m[2, 2]
    if trace > 0:
        s = 2.0 * math.sqrt(1.0 + trace)
        w, x, y, z = 0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = 2.0 * math.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2])
        w, x, y, z = (m[2, 1] - m[1, 2]) / s, 0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s
    elif m[1, 1] > m[2, 2]:
        s = 2.0 * math.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2])
        w, x, y, z = (m[0, 2] - m[2, 0]) / s, (m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s
    else:
        s = 2.0 * math.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1])
        w, x, y, z = (m[1, 0] - m[0, 1]) / s, (m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s
    norm = math.sqrt(w * w + x * x + y * y + z * z)
    sign = -1.0 if w < 0 else 1.0
    return sign * w / norm, sign * x / norm, sign * y / norm, sign * z / norm


def matrix_from_quaternion(w: float, x: float, y: float, z: float) -> np.ndarray:
    """Rotation matrix of a quaternion ``(w, x, y, z)`` (normalised first; raises ValueError for zero)."""
    norm = math.sqrt(w * w + x * x + y * y + z * z)
    if not math.isfinite(norm) or norm < 1e-9:
        raise ValueError("a rotation quaternion must not be zero")
    w, x, y, z = w / norm, x / norm, y / norm, z / norm
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def quaternion_from_euler(
    yaw: float, pitch: float = 0.0, roll: float = 0.0
) -> tuple[float, float, float, float]:
    """Quaternion ``(w, x, y, z)`` of the core's yaw/pitch/roll."""
    return quaternion_from_matrix(rotation_matrix(yaw, pitch, roll))


def euler_from_quaternion(w: float, x: float, y: float, z: float) -> tuple[float, float, float]:
    """The core's (yaw, pitch, roll) of a quaternion ``(w, x, y, z)``."""
    return euler_from_matrix(matrix_from_quaternion(w, x, y, z))


def _axis(axis: str, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    if axis == "x":
        return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    if axis == "y":
        return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def matrix_from_xyz(rx: float, ry: float, rz: float) -> np.ndarray:
    """``Rx(rx) @ Ry(ry) @ Rz(rz)`` (the SUSTechPOINTS / three.js 'XYZ' order)."""
    return _axis("x", rx) @ _axis("y", ry) @ _axis("z", rz)


def xyz_from_matrix(matrix: np.ndarray) -> tuple[float, float, float]:
    """Inverse of `matrix_from_xyz`: ``(rx, ry, rz)`` with ``ry`` in [-pi/2, pi/2]."""
    m = np.asarray(matrix, dtype=np.float64)
    ry = math.asin(max(-1.0, min(1.0, m[0, 2])))
    if abs(m[0, 2]) < 1.0 - 1e-9:
        rx = math.atan2(-m[1, 2], m[2, 2])
        rz = math.atan2(-m[0, 1], m[0, 0])
    else:  # gimbal lock: fold rx into rz
        rx = 0.0
        rz = math.atan2(m[1, 0], m[1, 1])
    return rx, ry, rz


def euler_from_xyz(rx: float, ry: float, rz: float) -> tuple[float, float, float]:
    """The core's (yaw, pitch, roll) of SUSTech-order angles."""
    if rx == 0.0 and ry == 0.0:
        return euler_from_matrix(_axis("z", rz))
    return euler_from_matrix(matrix_from_xyz(rx, ry, rz))


def xyz_from_euler(yaw: float, pitch: float, roll: float) -> tuple[float, float, float]:
    """SUSTech-order angles of the core's (yaw, pitch, roll)."""
    if pitch == 0.0 and roll == 0.0:
        return 0.0, 0.0, yaw
    return xyz_from_matrix(rotation_matrix(yaw, pitch, roll))
