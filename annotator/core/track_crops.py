"""A track seen box by box: the points around each of its cuboids, in the box's own axes, and one size
for the whole track.

The batch view of a track (a strip of crops over frames) draws, for each frame, only the points near
the track's box there (`crop_points`), turned into the box's axes (`crop_view`: the top view and the side
view both with the box's front to the right, so they line up one above the other), at one scale for the
whole track (`crop_extent`). `size_track` gives every
cuboid of a track one size as one undoable command (centres kept; upright boxes keep their bottom).
Pure numpy; no Qt.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import UpdateAnnotations
from annotator.core.model.project import Project

logger = logging.getLogger(__name__)

#: How far around a box its crop reaches (metres), at least; long boxes get a quarter of their length.
CROP_MARGIN = 1.5
#: Views of a crop: axes of the box frame drawn across (to the right) and up the view.
VIEWS = {"top": (0, 1), "side": (0, 2)}
#: Room (m) the side view leaves above and below a box.
SIDE_MARGIN = 0.5


def crop_margin(cuboid: Cuboid) -> float:
    """How far (m) around ``cuboid`` its crop reaches."""
    return max(CROP_MARGIN, 0.25 * float(max(cuboid.size)))


def crop_points(xyz: np.ndarray, cuboid: Cuboid, margin: float | None = None) -> np.ndarray:
    """The points (M, 3) of ``xyz`` within ``margin`` (default `crop_margin`) of ``cuboid``, as they are."""
    pts = np.asarray(xyz)[:, :3]
    reach = crop_margin(cuboid) if margin is None else margin
    return np.asarray(pts[cuboid.points_inside(pts, margin=reach)], dtype=np.float32)


def crop_view(points: np.ndarray, frame: Cuboid, view: str) -> np.ndarray:
    """Points (M, 3) in ``frame``'s box axes as (across, up) of a view (M, 2): ``"top"`` puts the box's
    front to the right and its left side up, ``"side"`` its front to the right and its top up."""
    local = frame.world_to_box(np.asarray(points, dtype=np.float64)[:, :3])
    across, up = VIEWS[view]
    return np.column_stack([local[:, across], local[:, up]])


def box_outline(box: Cuboid, frame: Cuboid, view: str) -> np.ndarray:
    """The outline (4, 2) of ``box`` in ``frame``'s view (see `crop_view`), its front edge first: the
    bird's-eye rectangle (top) or the side rectangle (side)."""
    half = np.asarray(box.size) / 2.0
    if view == "top":
        signs = np.array([[1, 1, 0], [1, -1, 0], [-1, -1, 0], [-1, 1, 0]])
    else:
        signs = np.array([[1, 0, -1], [1, 0, 1], [-1, 0, 1], [-1, 0, -1]])
    return crop_view(box.box_to_world(signs * half), frame, view)


def crop_extent(cuboids: list[Cuboid]) -> tuple[float, float, float]:
    """The room (m) every crop of a track is drawn in, along the box, across it and up: the largest box
    with its margin (the side view: `SIDE_MARGIN` above and below)."""
    if not cuboids:
        return (2.0 * CROP_MARGIN,) * 3
    return (
        max(float(c.size[0]) + 2.0 * crop_margin(c) for c in cuboids),
        max(float(c.size[1]) + 2.0 * crop_margin(c) for c in cuboids),
        max(float(c.size[2]) + 2.0 * SIDE_MARGIN for c in cuboids),
    )


def sized(cuboid: Cuboid, size: tuple[float, float, float]) -> Cuboid:
    """``cuboid`` with ``size`` about its centre; an upright box keeps its bottom on the ground."""
    new = cuboid.replace(size=tuple(float(s) for s in size))
    if cuboid.is_7dof:
        bottom = cuboid.center[2] - cuboid.size[2] / 2.0
        new = new.replace(center=(cuboid.center[0], cuboid.center[1], bottom + float(size[2]) / 2.0))
    return new


def size_track(
    project: Project,
    track_id: int,
    size: tuple[float, float, float],
    exact: Mapping[int, Cuboid] | None = None,
    label: str | None = None,
    merge_key: Any = None,
) -> UpdateAnnotations | None:
    """One command giving every cuboid of the track ``size`` (None when all have it already); the
    annotations in ``exact`` get the cuboid given there instead (e.g. the box whose edge was dragged).
    Commands with the same ``merge_key`` (one held key) merge into one undo step."""
    exact = exact or {}
    changed = []
    for annotation in project.annotations_of_track(track_id):
        if annotation.cuboid is None:
            continue
        new = exact.get(annotation.id) or sized(annotation.cuboid, size)
        if new != annotation.cuboid:
            changed.append(dataclasses.replace(annotation, cuboid=new))
    if not changed:
        return None
    length, width, height = size
    text = label or f"Size track {track_id} to {length:.2f} x {width:.2f} x {height:.2f} m"
    return UpdateAnnotations(changed, text, merge_key)
