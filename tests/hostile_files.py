"""Small hostile files that declare far more than they hold (for the bounded-reading tests)."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import numpy as np


def huge_compressed_pcd(path: Path) -> Path:
    """A 38 KB binary_compressed PCD whose size words announce 4 GB of points."""
    header = (
        b"VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\n"
        b"WIDTH 1000\nHEIGHT 1\nPOINTS 1000\nDATA binary_compressed\n"
    )
    payload = bytes(range(31)) * 1200
    path.write_bytes(header + struct.pack("<II", len(payload), 4_200_000_000) + payload)
    return path


def npz_bomb(path: Path) -> Path:
    """A .npz whose one member inflates 1000-fold (a zip bomb in miniature)."""
    zeros = b"\0" * (1 << 20)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("points.npy", "w", force_zip64=True) as member,
    ):
        member.write(np.lib.format.magic(1, 0))
        for _ in range(96):
            member.write(zeros)
    return path


def one_line_text(path: Path, megabytes: int = 20) -> Path:
    """A text cloud that is one line of ``megabytes`` MB of numbers."""
    path.write_bytes(b"1.5 " * (megabytes << 18))
    return path


def huge_npy(path: Path) -> Path:
    """A .npy header declaring 10^10 points with 100 bytes after it."""
    header = {"descr": "<f4", "fortran_order": False, "shape": (10_000_000_000, 4)}
    with open(path, "wb") as file:
        np.lib.format.write_array_header_1_0(file, header)
        file.write(b"\0" * 100)
    return path


def huge_ply(path: Path) -> Path:
    """A binary PLY declaring 2^40 vertices."""
    header = (
        "ply\nformat binary_little_endian 1.0\nelement vertex 1099511627776\n"
        "property float x\nproperty float y\nproperty float z\nend_header\n"
    )
    path.write_bytes(header.encode() + b"\0" * 1200)
    return path


def small_las(path: Path, points: int = 200) -> Path:
    """A valid LAS 1.2 file of ``points`` points."""
    import laspy

    las = laspy.create(point_format=1, file_version="1.2")
    rng = np.random.default_rng(0)
    las.x, las.y, las.z = (rng.uniform(-20, 20, points) for _ in range(3))
    las.intensity = rng.integers(0, 255, points)
    las.write(path)
    return path


def las_with_header(path: Path, offset: int | None = None, count: int | None = None) -> Path:
    """A small LAS whose header's data offset or point count is overwritten."""
    data = bytearray(small_las(path).read_bytes())
    if offset is not None:
        data[96:100] = struct.pack("<I", offset)
    if count is not None:
        data[107:111] = struct.pack("<I", count)
    path.write_bytes(bytes(data))
    return path
