"""What the cursor grips of the selected box in an orthographic view, and where the handles are drawn."""

from __future__ import annotations

import math

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.render.handles import Grip, HandleLayer, grip_at, handle_points, knob_position

BOX = Cuboid((5.0, 1.0, -1.0), (4.0, 2.0, 1.5), math.radians(40.0))


def _world(local: tuple[float, float, float]) -> np.ndarray:
    return BOX.box_to_world(np.array([local]))[0]


def test_top_view_grips_inside_edges_corners_and_the_knob() -> None:
    assert grip_at(BOX, "top", _world((0.3, 0.2, 0.0)), 0.1) == Grip("move")
    assert grip_at(BOX, "top", _world((2.0, 0.0, 0.0)), 0.1) == Grip("resize", (1, 0, 0))
    assert grip_at(BOX, "top", _world((-0.2, -1.05, 0.0)), 0.1) == Grip("resize", (0, -1, 0))
    assert grip_at(BOX, "top", _world((-1.95, 0.97, 0.0)), 0.1) == Grip("resize", (-1, 1, 0))
    assert grip_at(BOX, "top", knob_position(BOX, 0.6), 0.1, knob_reach=0.6) == Grip("rotate")
    assert grip_at(BOX, "top", _world((3.0, 0.0, 0.0)), 0.1) is None


def test_side_and_front_views_resize_height_not_the_hidden_axis() -> None:
    assert grip_at(BOX, "side", _world((0.0, 0.9, 0.75)), 0.1) == Grip("resize", (0, 0, 1))
    assert grip_at(BOX, "front", _world((1.9, 1.0, -0.75)), 0.1) == Grip("resize", (0, 1, -1))
    assert grip_at(BOX, "side", knob_position(BOX, 0.6), 0.1, knob_reach=0.6) is None  # top view only


def test_a_small_box_keeps_an_inside_to_move_it_by() -> None:
    small = Cuboid((0.0, 0.0, 0.0), (0.4, 0.4, 0.4), 0.0)
    assert grip_at(small, "top", np.array([0.0, 0.0, 0.0]), 0.5) == Grip("move")


def test_handles_lie_on_the_face_toward_the_camera() -> None:
    top = BOX.world_to_box(handle_points(BOX, "top"))
    assert np.allclose(top[:, 2], 0.75)
    side = BOX.world_to_box(handle_points(BOX, "side"))
    assert np.allclose(side[:, 1], -1.0)
    assert len({tuple(np.round(p, 6)) for p in side}) == 8


def test_the_handles_of_a_moved_box_move_in_place() -> None:
    """A nudge moves the handles' points (no new poly data: a millisecond a view on every nudge)."""
    layer = HandleLayer("top")
    box = Cuboid((10.0, 3.0, -1.0), (4.0, 1.8, 1.5), 0.3)
    layer.show(box, knob_reach=1.0)
    handles, knob = layer.handle_actor.GetMapper().GetInput(), layer.knob_actor.GetMapper().GetInput()
    moved = box.replace(center=(10.1, 3.0, -1.0))
    layer.show(moved, knob_reach=1.0)
    assert layer.handle_actor.GetMapper().GetInput() is handles
    assert layer.knob_actor.GetMapper().GetInput() is knob
    drawn = np.array([handles.GetPoint(i) for i in range(handles.GetNumberOfPoints())])
    np.testing.assert_allclose(drawn, handle_points(moved, "top"), atol=1e-5)
    np.testing.assert_allclose(knob.GetPoint(0), knob_position(moved, 1.0), atol=1e-5)
