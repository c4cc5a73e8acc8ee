"""Small hostile files that declare far more than they hold, and the mutation/caps helpers of the fuzz tests."""

from __future__ import annotations

import signal
import struct
import tracemalloc
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from hypothesis import strategies as st


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
        for _ in range(32):
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


# -- fuzzing helpers ------------------------------------------------------------------------------
@contextmanager
def capped(seconds: int = 5, megabytes: int = 256) -> Iterator[None]:
    """Fail when the block runs longer than ``seconds`` or allocates more than ``megabytes`` at peak."""

    def overtime(*_: object) -> None:
        raise TimeoutError(f"still reading after {seconds} s")

    previous = signal.signal(signal.SIGALRM, overtime)
    signal.alarm(seconds)
    tracemalloc.start()
    try:
        yield
        peak = tracemalloc.get_traced_memory()[1]
        assert peak < megabytes << 20, f"peak {peak:,} bytes"
    finally:
        tracemalloc.stop()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


mutations = st.lists(
    st.tuples(st.integers(0, 1 << 20), st.integers(0, 255), st.sampled_from(["set", "flip", "cut"])),
    min_size=1, max_size=6,
)  # fmt: skip


def mutate(data: bytes, edits: list[tuple[int, int, str]], header_bias: int) -> bytes:
    out = bytearray(data)
    for position, value, kind in edits:
        if not out:
            break
        # Most edits land in the first bytes: where headers declare sizes and offsets.
        index = position % min(len(out), header_bias) if position % 3 else position % len(out)
        if kind == "set":
            out[index] = value
        elif kind == "flip":
            out[index] ^= 1 << (value % 8)
        else:
            del out[index:]
    return bytes(out)
