"""Scenes hand VTK new geometry only for what changed: cuboid actors per role, points, highlights."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("vtkmodules")

from annotator.core.cuboids.cuboid import Cuboid
from annotator.render.cloud import prepare_cloud
from annotator.render.cuboids import CuboidItem, CuboidLayer, cuboid_vertices, wireframe_vertices
from annotator.render.scene import OrthoScene, PerspectiveScene
from annotator.render.style import DisplayOptions

CAR = CuboidItem(1, Cuboid((10.0, 3.0, -1.0), (4.0, 1.8, 1.5), math.radians(20.0)), (230, 40, 40), "Car")
VAN = CuboidItem(2, Cuboid((-6.0, -2.0, -0.8), (5.0, 2.0, 2.0), 0.5), (40, 200, 40), "Van")
GUESS = CuboidItem(
    3, Cuboid((4.0, -8.0, -1.0), (4.2, 1.8, 1.5), -1.0), (40, 40, 230), "Car 0.8", proposal=True
)


@pytest.fixture
def cloud():
    rng = np.random.default_rng(5)
    xyz = rng.uniform((-20, -20, -2), (20, 20, 1), (15_000, 3)).astype(np.float32)  # drawn whole
    return prepare_cloud(xyz, {"intensity": rng.random(len(xyz)).astype(np.float32)}, lod_budget=50_000)


def _inputs(layer: CuboidLayer) -> dict[str, object]:
    """The data object each actor draws now (a new object means new geometry was built)."""
    return {
        "boxes": layer.actor.GetMapper().GetInput(),
        "proposals": layer.proposal_actor.GetMapper().GetInput(),
        "selected": layer.selected_actor.GetMapper().GetInput(),
        "labels": layer.label_actor.GetMapper().GetInput(),
    }


def test_batched_wireframe_vertices_match_one_box_at_a_time() -> None:
    tilted = Cuboid((1.0, 2.0, 3.0), (3.0, 2.0, 1.0), 2.5, 0.2, -0.3)
    boxes = [CAR.cuboid, VAN.cuboid, tilted]

    def nose(c: Cuboid) -> np.ndarray:  # just ahead of the front face
        reach = c.size[0] / 2 + max(0.3, 0.15 * c.size[0])
        return c.box_to_world(np.array([[reach, 0.0, 0.0]]))

    expected = np.vstack([np.vstack([c.corners(), np.asarray(c.center), nose(c)]) for c in boxes])
    assert np.allclose(wireframe_vertices(boxes), expected)
    assert cuboid_vertices(tilted).shape == (10, 3)


def test_cuboid_layer_rebuilds_only_the_actors_whose_boxes_changed() -> None:
    layer = CuboidLayer()
    layer.set_labels_visible(True)
    layer.set_items([CAR, VAN, GUESS], selected=None)
    first = _inputs(layer)
    layer.set_items([CAR, VAN, GUESS], selected=None)  # nothing changed
    assert _inputs(layer) == first
    moved = CuboidItem(
        3, GUESS.cuboid.replace(center=(5.0, -8.0, -1.0)), GUESS.color, GUESS.label, proposal=True
    )
    layer.set_items([CAR, VAN, moved], selected=None)  # only the proposal moved
    second = _inputs(layer)
    assert second["boxes"] is first["boxes"]
    assert second["proposals"] is not first["proposals"]
    labels = second["labels"]  # its label moved with it, in place (the same labels: no new poly data)
    assert labels is first["labels"]
    anchors = np.array([labels.GetPoint(i) for i in range(labels.GetNumberOfPoints())])
    assert anchors[2][:2].tolist() == [5.0, -8.0]
    renamed = CuboidItem(3, moved.cuboid, moved.color, "Van", proposal=True)
    layer.set_items([CAR, VAN, renamed], selected=None)  # another label: new poly data
    assert _inputs(layer)["labels"] is not labels
    layer.set_items([CAR, VAN, moved], selected=None)
    second = _inputs(layer)
    layer.set_items([CAR, VAN, moved], selected=1)  # selecting the car: boxes and selection change
    third = _inputs(layer)
    assert third["boxes"] is not second["boxes"] and third["proposals"] is second["proposals"]
    assert layer.selected_actor.GetVisibility()


def test_ortho_scene_keeps_its_points_when_only_the_boxes_change(cloud) -> None:
    scene = OrthoScene("top")
    scene.set_options(DisplayOptions(highlight_inside=True))
    scene.show(cloud, [CAR, VAN], selected=None)
    points = scene.points.full.actor.GetMapper().GetInput()
    table = scene.points.full.actor.GetMapper().GetLookupTable()
    highlight = scene.highlight.actor.GetMapper().GetInput()
    scene.show(cloud, [CAR, VAN, GUESS], selected=None, fit=False)  # a proposal arrived
    assert scene.points.full.actor.GetMapper().GetInput() is points
    assert scene.points.full.actor.GetMapper().GetLookupTable() is table
    assert scene.highlight.actor.GetMapper().GetInput() is not highlight  # the new box's points
    highlight = scene.highlight.actor.GetMapper().GetInput()
    scene.show(cloud, [CAR, VAN, GUESS], selected=None, fit=False)
    assert scene.highlight.actor.GetMapper().GetInput() is highlight
    scene.show(cloud, [CAR, VAN, GUESS], selected=1)  # a selection crops the points: new ones
    assert scene.points.full.actor.GetMapper().GetInput() is not points
    assert scene.points.full.count == len(scene.crop) < len(cloud)


def test_perspective_scene_makes_a_new_lookup_table_only_for_another_colouring(cloud) -> None:
    scene = PerspectiveScene()
    scene.set_cloud(cloud)
    scene.set_options(DisplayOptions())
    table = scene.points.full.actor.GetMapper().GetLookupTable()
    scene.set_cuboids([CAR], None)
    scene.set_options(DisplayOptions(show_grid=False))
    assert scene.points.full.actor.GetMapper().GetLookupTable() is table
    scene.set_options(DisplayOptions(color_mode="intensity"))
    assert scene.points.full.actor.GetMapper().GetLookupTable() is not table


def test_scenes_sharing_geometry_build_the_wireframes_and_highlights_once(cloud) -> None:
    from annotator.render.shared import SharedGeometry

    shared = SharedGeometry()
    perspective = PerspectiveScene(shared)
    top, side = OrthoScene("top", shared), OrthoScene("side", shared)
    options = DisplayOptions(highlight_inside=True)
    for scene in (perspective, top, side):
        scene.set_options(options)
    perspective.set_cloud(cloud)
    perspective.set_cuboids([CAR, VAN, GUESS], None)
    made = shared.made
    for scene in (top, side):
        scene.show(cloud, [CAR, VAN, GUESS], selected=None)
    assert shared.made == made  # the ortho views found everything made for the perspective view
    wireframe = perspective.cuboids.proposal_actor.GetMapper().GetInput()
    assert top.cuboids.proposal_actor.GetMapper().GetInput() is wireframe
    assert top.highlight.count == perspective.highlight.count > 0
    top.show(cloud, [CAR, VAN, GUESS], selected=1)  # a crop: its own highlight, the same boxes
    assert top.highlight.count < perspective.highlight.count


def test_shared_geometry_keeps_few_highlights_and_only_of_the_current_cloud(cloud) -> None:
    from annotator.render.cuboids import inside_points
    from annotator.render.shared import INSIDE_CAPACITY, SharedGeometry

    shared = SharedGeometry()
    made: list[int] = []

    def highlight(items: list[CuboidItem], source=cloud) -> object:
        boxes = [(item.cuboid, item.color) for item in items]
        return shared.inside(source, boxes, None, lambda: made.append(1) or inside_points(source, items))

    first = highlight([CAR])
    assert highlight([CAR]) is first and len(made) == 1
    for step in range(INSIDE_CAPACITY):  # other boxes push the first one out
        moved = CuboidItem(1, CAR.cuboid.replace(center=(10.5 + step, 3.0, -1.0)), CAR.color)
        highlight([moved])
    assert highlight([CAR]) is not first
    other = prepare_cloud(cloud.xyz.copy(), {}, lod_budget=50_000)
    before = len(made)
    highlight([CAR], other)
    highlight([CAR])  # back to the first cloud: its results were dropped
    assert len(made) == before + 2
