"""Time the point-cloud readers against open3d.io.read_point_cloud.

Writes, in a temporary directory, a 10M-point binary PCD (x y z intensity, float32) and
KITTI-sized files (115,384 points: binary PCD, KITTI .bin, and a binary_compressed PCD written by
open3d), then prints the median of 5 reads for our reader and for open3d, and their ratio.
Files are read from the page cache (each is read once before timing).

    python benchmarks/read_pcd.py [--points 10000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from annotator.io.pointcloud import PointCloud, read_point_cloud, write_kitti_bin, write_pcd

KITTI_POINTS = 115_384


def median_seconds(func: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls after one warm-up call."""
    func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_cloud(n: int, seed: int = 0) -> PointCloud:
    rng = np.random.default_rng(seed)
    xyz = rng.normal(scale=30.0, size=(n, 3)).astype(np.float32)
    return PointCloud(xyz, {"intensity": rng.random(n, dtype=np.float32)})


def report(label: str, path: Path, repeat: int, with_open3d: bool = True) -> None:
    ours = median_seconds(lambda: read_point_cloud(path), repeat)
    size_mb = path.stat().st_size / 1e6
    line = f"{label:<44} {size_mb:8.1f} MB   ours {ours * 1000:8.1f} ms"
    if with_open3d:
        import open3d as o3d

        theirs = median_seconds(lambda: o3d.io.read_point_cloud(str(path)), repeat)
        line += f"   open3d {theirs * 1000:8.1f} ms   open3d/ours {theirs / ours:5.1f}x"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        big = folder / "big.pcd"
        write_pcd(big, make_cloud(args.points))
        report(f"binary PCD, {args.points:,} points (x y z i)", big, args.repeat)
        big.unlink()

        small = make_cloud(KITTI_POINTS, seed=1)
        pcd = folder / "kitti.pcd"
        write_pcd(pcd, small)
        report(f"binary PCD, {KITTI_POINTS:,} points", pcd, args.repeat)
        kitti = folder / "kitti.bin"
        write_kitti_bin(kitti, small.xyzi())
        report(f"KITTI .bin, {KITTI_POINTS:,} points", kitti, args.repeat, with_open3d=False)

        import open3d as o3d

        compressed = folder / "kitti_compressed.pcd"
        legacy = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(small.xyz.astype(np.float64)))
        o3d.io.write_point_cloud(str(compressed), legacy, compressed=True)
        report(f"binary_compressed PCD, {KITTI_POINTS:,} points", compressed, args.repeat)


if __name__ == "__main__":
    main()
