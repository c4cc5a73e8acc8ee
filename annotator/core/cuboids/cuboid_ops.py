"""Small exact edits of one cuboid in its own frame: move, rotate, resize, flip, quarter turn.

Pure functions of a `Cuboid` (no project, no Qt); the keyboard editor and the step benchmark build on
them, and `edit_cuboids` turns any of them into one undoable command for several annotations.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.rotation import wrap_angle
from annotator.core.edits import UpdateAnnotations
from annotator.core.model.project import Project

logger = logging.getLogger(__name__)

#: Index of each named dimension in ``Cuboid.size`` and of each box axis.
AXES = {"length": 0, "width": 1, "height": 2}

#: Smallest size a resize leaves (metres).
MIN_EDGE = 0.05


def move_local(cuboid: Cuboid, forward: float = 0.0, left: float = 0.0, up: float = 0.0) -> Cuboid:
    """The cuboid moved along its own axes (forward = +x of the box, left = +y, up = +z), in metres."""
    offset = cuboid.rotation @ np.array([forward, left, up], dtype=np.float64)
    return cuboid.replace(center=tuple(np.asarray(cuboid.center) + offset))


def rotate(cuboid: Cuboid, yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0) -> Cuboid:
    """The cuboid turned about its centre by angle steps (radians) added to yaw, pitch and roll."""
    return cuboid.replace(
        yaw=wrap_angle(cuboid.yaw + yaw),
        pitch=wrap_angle(cuboid.pitch + pitch),
        roll=wrap_angle(cuboid.roll + roll),
    )


def resize(cuboid: Cuboid, dimension: str, delta: float) -> Cuboid:
    """The cuboid with one dimension (``length``, ``width``, ``height``) grown by ``delta`` metres.

    The centre stays (both faces move by half the step); the size never drops below `MIN_EDGE`.
    """
    size = list(cuboid.size)
    index = AXES[dimension]
    size[index] = max(MIN_EDGE, size[index] + delta)
    return cuboid.replace(size=tuple(size))


def flip_heading(cuboid: Cuboid) -> Cuboid:
    """The same box facing the other way (yaw + 180 degrees; pitch and roll change sign)."""
    return cuboid.replace(yaw=wrap_angle(cuboid.yaw + math.pi), pitch=-cuboid.pitch, roll=-cuboid.roll)


def quarter_turn(cuboid: Cuboid) -> Cuboid:
    """The same footprint with the heading turned 90 degrees left: length and width swap."""
    length, width, height = cuboid.size
    return cuboid.replace(yaw=wrap_angle(cuboid.yaw + math.pi / 2.0), size=(width, length, height))


def edit_cuboids(
    project: Project,
    annotation_ids: Iterable[int],
    edit: Callable[[Cuboid], Cuboid],
    label: str,
    merge_key: Any = None,
    keyframe: bool = True,
) -> UpdateAnnotations | None:
    """One command applying ``edit`` to the cuboids of ``annotation_ids`` (None when nothing changes).

    An edited annotation becomes a keyframe (a human placed it) unless ``keyframe`` is False.
    """
    updated = []
    for annotation_id in annotation_ids:
        annotation = project.annotations.get(annotation_id)
        if annotation is None or annotation.cuboid is None:
            continue
        cuboid = edit(annotation.cuboid)
        if cuboid == annotation.cuboid:
            continue
        changes: dict[str, Any] = {"cuboid": cuboid}
        if keyframe:
            changes["keyframe"] = True
        updated.append(dataclasses.replace(annotation, **changes))
    if not updated:
        return None
    return UpdateAnnotations(updated, label, merge_key)
