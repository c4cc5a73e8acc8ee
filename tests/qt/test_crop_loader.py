"""The track strip's crops: a large KITTI file is searched block by block for the box, never read whole."""

from __future__ import annotations

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.io import pointcloud
from annotator.qt import crop_loader


def test_a_crop_of_a_bin_file_is_cut_without_reading_the_whole_cloud(tmp_path, monkeypatch) -> None:
    rng = np.random.default_rng(2)
    points = np.column_stack([rng.uniform(-20, 20, (50_000, 2)), rng.uniform(-2, 1, (50_000, 2))])
    path = tmp_path / "000000.bin"
    pointcloud.write_kitti_bin(path, points.astype(np.float32))
    box = Cuboid((3.0, 2.0, -0.5), (4.0, 1.8, 1.5), 0.3)
    from_memory = crop_loader.cut_crop(path, box, pointcloud.read_point_cloud(path).xyz)

    def whole(_path):
        raise AssertionError("the whole cloud was read for one crop")

    monkeypatch.setattr(crop_loader, "read_point_cloud", whole)
    from_file = crop_loader.cut_crop(path, box)
    assert len(from_file) > 100 and np.array_equal(from_file, from_memory)
