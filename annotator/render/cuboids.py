"""Cuboid actors: wireframes in class colours with a heading marker, the selection, and text labels."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from annotator.core.cuboids.cuboid import CORNER_SIGNS, CUBOID_EDGES, Cuboid
from annotator.core.cuboids.point_index import take_rows
from annotator.core.cuboids.rotation import rotation_matrices
from annotator.render._vtk import (
    vtkActor,
    vtkActor2D,
    vtkLabeledDataMapper,
    vtkPolyData,
    vtkPolyDataMapper,
    vtkStringArray,
)
from annotator.render.cloud import STAND_IN_TESTS, PointSet, PreparedCloud
from annotator.render.dashes import dash_segments
from annotator.render.polydata import colour_array, line_polydata, moved_points, vtk_points
from annotator.render.shared import SharedGeometry

logger = logging.getLogger(__name__)

#: Extra segments per cuboid, as index pairs into its 10 vertices (8 corners, centre, nose): the
#: diagonals of the front (+x) face and a line from the centre out through the front face (the
#: heading marker, visible from above and from the side).
_MARKER_SEGMENTS = ((0, 7), (3, 4), (8, 9))
_SEGMENTS = np.array([*CUBOID_EDGES, *_MARKER_SEGMENTS], dtype=np.int64)


@dataclass(frozen=True)
class CuboidItem:
    """A cuboid to draw: annotation id, box, class colour (RGB 0-255), label text, and whether it is an
    unreviewed model proposal (drawn dashed, thinner and translucent), and whether it is flagged as
    uncertain (outlined in `FLAG_COLOR` a little outside the box)."""

    id: int
    cuboid: Cuboid
    color: tuple[int, int, int]
    label: str = ""
    proposal: bool = False
    flagged: bool = False


def cuboid_vertices(cuboid: Cuboid) -> np.ndarray:
    """The 10 wireframe vertices (10, 3): the corners, the centre, and the nose just ahead of the front."""
    return wireframe_vertices([cuboid])


def wireframe_vertices(cuboids: Sequence[Cuboid]) -> np.ndarray:
    """`cuboid_vertices` of K cuboids at once, (10K, 3): one batch of numpy work, not K small ones."""
    if not cuboids:
        return np.zeros((0, 3))
    numbers = np.array([(*c.center, *c.size, c.yaw, c.pitch, c.roll) for c in cuboids], dtype=np.float64)
    centers, sizes = numbers[:, 0:3], numbers[:, 3:6]
    reach = sizes[:, 0] / 2.0 + np.maximum(0.3, 0.15 * sizes[:, 0])
    local = np.zeros((len(cuboids), 10, 3))
    local[:, :8] = CORNER_SIGNS[None] * (sizes[:, None, :] / 2.0)
    local[:, 9, 0] = reach
    rotations = rotation_matrices(numbers[:, 6], numbers[:, 7], numbers[:, 8])
    world = np.einsum("kij,kvj->kvi", rotations, local) + centers[:, None, :]
    return world.reshape(-1, 3)


def wireframe(items: Sequence[CuboidItem]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertices (10K, 3), segments (15K, 2) and segment colours (15K, 3) uint8 of K cuboids."""
    if not items:
        return np.zeros((0, 3)), np.zeros((0, 2), dtype=np.int64), np.zeros((0, 3), dtype=np.uint8)
    vertices = wireframe_vertices([item.cuboid for item in items])
    offsets = np.arange(len(items))[:, None, None] * 10
    segments = (_SEGMENTS[None, :, :] + offsets).reshape(-1, 2)
    colors = np.repeat(np.array([item.color for item in items], dtype=np.uint8), len(_SEGMENTS), axis=0)
    return vertices, segments, colors


def wireframe_polydata(items: Sequence[CuboidItem], dashed: bool = False) -> vtkPolyData:
    """The wireframes of ``items`` as VTK lines with per-segment colours (cut into dashes when asked)."""
    vertices, segments, colors = wireframe(items)
    if dashed:
        vertices, segments, source = dash_segments(vertices, segments)
        colors = colors[source]
    polydata = line_polydata(vertices, segments)
    polydata.GetCellData().SetScalars(colour_array(colors))
    return polydata


