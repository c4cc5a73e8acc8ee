"""Scenes rendered off screen: pixels are read back and checked, not just the objects' existence."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("vtkmodules")

from annotator.core.cuboids.cuboid import Cuboid
from annotator.render.camera import bird_eye_pose, default_pose
from annotator.render.cloud import prepare_cloud, sample_indices
from annotator.render.cuboids import CuboidItem, inside_points, wireframe
from annotator.render.offscreen import capture, count_foreground
from annotator.render.overlays import grid_geometry, ring_geometry
from annotator.render.scene import OrthoScene, PerspectiveScene
from annotator.render.style import DisplayOptions

BOX = Cuboid((10.0, 3.0, -1.0), (4.0, 1.8, 1.5), math.radians(20.0))
RED = (230, 40, 40)


@pytest.fixture
def cloud():
    rng = np.random.default_rng(3)
    ground = np.column_stack(
        [rng.uniform(-30, 30, 20_000), rng.uniform(-30, 30, 20_000), rng.normal(-1.7, 0.02, 20_000)]
    )
    box = BOX.box_to_world((rng.random((2_000, 3)) - 0.5) * np.asarray(BOX.size))
    xyz = np.concatenate([ground, box]).astype(np.float32)
    return prepare_cloud(xyz, {"intensity": rng.random(len(xyz)).astype(np.float32)}, lod_budget=4_000)


def test_prepared_cloud_has_scalars_ranges_and_a_sample(cloud) -> None:
    assert len(cloud) == 22_000
    assert set(cloud.color_modes) == {"height", "intensity", "distance"}
    assert len(cloud.coarse) == 4_000 and np.all(np.diff(cloud.coarse) > 0)
    lo, hi = cloud.ranges["height"]
    assert -1.8 < lo < hi
    assert cloud.ground_z == pytest.approx(-1.7, abs=0.1)
    subset = cloud.subset(cloud.coarse[:10])
    assert subset.xyz.shape == (10, 3) and subset.scalars["intensity"].shape == (10,)
    assert np.array_equal(sample_indices(10, 100), np.arange(10))


def test_perspective_scene_draws_points_and_class_coloured_cuboids(cloud, window) -> None:
    scene = PerspectiveScene()
    scene.attach(window)
    scene.set_options(DisplayOptions(highlight_inside=False, show_color_bar=False))
    background = scene.options.background_rgb
    window.Render()
    assert count_foreground(capture(window), background) == 0
    scene.set_cloud(cloud)
    scene.set_cuboids([CuboidItem(1, BOX, RED, "Car 1")], selected=None)
    scene.set_camera_pose(bird_eye_pose(cloud.bounds))
    pixels = capture(window)
    assert count_foreground(pixels, background) > 5_000
    red = np.all(np.abs(pixels.astype(int) - RED) < 30, axis=2)
    assert red.sum() > 30  # the wireframe in its class colour
    rows, cols = np.nonzero(red)
    x, y = scene.world_to_display(BOX.center)
    assert abs(cols.mean() - x) < 20 and abs((pixels.shape[0] - 1 - rows.mean()) - y) < 20


def test_a_large_cloud_is_drawn_as_its_sample_and_its_detail_added_in_chunks(cloud, window) -> None:
    scene = PerspectiveScene()
    scene.attach(window)
    scene.set_options(DisplayOptions(show_grid=False, show_rings=False))
    scene.set_cloud(cloud)
    assert scene.detail == "full" and scene.drawn_points == 4_000  # the sample; detail comes in chunks
    assert scene.set_detail(False)
    assert scene.detail == "coarse" and scene.drawn_points == 4_000
    assert not scene.set_detail(False)
    scene.set_detail(True)
    scene.set_camera_pose(default_pose(cloud.bounds))
    background = scene.options.background_rgb
    sample = count_foreground(capture(window), background)
    assert sample > 1_000
    for part in range(4):
        chunk = cloud.strided(part, part + 1, 4)
        scene.add_chunk(chunk)
        window.Render()
        assert scene.picture.mode == "add"
        scene.refined += len(chunk)
    assert scene.drawn_points == 22_000
    assert count_foreground(capture(window), background) > sample  # the capture reuses the kept picture
    assert scene.picture.mode == "reuse"


def test_highlight_and_colour_bar(cloud, window) -> None:
    scene = PerspectiveScene()
    scene.attach(window)
    scene.set_options(DisplayOptions(highlight_inside=True, color_mode="intensity"))
    scene.set_cloud(cloud)
    scene.set_cuboids([CuboidItem(1, BOX, RED, "Car 1")], selected=1)
    assert 2_000 <= scene.highlight.count < 2_200  # the box points, and the ground right under it
    assert scene.color_bar.actor.GetVisibility() and scene.color_bar.actor.GetTitle() == "Intensity"
    inside = inside_points(cloud, [CuboidItem(1, BOX, RED)])
    assert np.all(inside.scalars["class"] == RED)


def test_ortho_scene_crops_around_the_selection(cloud, window) -> None:
    scene = OrthoScene("side")
    scene.attach(window)
    scene.set_options(DisplayOptions())
    items = [CuboidItem(1, BOX, RED, "Car 1")]
    scene.show(cloud, items, selected=None)
    assert scene.points.full.count == 4_000  # whole frame: the coarse sample
    scene.show(cloud, items, selected=1)
    assert 2_000 <= scene.points.full.count < 3_000
    assert np.all(np.abs(BOX.world_to_box(cloud.xyz[scene.crop])) <= np.asarray(BOX.size) / 2 + 1.01)
    assert count_foreground(capture(window), scene.options.background_rgb) > 1_000


def drawn_labels(scene) -> list[str]:
    """The label texts the scene's label actor draws now."""
    if not scene.cuboids.label_actor.GetVisibility():
        return []
    array = scene.cuboids._label_mapper.GetInput().GetPointData().GetAbstractArray("labels")
    return [array.GetValue(i) for i in range(array.GetNumberOfValues())]


