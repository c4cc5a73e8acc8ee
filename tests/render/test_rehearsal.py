"""A view compiles its OpenGL programs on a tiny unseen frame when it starts, not on the first real cloud."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.render.cloud import prepare_cloud
from annotator.render.offscreen import capture
from annotator.render.rehearsal import rehearsal_frame, rehearsal_props, rehearse
from annotator.render.scene import OrthoScene, PerspectiveScene
from annotator.render.style import DisplayOptions


def _scene(kind: str, window):
    scene = PerspectiveScene() if kind == "perspective" else OrthoScene("top")
    scene.attach(window)
    scene.set_options(DisplayOptions())
    return scene


def test_the_rehearsal_frame_has_points_in_every_colour_and_boxes_of_every_kind() -> None:
    cloud, items = rehearsal_frame()
    assert set(cloud.scalars) >= {"height", "intensity", "rgb", "distance"}
    assert any(item.proposal for item in items) and any(item.flagged for item in items)
    assert len(cloud.inside(items[0].cuboid))  # the selected box holds points (highlighted)


@pytest.mark.parametrize("kind", ["perspective", "top"])
def test_a_rehearsal_draws_unseen_and_leaves_the_views_content_and_picture_alone(window, kind: str) -> None:
    scene = _scene(kind, window)
    xyz = np.random.default_rng(0).normal(size=(500, 3)).astype(np.float32) * 5.0
    cloud = prepare_cloud(xyz)
    if kind == "perspective":
        scene.set_cloud(cloud)
    else:
        scene.show(cloud, [], None)
    window.Render()
    shown = capture(window, rerender=False)
    pose, draws = scene.camera_pose(), scene.picture.draws
    assert rehearse(scene.picture, scene.options, scene.parallel)
    assert scene.cloud is cloud and scene.items == [] and scene.camera_pose() == pose
    assert scene.picture.draws == draws  # the picture's own bookkeeping saw nothing of it
    window.Render()
    assert scene.picture.mode == "draw"  # the cloud layer is drawn afresh after it
    assert np.array_equal(capture(window, rerender=False), shown)  # the view's own picture, nothing else


def test_a_picture_without_a_window_has_nothing_to_rehearse_on() -> None:
    scene = PerspectiveScene()
    assert not rehearse(scene.picture, scene.options, scene.parallel)


def _props(renderer) -> list:
    """A renderer's props."""
    props = renderer.GetViewProps()
    props.InitTraversal()
    return [props.GetNextProp() for _ in range(props.GetNumberOfItems())]


def _kinds(props) -> set[str]:
    """The classes of the visible ``props``, each with its mapper's class."""
    kinds = set()
    for prop in props:
        if prop.GetVisibility():
            mapper = prop.GetMapper() if hasattr(prop, "GetMapper") else None
            kinds.add(type(prop).__name__ + ("" if mapper is None else "/" + type(mapper).__name__))
    return kinds


def test_the_rehearsal_draws_every_kind_of_prop_a_view_draws_the_colour_bar_included() -> None:
    cloud, items = rehearsal_frame()
    scene = PerspectiveScene()
    scene.set_options(DisplayOptions(show_rings=True))
    scene.set_cloud(cloud)
    scene.set_cuboids(items, items[0].id)
    shown = _kinds(_props(scene.renderer) + _props(scene.picture.overlay))
    assert "vtkScalarBarActor" in shown  # its first render alone compiled programs for ~100 ms
    assert shown <= _kinds(rehearsal_props(scene.options))