def _line_actor(width: float) -> tuple[vtkPolyDataMapper, vtkActor]:
    mapper = vtkPolyDataMapper()
    mapper.SetScalarModeToUseCellData()
    mapper.SetColorModeToDirectScalars()
    actor = vtkActor()
    actor.SetMapper(mapper)
    prop = actor.GetProperty()
    prop.SetLineWidth(width)
    prop.LightingOff()
    actor.VisibilityOff()
    return mapper, actor


def _brighter(color: tuple[int, int, int], amount: float = 0.45) -> tuple[int, int, int]:
    r, g, b = (round(c + (255 - c) * amount) for c in color)
    return r, g, b


#: Opacity of proposals' dashed wireframes.
PROPOSAL_OPACITY = 0.8
#: Flagged (uncertain) boxes get an outline in this colour (amber), this far outside the box (m).
FLAG_COLOR = (255, 176, 0)
FLAG_MARGIN = 0.25


def flag_outline(items: Sequence[CuboidItem]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 12 edges of each flagged cuboid grown by `FLAG_MARGIN` on every side, in `FLAG_COLOR`."""
    cuboids = [item.cuboid for item in items if item.flagged]
    if not cuboids:
        return np.zeros((0, 3)), np.zeros((0, 2), dtype=np.int64), np.zeros((0, 3), dtype=np.uint8)
    grown = [
        Cuboid(c.center, tuple(s + 2 * FLAG_MARGIN for s in c.size), c.yaw, c.pitch, c.roll) for c in cuboids
    ]
    vertices = np.concatenate([c.corners() for c in grown])
    edges = np.asarray(CUBOID_EDGES, dtype=np.int64)
    segments = (edges[None, :, :] + np.arange(len(grown))[:, None, None] * 8).reshape(-1, 2)
    colors = np.broadcast_to(np.array(FLAG_COLOR, dtype=np.uint8), (len(segments), 3)).copy()
    return vertices, segments, colors


class CuboidLayer:
    """All cuboids of a frame in one line actor, proposals dashed in another, the selected one thicker,
    and optional labels."""

    def __init__(self, line_width: float = 2.0, shared: SharedGeometry | None = None) -> None:
        self._shared = shared if shared is not None else SharedGeometry()
        self._mapper, self.actor = _line_actor(line_width)
        self._proposal_mapper, self.proposal_actor = _line_actor(max(1.0, line_width * 0.75))
        self.proposal_actor.GetProperty().SetOpacity(PROPOSAL_OPACITY)
        self._selected_mapper, self.selected_actor = _line_actor(line_width * 2.0)
        self._flag_mapper, self.flag_actor = _line_actor(max(1.0, line_width * 0.75))
        self._label_mapper = vtkLabeledDataMapper()
        self._label_mapper.SetLabelModeToLabelFieldData()
        self._label_mapper.SetFieldDataName("labels")
        text = self._label_mapper.GetLabelTextProperty()
        text.SetFontSize(13)
        text.SetColor(1.0, 1.0, 1.0)
        text.ShadowOn()
        text.BoldOn()
        self.label_actor = vtkActor2D()
        self.label_actor.SetMapper(self._label_mapper)
        self.label_actor.VisibilityOff()
        self._labels_visible = False
        self._items: list[CuboidItem] = []
        self._selected: int | None = None
        self._label_room: LabelRoom | None = None
        self._filled: dict[str, list] = {}  # per actor role: what its geometry was made of

    @property
    def props(self) -> list[object]:
        """The actors to add to a renderer."""
        return [self.actor, self.proposal_actor, self.selected_actor, self.flag_actor, self.label_actor]

    @property
    def items(self) -> list[CuboidItem]:
        """The cuboids drawn."""
        return list(self._items)

    def set_items(
        self, items: Sequence[CuboidItem], selected: int | None = None, also: Sequence[int] = ()
    ) -> None:
        """Draw ``items``; the one with id ``selected`` (and those in ``also``, a multi-selection) is
        drawn thicker and brighter.

        Only the actors whose cuboids changed get new geometry (selecting another box refills the
        selection and the role it left, not every box; a new proposal leaves the accepted boxes alone).
        """
        self._items = list(items)
        self._selected = selected
        picked = {selected, *also}
        others = [item for item in self._items if item.id not in picked]
        chosen = [replace(item, color=_brighter(item.color)) for item in self._items if item.id in picked]
        self._fill("boxes", self._mapper, self.actor, [item for item in others if not item.proposal])
        proposals = [item for item in others if item.proposal]
        self._fill("proposals", self._proposal_mapper, self.proposal_actor, proposals, dashed=True)
        dashed = any(i.proposal for i in chosen)
        self._fill("selected", self._selected_mapper, self.selected_actor, chosen, dashed=dashed)
        self._fill_flags()
        self._fill_labels()

    def set_labels_visible(self, visible: bool) -> None:
        """Show or hide the class/track labels."""
        self._labels_visible = visible
        self._fill_labels()

    def set_label_room(self, room: LabelRoom | None) -> None:
        """Keep labels from piling on each other: only those whose text has room are drawn (None: all)."""
        self._label_room = room
        self._fill_labels()

    def _unchanged(self, role: str, content: list) -> bool:
        """True when ``role``'s actor already shows ``content``; else remember it as shown."""
        if self._filled.get(role) == content:
            return True
        self._filled[role] = content
        return False

    def _fill(
        self,
        role: str,
        mapper: vtkPolyDataMapper,
        actor: vtkActor,
        items: Sequence[CuboidItem],
        dashed: bool = False,
    ) -> None:
        if self._unchanged(role, [dashed, *items]):
            return  # the same boxes: the actor keeps its geometry
        if not items:
            actor.VisibilityOff()
            return
        key = ("wireframe", dashed, tuple(items))
        mapper.SetInputData(self._shared.get(key, lambda: wireframe_polydata(items, dashed)))
        actor.VisibilityOn()

    def _fill_flags(self) -> None:
        if self._unchanged("flags", [item.cuboid for item in self._items if item.flagged]):
            return
        vertices, segments, colors = flag_outline(self._items)
        if not len(segments):
            self.flag_actor.VisibilityOff()
            return
        polydata = line_polydata(vertices, segments)
        polydata.GetCellData().SetScalars(colour_array(colors))
        self._flag_mapper.SetInputData(polydata)
        self.flag_actor.VisibilityOn()

    def _fill_labels(self) -> None:
        items = [item for item in self._items if item.label] if self._labels_visible else []
        if self._label_room is not None:
            items = self._label_room.uncluttered(items)
        before = [label for label, _ in self._filled.get("labels", [])]
        if self._unchanged("labels", [(item.label, item.cuboid) for item in items]):
            return
        if not items:
            self.label_actor.VisibilityOff()
            return
        anchors = np.array(
            [(*item.cuboid.center[:2], item.cuboid.z_range()[1] + 0.3) for item in items], dtype=np.float32
        )
        same_labels = self.label_actor.GetVisibility() and before == [item.label for item in items]
        if same_labels and moved_points(self._label_mapper.GetInput(), anchors):  # moved boxes
            return
        polydata = vtkPolyData()
        polydata.SetPoints(vtk_points(anchors))
        labels = vtkStringArray()
        labels.SetName("labels")
        for item in items:
            labels.InsertNextValue(item.label)
        polydata.GetPointData().AddArray(labels)
        self._label_mapper.SetInputData(polydata)
        self.label_actor.VisibilityOn()


@dataclass(frozen=True)
class LabelRoom:
    """How much room a label takes on screen, for a view that shows many boxes at once: world vectors
    along the screen's right and up (``right``, ``up``), metres per pixel, and the label's size in pixels
    (``char_px`` per character wide, ``line_px`` tall)."""

    right: tuple[float, float, float]
    up: tuple[float, float, float]
    metres_per_pixel: float
    char_px: float = 7.0
    line_px: float = 16.0

    def uncluttered(self, items: Sequence[CuboidItem]) -> list[CuboidItem]:
        """The labelled items whose labels do not overlap an earlier kept one (greedy, in the given
        order, so the same frame always shows the same labels)."""
        kept: list[tuple[float, float, float, CuboidItem]] = []
        right, up = np.asarray(self.right), np.asarray(self.up)
        for item in items:
            anchor = np.asarray(item.cuboid.center)
            u = float(anchor @ right) / self.metres_per_pixel
            v = float(anchor @ up) / self.metres_per_pixel
            width = self.char_px * len(item.label)
            clash = any(
                abs(u - ku) < (width + kw) / 2.0 and abs(v - kv) < self.line_px for ku, kv, kw, _ in kept
            )
            if not clash:
                kept.append((u, v, width, item))
        return [entry[3] for entry in kept]


def _also_in(indices: np.ndarray, within: np.ndarray) -> np.ndarray:
    """The sorted ``indices`` that are also in the sorted ``within`` (binary search: no mask the size of
    the cloud). The shorter array is looked up in the longer: a box of 300k points in a 100M cloud
    against a crop of 25k costs 25k searches, not 300k (6 ms instead of 36 under load)."""
    if len(within) == 0 or len(indices) == 0:
        return indices[:0]
    kind = indices.dtype
    if len(indices) > len(within):
        indices, within = within, indices  # the same intersection, found from the other side
    position = np.minimum(np.searchsorted(within, indices), len(within) - 1)
    return indices[within[position] == indices].astype(kind, copy=False)


def inside_points(
    cloud: PreparedCloud,
    items: Sequence[CuboidItem],
    within: np.ndarray | None = None,
    limit: int | None = None,
    quick: bool = False,
) -> PointSet:
    """The points inside each cuboid, coloured in its class colour (scalar ``"class"``, (K, 3) uint8).

    With ``within`` (sorted point indices), only points that are also in it are returned; with ``limit``,
    an even sample of at most that many (boxes in very dense clouds hold hundreds of thousands); with
    ``quick``, a box whose points are not found at once contributes a stand-in (see
    `PreparedCloud.stand_in`).
    """
    chunks: list[np.ndarray] = []
    owners: list[int] = []
    stand_in = False
    for number, item in enumerate(items):
        if quick and not cloud.inside_at_once(item.cuboid):
            indices = cloud.stand_in(item.cuboid, within)
            stand_in = stand_in or not _drawn_as_found(cloud, indices, within, limit)
        else:
            indices = cloud.inside(item.cuboid)
        if within is not None:
            indices = _also_in(indices, within)
        if len(indices):
            chunks.append(indices)
            owners.append(number)
    if not chunks:
        empty = np.zeros((0, 3), dtype=np.float32)
        return PointSet(empty, {"class": np.zeros((0, 3), dtype=np.uint8)}, stand_in)
    ends = np.cumsum([len(chunk) for chunk in chunks])
    step = 1 if limit is None else max(1, -(-int(ends[-1]) // limit))
    # An even sample (every step-th point; the boxes look just as filled), taken before anything is copied.
    picked = np.arange(0, int(ends[-1]), step)
    indices = np.concatenate(chunks)[picked]
    palette = np.array([items[number].color for number in owners], dtype=np.uint8)
    colours = palette[np.searchsorted(ends, picked, side="right")]
    return PointSet(take_rows(cloud.xyz, indices), {"class": np.ascontiguousarray(colours)}, stand_in)


def _drawn_as_found(
    cloud: PreparedCloud, stand_in: np.ndarray, within: np.ndarray | None, limit: int | None
) -> bool:
    """True when a box's stand-in (`PreparedCloud.stand_in`) draws what its exact points would: it is
    exact where the highlight is limited to points tested one by one (an orthographic crop, the
    camera-move sample), and as dense as the exact points' even sample of at most ``limit`` when it holds
    that many itself (the sample of the points copied out around a box in a 100M-point cloud: about 16,000
    of a car's 300,000 for a highlight of 10,000). Then the views need not draw the box again when the
    worker has found its points (only its count changes)."""
    if within is not None and (within is cloud.coarse or len(within) <= STAND_IN_TESTS):
        return True
    return limit is not None and len(stand_in) >= limit
