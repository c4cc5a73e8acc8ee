"""The kept cloud picture: a box edit draws only the overlay; camera and cloud changes draw the cloud."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.render.camera import CameraPose, default_pose
from annotator.render.cloud import prepare_cloud
from annotator.render.cuboids import CuboidItem
from annotator.render.offscreen import capture
from annotator.render.scene import OrthoScene, PerspectiveScene
from annotator.render.style import DisplayOptions

BOX = Cuboid((10.0, 3.0, -1.0), (4.0, 1.8, 1.5), math.radians(20.0))
RED = (230, 40, 40)


@pytest.fixture
def cloud():
    """A 60 m square of ground points, 1.7 m below the sensor, over the sample budget."""
    xyz = np.random.default_rng(5).normal((0.0, 0.0, -1.7), (17.0, 17.0, 0.3), (30_000, 3))
    return prepare_cloud(xyz.astype(np.float32), lod_budget=8_000)


def _scene(cloud, window) -> PerspectiveScene:
    scene = PerspectiveScene()
    scene.attach(window)
    scene.set_options(DisplayOptions(highlight_inside=True))
    scene.set_cloud(cloud)
    scene.set_cuboids([CuboidItem(1, BOX, RED, "Car 1")], selected=1)
    scene.set_camera_pose(default_pose(cloud.bounds))
    return scene


def _differing(a: np.ndarray, b: np.ndarray) -> int:
    """How many pixels differ between two pictures."""
    return int((a != b).any(axis=2).sum())


def _red(pixels: np.ndarray) -> np.ndarray:
    return np.all(np.abs(pixels.astype(int) - RED) < 30, axis=2)


def test_a_box_edit_draws_over_the_kept_cloud_picture_without_drawing_the_cloud(cloud, window) -> None:
    scene = _scene(cloud, window)
    window.Render()
    assert scene.picture.mode == "draw"
    draws = scene.picture.draws
    before = _red(capture(window))
    moved = BOX.replace(center=(10.0, 6.0, -1.0))
    scene.set_cuboids([CuboidItem(1, moved, RED, "Car 1")], selected=1)
    edited = capture(window)
    assert scene.picture.mode == "reuse" and scene.picture.draws == draws  # the cloud was not drawn
    assert _red(edited).sum() > 30 and not np.array_equal(_red(edited), before)  # the box moved
    scene.picture.invalidate()
    assert _differing(capture(window), edited) < 20  # the pixels of drawing everything afresh (points at
    # equal depth may swap colours in a few pixels)
    assert scene.picture.mode == "draw"


def test_camera_moves_and_display_changes_draw_the_cloud_layer(cloud, window) -> None:
    scene = _scene(cloud, window)
    window.Render()
    draws = scene.picture.draws
    scene.renderer.GetActiveCamera().Azimuth(5.0)
    scene.reset_clipping()
    window.Render()
    assert scene.picture.draws == draws + 1
    window.Render()
    assert scene.picture.draws == draws + 1  # nothing changed: the kept picture
    scene.set_options(DisplayOptions(point_size=4.0))
    window.Render()
    assert scene.picture.draws == draws + 2
    scene.set_options(DisplayOptions(point_size=4.0, color_mode="distance"))
    window.Render()
    assert scene.picture.draws == draws + 3
    window.SetSize(360, 240)
    window.Render()
    assert scene.picture.draws == draws + 4


def test_a_kept_picture_hides_boxes_behind_points_as_a_full_redraw_does(window) -> None:
    wall = np.column_stack(  # a dense wall between the camera and the box
        [np.full(40_000, 5.0), np.random.default_rng(1).uniform(-6, 6, (40_000, 2))]
    ).astype(np.float32)
    scene = PerspectiveScene()
    scene.attach(window)
    scene.set_options(DisplayOptions(point_size=3.0, highlight_inside=False, show_grid=False))
    scene.set_cloud(prepare_cloud(wall, lod_budget=50_000))
    box = Cuboid((10.0, 0.0, 0.0), (1.0, 1.0, 1.0), 0.0)
    scene.set_cuboids([CuboidItem(1, box, RED, "")], selected=None)
    scene.set_camera_pose(CameraPose(position=(-5.0, 0.0, 0.0), focal_point=(10.0, 0.0, 0.0)))
    window.Render()
    scene.set_cuboids([CuboidItem(1, box.replace(center=(10.0, 0.5, 0.0)), RED, "")], selected=None)
    reused = capture(window)
    assert scene.picture.mode == "reuse"
    scene.picture.invalidate()
    full = capture(window)  # the kept depth hides the box as a full draw does
    assert _red(full).sum() == _red(reused).sum() and _differing(full, reused) < 20
    assert scene.picture.mode == "draw"
    scene.set_camera_pose(CameraPose(position=(15.0, 0.0, 0.0), focal_point=(10.0, 0.0, 0.0)))
    with_box = capture(window)  # seen from the other side, in front of the wall, the box shows (the near
    scene.set_cuboids([], selected=None)  # plane fits the boxes too, not only the cloud)
    assert _differing(capture(window), with_box) > 100


def test_orthographic_views_keep_their_picture_when_only_another_box_changes(cloud, window) -> None:
    scene = OrthoScene("top")
    scene.attach(window)
    scene.set_options(DisplayOptions())
    items = [CuboidItem(1, BOX, RED, "Car 1"), CuboidItem(2, BOX.replace(center=(-10.0, 0.0, -1.0)), RED, "")]
    scene.show(cloud, items, selected=None)
    window.Render()
    draws = scene.picture.draws
    items[1] = CuboidItem(2, BOX.replace(center=(-12.0, 0.0, -1.0)), RED, "")
    scene.show(cloud, items, selected=None, fit=False)
    window.Render()
    assert scene.picture.draws == draws and scene.picture.mode == "reuse"


def test_a_nudge_of_the_selected_box_keeps_the_orthographic_view_and_its_cloud_picture(cloud, window) -> None:
    scene = OrthoScene("side")
    scene.attach(window)
    scene.set_options(DisplayOptions(highlight_inside=True))
    scene.show(cloud, [CuboidItem(1, BOX, RED, "Car 1")], selected=1)
    window.Render()
    draws, crop, pose = scene.picture.draws, scene.crop, scene.camera_pose()
    nudged = BOX.replace(center=(10.1, 3.0, -0.9))
    scene.show(cloud, [CuboidItem(1, nudged, RED, "Car 1")], selected=1)
    moved = capture(window)
    assert scene.picture.mode == "reuse" and scene.picture.draws == draws  # only the box was drawn
    assert scene.crop is crop and scene.camera_pose() == pose
    scene.picture.invalidate()
    assert _differing(capture(window), moved) < 20  # the same pixels as drawing it all afresh
    far = BOX.replace(center=(11.5, 3.0, -1.0))  # beyond half the margin: fitted (and cropped) anew
    scene.show(cloud, [CuboidItem(1, far, RED, "Car 1")], selected=1)
    window.Render()
    assert scene.picture.mode == "draw" and scene.crop is not crop
    assert np.allclose(scene.camera_pose().focal_point, far.center)
    turned = far.replace(yaw=far.yaw + 0.05)  # a turn fits the view to the new heading at once
    scene.show(cloud, [CuboidItem(1, turned, RED, "Car 1")], selected=1)
    window.Render()
    assert scene.picture.mode == "draw"


def test_camera_move_frames_over_the_sample_keep_no_picture_and_the_resting_camera_keeps_one(
    cloud, window
) -> None:
    scene = _scene(cloud, window)
    window.Render()
    scene.set_detail(False)  # the camera starts moving: the sample is drawn
    camera = scene.renderer.GetActiveCamera()
    skipped = scene.picture.kept_skipped
    for _ in range(3):
        camera.Azimuth(2.0)
        window.Render()
        assert scene.picture.mode == "draw"
    assert scene.picture.kept_skipped == skipped + 3  # no copy of a picture the next frame replaces
    scene.set_cuboids([CuboidItem(1, BOX.replace(center=(10.0, 6.0, -1.0)), RED, "Car 1")], selected=1)
    window.Render()  # an edit with the camera still: the cloud drawn once more, and kept
    assert scene.picture.mode == "draw" and scene.picture.kept_skipped == skipped + 3
    scene.set_cuboids([CuboidItem(1, BOX, RED, "Car 1")], selected=1)
    window.Render()
    assert scene.picture.mode == "reuse"
    scene.set_detail(True)  # at rest every render keeps its picture again
    camera.Azimuth(2.0)
    window.Render()
    assert scene.picture.kept_skipped == skipped + 3


def test_a_new_clouds_first_picture_in_two_renders_is_the_one_render_picture(cloud, window) -> None:
    scene = _scene(cloud, window)  # a new cloud: its first picture may be split
    assert scene.picture.split_pending
    overlays: list[str] = []
    scene.picture.overlay.AddObserver("StartEvent", lambda *_: overlays.append("overlay"))
    assert scene.picture.draw_unseen()  # the cloud layers drawn and kept, no overlay, nothing shown
    assert scene.picture.mode == "draw" and not overlays and not scene.picture.split_pending
    assert not scene.picture.draw_unseen()  # kept: nothing more to draw unseen
    draws = scene.picture.draws
    window.Render()  # the next turn: the kept layers put back, the boxes drawn over them
    assert scene.picture.mode == "reuse" and scene.picture.draws == draws and overlays == ["overlay"]
    two = capture(window, rerender=False)
    scene.picture.invalidate()
    window.Render()  # all in one render
    assert _differing(capture(window, rerender=False), two) < 20
    assert _red(two).sum() > 30  # the box is there


def test_only_another_cloud_splits_the_first_picture(cloud, window) -> None:
    scene = _scene(cloud, window)
    window.Render()  # drawn in one render: the split is spent
    assert not scene.picture.split_pending
    scene.renderer.GetActiveCamera().Azimuth(5.0)
    assert not scene.picture.split_pending  # a camera move draws in one render
    scene.set_cloud(cloud)
    assert not scene.picture.split_pending  # the same cloud again
    scene.set_cloud(prepare_cloud(np.asarray(cloud.xyz[::2]), lod_budget=8_000))
    assert scene.picture.split_pending


def test_a_held_orthographic_view_works_out_its_steady_planes_once_per_fit(cloud, window) -> None:
    """Every render of a view fits its near and far planes; while it holds still around a nudged box, the
    region they hold (the fitted box grown) is the same and is worked out once, not on every render."""
    scene = OrthoScene("side")
    scene.attach(window)
    scene.show(cloud, [CuboidItem(1, BOX, RED, "Car 1")], selected=1)
    window.Render()
    steady = scene._steady_bounds()
    for step in range(1, 4):  # nudged within the share of the margin the view holds still for
        nudged = BOX.replace(center=(10.0 + 0.1 * step, 3.0, -1.0))
        scene.show(cloud, [CuboidItem(1, nudged, RED, "Car 1")], selected=1)
        scene.reset_clipping()
        window.Render()
        assert scene._steady_bounds() is steady
    far = BOX.replace(center=(11.5, 3.0, -1.0))  # fitted anew: other planes
    scene.show(cloud, [CuboidItem(1, far, RED, "Car 1")], selected=1)
    assert scene._steady_bounds() != steady