def test_a_whole_frame_ortho_view_does_not_pile_labels_on_each_other(cloud, window) -> None:
    scene = OrthoScene("side")
    scene.attach(window)
    scene.set_options(DisplayOptions())
    row = [CuboidItem(k, BOX.replace(center=(10.0 + 0.3 * k, 3.0, -1.0)), RED, f"Car {k}") for k in range(12)]
    far = CuboidItem(99, BOX.replace(center=(-25.0, 3.0, -1.0)), RED, "Car 99")
    scene.show(cloud, [*row, far], selected=None)
    labels = drawn_labels(scene)
    assert "Car 0" in labels and "Car 99" in labels  # apart: both readable
    assert len(labels) < 6  # twelve boxes 30 cm apart: not twelve texts on top of each other
    scene.show(cloud, [*row, far], selected=3)  # around a selection every nearby label shows
    assert len(drawn_labels(scene)) >= 12


def test_helper_geometry() -> None:
    vertices, segments = grid_geometry((-10.0, 10.0, -5.0, 5.0), z=-1.5, step=5.0)
    assert np.all(vertices[:, 2] == -1.5) and segments.max() < len(vertices)
    vertices, segments = ring_geometry(25.0, z=0.0, step=10.0, sides=8)
    radii = np.unique(np.round(np.hypot(vertices[:, 0], vertices[:, 1]), 6))
    assert list(radii) == [10.0, 20.0]
    vertices, segments, colors = wireframe([CuboidItem(1, BOX, RED), CuboidItem(2, BOX, RED)])
    assert vertices.shape == (20, 3) and segments.shape == (30, 2) and colors.shape == (30, 3)


def test_a_whole_frame_view_fits_the_bulk_of_a_real_scan_not_its_few_far_returns(window) -> None:
    rng = np.random.default_rng(2)
    street = np.column_stack(
        [rng.uniform(-20, 20, 20_000), rng.uniform(-10, 10, 20_000), rng.uniform(-2, 2, 20_000)]
    )
    far = np.column_stack([rng.uniform(150, 200, 100), rng.uniform(-80, 80, 100), rng.uniform(0, 30, 100)])
    cloud = prepare_cloud(np.concatenate([street, far]).astype(np.float32), lod_budget=4_000)
    assert cloud.bounds[1] > 150  # the far returns are in the cloud ...
    x0, x1, y0, y1, *_ = cloud.view_bounds
    assert -23 < x0 < -19 and 19 < x1 < 23 and -12 < y0 < -9 and 9 < y1 < 12  # ... not in the view's extent
    scene = OrthoScene("top")
    scene.attach(window)
    scene.set_options(DisplayOptions())
    scene.show(cloud, [], selected=None)
    assert scene.camera_pose().parallel_scale < 25  # the 40 m street fills the view instead of a 400 m box
