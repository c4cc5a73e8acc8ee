"""A tiny frame drawn once, unseen, when a view starts: its OpenGL programs are then ready for real clouds.

The first render of points, boxes and labels in an OpenGL context compiles their shader programs (about
100 ms per view under software OpenGL). Drawn with the first real cloud, that cost lands on the opening
of a project, once per view. `rehearse` draws a frame of a few hundred points, coloured by a scalar and by
class, with boxes of every kind (selected, other, proposal, flagged, labelled) and the ground grid, in a
renderer of its own while the view's layers are set aside (`LayeredPicture.aside`), with buffer swaps
off: the programs are compiled then (the window compiles a program once for all the actors that need
it), nothing of it is ever seen, and the view's own content is left as it was.
"""

from __future__ import annotations

import logging

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.render._vtk import vtkProp, vtkRenderer
from annotator.render.cloud import PreparedCloud, prepare_cloud
from annotator.render.colors import COLORMAP_OF_MODE, lookup_table
from annotator.render.cuboids import CuboidItem, CuboidLayer, inside_points
from annotator.render.layers import LayeredPicture
from annotator.render.overlays import ColorBar, GroundOverlay
from annotator.render.points import PointLayer
from annotator.render.style import DisplayOptions

logger = logging.getLogger(__name__)

#: Points of the rehearsal cloud (a few hundred: drawing them costs nothing).
POINTS = 400


def rehearsal_frame() -> tuple[PreparedCloud, list[CuboidItem]]:
    """A tiny cloud (height, intensity and RGB colours) and boxes of every kind around some of its
    points; the first box is the one to select."""
    rng = np.random.default_rng(0)
    xyz = (rng.random((POINTS, 3)) * [8.0, 8.0, 2.0] - [4.0, 4.0, 1.0]).astype(np.float32)
    fields = {
        "intensity": rng.random(POINTS).astype(np.float32),
        "rgb": rng.integers(0, 256, (POINTS, 3), dtype=np.uint8),
    }
    cloud = prepare_cloud(xyz, fields, lod_budget=POINTS)
    boxes = [
        CuboidItem(-1, Cuboid((0.0, 0.0, 0.0), (2.0, 1.5, 1.5), 0.3), (255, 140, 0), "Car"),
        CuboidItem(-2, Cuboid((2.5, 2.5, 0.0), (1.0, 1.0, 1.5), 0.0), (0, 160, 255), "Pedestrian"),
        CuboidItem(-3, Cuboid((-2.5, 2.0, 0.0), (1.5, 1.0, 1.2), 0.0), (0, 200, 0), "Cyclist", proposal=True),
        CuboidItem(-4, Cuboid((-2.0, -2.5, 0.0), (2.0, 1.0, 1.0), 0.5), (200, 0, 200), "Truck", flagged=True),
    ]
    return cloud, boxes


def rehearsal_props(options: DisplayOptions) -> list[vtkProp]:
    """The props of the rehearsal frame, drawn with the point size of ``options``: points coloured by height,
    highlighted points coloured by class, boxes of every kind with labels, the ground grid and rings and
    the colour bar."""
    cloud, items = rehearsal_frame()
    points, highlight = PointLayer(), PointLayer()
    points.set_points(cloud.full())
    lut = lookup_table(COLORMAP_OF_MODE["height"], cloud.ranges["height"])
    points.set_coloring("height", lut)
    points.set_point_size(options.point_size)
    highlight.set_points(inside_points(cloud, items))
    highlight.set_coloring("class", None)
    highlight.set_point_size(options.point_size + 1.0)
    boxes = CuboidLayer()
    boxes.set_items(items, items[0].id)
    boxes.set_labels_visible(True)
    ground = GroundOverlay()
    ground.set_extent(cloud.bounds, cloud.ground_z)
    ground.set_visible(True, True)
    bar = ColorBar()
    bar.set_table(lut, "Height")
    return [points.actor, highlight.actor, *boxes.props, *ground.props, bar.actor]


def rehearse(picture: LayeredPicture, options: DisplayOptions, parallel: bool) -> bool:
    """Draw the rehearsal frame once in ``picture``'s window, unseen, with the point size of ``options``
    and a parallel or perspective camera; False when the picture has no window yet."""
    window = picture.window
    if window is None:
        return False
    renderer = vtkRenderer()
    for prop in rehearsal_props(options):
        renderer.AddViewProp(prop)
    renderer.GetActiveCamera().SetParallelProjection(parallel)
    renderer.ResetCamera()
    swap = window.GetSwapBuffers()
    with picture.aside(renderer):
        window.SwapBuffersOff()
        try:
            window.Render()
        finally:
            window.SetSwapBuffers(swap)
    return True
