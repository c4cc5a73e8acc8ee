"""Angles and rotations of the world (LiDAR) frame: wrapping and intrinsic Z-Y-X Euler matrices."""

from __future__ import annotations

import math

import numpy as np


def wrap_angle(angle: float) -> float:
    """Wrap an angle in radians to (-pi, pi]."""
    wrapped = math.remainder(angle, 2.0 * math.pi)
    if wrapped <= -math.pi:
        wrapped += 2.0 * math.pi
    return wrapped


def wrap_angles(angles: np.ndarray) -> np.ndarray:
    """Vectorised `wrap_angle`."""
    wrapped = np.remainder(np.asarray(angles, dtype=np.float64) + np.pi, 2.0 * np.pi) - np.pi
    wrapped[wrapped <= -np.pi] += 2.0 * np.pi
    return wrapped


def rotation_matrix(yaw: float, pitch: float = 0.0, roll: float = 0.0) -> np.ndarray:
    """Rotation from box to world axes for intrinsic Z-Y-X angles: ``Rz(yaw) @ Ry(pitch) @ Rx(roll)``."""
    cy, sy = math.cos(yaw), math.sin(yaw)
    cp, sp = math.cos(pitch), math.sin(pitch)
    cr, sr = math.cos(roll), math.sin(roll)
    return np.array(
        [
            [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
            [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
            [-sp, cp * sr, cp * cr],
        ]
    )


def rotation_matrices(yaw: np.ndarray, pitch: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """`rotation_matrix` for K boxes at once: (K,) angles to (K, 3, 3) rotations."""
    cy, sy = np.cos(yaw), np.sin(yaw)
    cp, sp = np.cos(pitch), np.sin(pitch)
    cr, sr = np.cos(roll), np.sin(roll)
    rows = [
        [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
        [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
        [-sp, cp * sr, cp * cr],
    ]
    return np.stack([np.stack(row, axis=-1) for row in rows], axis=-2)


def euler_from_matrix(matrix: np.ndarray) -> tuple[float, float, float]:
    """Inverse of `rotation_matrix`: (yaw, pitch, roll) of a rotation matrix (pitch in [-pi/2, pi/2])."""
    m = np.asarray(matrix, dtype=np.float64)
    pitch = math.asin(max(-1.0, min(1.0, -m[2, 0])))
    if abs(m[2, 0]) < 1.0 - 1e-9:
        yaw = math.atan2(m[1, 0], m[0, 0])
        roll = math.atan2(m[2, 1], m[2, 2])
    else:  # gimbal lock: fold roll into yaw
        yaw = math.atan2(-m[0, 1], m[1, 1])
        roll = 0.0
    return wrap_angle(yaw), wrap_angle(pitch), wrap_angle(roll)
