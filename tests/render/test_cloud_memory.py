"""One copy of the points: the views, the colour scalars and the point index share the cloud's arrays."""

from __future__ import annotations

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.io.pointcloud import read_point_cloud, write_kitti_bin
from annotator.render.cloud import prepare_cloud
from annotator.render.cuboids import CuboidItem
from annotator.render.offscreen import create_render_window
from annotator.render.scene import OrthoScene, PerspectiveScene
from annotator.render.shared import SharedGeometry


def _cloud(count: int = 50_000):
    rng = np.random.default_rng(4)
    xyz = rng.uniform((-40, -40, -2), (40, 40, 2), (count, 3)).astype(np.float32)
    return prepare_cloud(xyz, {"intensity": rng.random(count).astype(np.float32)}, lod_budget=5_000)


def test_scalars_and_index_share_the_points_and_use_compact_types() -> None:
    cloud = _cloud()
    assert cloud.index.points is cloud.xyz
    assert np.shares_memory(cloud.scalars["height"], cloud.xyz)  # a view of z
    assert cloud.scalars["distance"].dtype == np.float16
    assert cloud.index._order.dtype == np.int32
    held = cloud.index._order.nbytes + cloud.index._starts.nbytes
    assert held < 6 * len(cloud)  # about 4 bytes a point


def test_a_kitti_file_is_read_once_into_the_arrays_the_cloud_keeps(tmp_path) -> None:
    rng = np.random.default_rng(1)
    path = tmp_path / "scan.bin"
    write_kitti_bin(path, rng.uniform(-10, 10, (30_000, 4)).astype(np.float32))
    read = read_point_cloud(path)
    assert not isinstance(read.xyz, np.memmap) and read.xyz.flags.c_contiguous
    path.unlink()  # nothing maps the file any more
    cloud = prepare_cloud(read.xyz, read.fields)
    assert np.shares_memory(cloud.xyz, read.xyz)  # no copy
    assert np.shares_memory(cloud.scalars["intensity"], read.fields["intensity"])


def test_the_views_hold_samples_and_crops_never_the_whole_cloud() -> None:
    cloud = _cloud()
    shared = SharedGeometry()
    box = Cuboid((0.0, 0.0, 0.0), (4.0, 2.0, 1.5), 0.3)
    window = create_render_window(offscreen=True)
    window.SetSize(200, 150)
    try:
        perspective = PerspectiveScene(shared)
        perspective.attach(window)
        perspective.set_cloud(cloud)
        assert perspective.points.full.count == 0  # the full detail comes in transient chunks
        assert perspective.points.coarse.count == 5_000
        orthos = [OrthoScene(axis, shared) for axis in ("top", "side", "front")]
        for scene in orthos:
            scene.show(cloud, [CuboidItem(1, box, (200, 50, 50), "Car")], selected=1)
        assert orthos[0].crop is orthos[1].crop is orthos[2].crop  # one query for the three views
        assert 0 < orthos[0].points.full.count < len(cloud) // 10
    finally:
        window.Finalize()


def test_the_highlight_of_a_box_holding_very_many_points_is_an_even_sample(monkeypatch) -> None:
    from annotator.render import scene as scene_module

    monkeypatch.setattr(scene_module, "HIGHLIGHT_POINTS", 1_000)
    cloud = _cloud()
    box = Cuboid((0.0, 0.0, 0.0), (40.0, 40.0, 4.0), 0.0)  # a quarter of the cloud
    perspective = PerspectiveScene()
    perspective.set_cloud(cloud)
    perspective.set_cuboids([CuboidItem(1, box, (200, 50, 50), "Car")], selected=1)
    assert len(cloud.inside(box)) > 10_000
    assert 500 <= perspective.highlight.count <= 1_000
