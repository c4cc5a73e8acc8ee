"""A track along the sequence: which frames hold a keyframe of it, an interpolated box, or nothing; and
the two edits of a track timeline, setting and clearing a keyframe in one frame.

Setting a keyframe where the track has an interpolated box makes that box a keyframe; where it has none,
a keyframe is made from its neighbours (blended between the keyframes around the frame, else a copy of
the nearest one). Clearing a keyframe between two others leaves an interpolated box there; elsewhere
the box is removed. Each edit is one command (undoable).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from enum import StrEnum

from annotator.core.edits import AddAnnotations, RemoveAnnotations, UpdateAnnotations
from annotator.core.model.commands import Command
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Provenance, Source
from annotator.core.tracks import blend

logger = logging.getLogger(__name__)


class Cell(StrEnum):
    """What one frame holds of a track."""

    KEYFRAME = "keyframe"
    INTERPOLATED = "interpolated"
    MISSING = "missing"


@dataclass(frozen=True)
class TimelineCell:
    """One frame of a track's timeline: the frame, what it holds and the track's cuboid there."""

    frame: Frame
    state: Cell
    annotation: Annotation | None = None


def track_cells(project: Project, track_id: int) -> list[TimelineCell]:
    """The track's state in every frame, in sequence order (cuboids only)."""
    by_frame = {
        a.frame_id: a for a in project.annotations.values() if a.track_id == track_id and a.cuboid is not None
    }
    cells = []
    for frame in project.frames_in_order():
        annotation = by_frame.get(frame.id)
        if annotation is None:
            cells.append(TimelineCell(frame, Cell.MISSING))
        else:
            state = Cell.KEYFRAME if annotation.keyframe else Cell.INTERPOLATED
            cells.append(TimelineCell(frame, state, annotation))
    return cells


def _neighbours(cells: list[TimelineCell], position: int) -> tuple[int | None, int | None]:
    """Positions of the nearest keyframes before and after ``position``."""
    before = next((k for k in range(position - 1, -1, -1) if cells[k].state is Cell.KEYFRAME), None)
    after = next((k for k in range(position + 1, len(cells)) if cells[k].state is Cell.KEYFRAME), None)
    return before, after


def _between(cells: list[TimelineCell], position: int, before: int, after: int) -> Annotation:
    """The keyframe at ``before`` blended toward the one at ``after`` for ``position`` (by frame order)."""
    first, last = cells[before].annotation, cells[after].annotation
    assert first is not None and last is not None and first.cuboid is not None and last.cuboid is not None
    cuboid = blend(first.cuboid, last.cuboid, (position - before) / (after - before))
    return dataclasses.replace(first, cuboid=cuboid)


def set_keyframe(project: Project, track_id: int, frame_id: int) -> Command | None:
    """A command making the track's box in ``frame_id`` a keyframe (made from its neighbours when the
    frame has none); None when it is a keyframe already or the track has no keyframe to start from."""
    cells = track_cells(project, track_id)
    position = next((k for k, c in enumerate(cells) if c.frame.id == frame_id), None)
    if position is None or cells[position].state is Cell.KEYFRAME:
        return None
    current = cells[position].annotation
    if current is not None:
        return UpdateAnnotations([dataclasses.replace(current, keyframe=True)], "Set keyframe")
    before, after = _neighbours(cells, position)
    if before is not None and after is not None:
        source = _between(cells, position, before, after)
    elif before is not None or after is not None:
        nearest = cells[before if before is not None else after].annotation
        assert nearest is not None
        source = nearest
    else:
        return None
    made = dataclasses.replace(
        source,
        id=0,
        frame_id=frame_id,
        keyframe=True,
        provenance=Provenance(Source.PROPAGATED),
        uncertainty=None,
    )
    return AddAnnotations([made], "Set keyframe")


def clear_keyframe(project: Project, track_id: int, frame_id: int) -> Command | None:
    """A command clearing the track's keyframe in ``frame_id``: interpolated from the keyframes around it
    when there are some on both sides, else removed; None when the frame holds no keyframe of it."""
    cells = track_cells(project, track_id)
    position = next((k for k, c in enumerate(cells) if c.frame.id == frame_id), None)
    if position is None or cells[position].state is not Cell.KEYFRAME:
        return None
    current = cells[position].annotation
    assert current is not None
    before, after = _neighbours(cells, position)
    if before is None or after is None:
        return RemoveAnnotations([current.id], "Clear keyframe")
    blended = _between(cells, position, before, after)
    interpolated = dataclasses.replace(
        current, cuboid=blended.cuboid, keyframe=False, provenance=Provenance(Source.INTERPOLATED)
    )
    return UpdateAnnotations([interpolated], "Clear keyframe")
