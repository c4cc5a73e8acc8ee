"""One box's surroundings read from a large fixed-record file block by block, without the whole cloud."""

from __future__ import annotations

import tracemalloc

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.io import pointcloud
from annotator.io.pointcloud.near import points_near


def test_the_points_near_a_box_are_those_of_the_whole_cloud_without_reading_it_whole(tmp_path) -> None:
    rng = np.random.default_rng(8)
    points = np.column_stack([rng.uniform(-30, 30, (600_000, 2)), rng.uniform(-2, 1, 600_000)])
    points = np.column_stack([points, rng.random(len(points))]).astype(np.float32)
    points[17, 0] = np.nan  # a broken point is never near anything
    path = tmp_path / "scan.bin"
    pointcloud.write_kitti_bin(path, points)
    box = Cuboid((4.0, -6.0, -0.5), (4.5, 1.9, 1.6), 0.7)
    expected = points[box.points_inside(points[:, :3], margin=1.5), :3]
    tracemalloc.start()
    try:
        near = points_near(path, box, 1.5, block=50_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert near is not None and near.dtype == np.float32 and len(near) > 1000
    assert np.array_equal(near, expected)  # the same points, in file order
    assert peak < points.nbytes / 4  # one block at a time
    assert np.array_equal(points_near(path, box, 1.5), expected)  # blocks of 1M: the same


def test_formats_without_fixed_records_are_read_whole_elsewhere(tmp_path) -> None:
    path = tmp_path / "scan.pcd"
    pointcloud.write_pcd(path, pointcloud.PointCloud(np.zeros((10, 3), dtype=np.float32)))
    assert points_near(path, Cuboid((0, 0, 0), (1, 1, 1), 0.0), 1.0) is None
