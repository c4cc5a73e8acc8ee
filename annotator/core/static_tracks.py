"""Static tracks: objects that do not move in the world (parked cars, poles, signs).

A track is static when its record carries ``attributes["static"]``. Editing one box of a static track
edits all of them (`follow_static`): every other cuboid of the track becomes the same box in the world
(re-expressed in its own frame's coordinates through the frames' ego poses; frames without poses, in a
sequence without poses, take the same box). `set_static` flags or unflags a track as one command.
"""

from __future__ import annotations

import dataclasses
import logging

from annotator.core.model.commands import Command
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation
from annotator.core.world import move_between

logger = logging.getLogger(__name__)

STATIC = "static"


def is_static(project: Project, track_id: int | None) -> bool:
    """True when the track is flagged static (it does not move in the world)."""
    track = project.tracks.get(track_id) if track_id is not None else None
    return bool(track is not None and track.attributes.get(STATIC))


def follow_static(project: Project, edited: Annotation) -> list[Annotation]:
    """The other cuboids of ``edited``'s static track moved to where ``edited`` is in the world.

    Empty when the track is not static or ``edited`` has no cuboid. A cuboid in a frame whose pose is
    missing while ``edited``'s frame has one (or the other way round) is left alone.
    """
    if edited.cuboid is None or not is_static(project, edited.track_id):
        return []
    source = project.frames[edited.frame_id].pose
    followers = []
    for other in project.annotations_of_track(edited.track_id):
        if other.id == edited.id or other.cuboid is None:
            continue
        target = project.frames[other.frame_id].pose
        if (source is None) != (target is None):
            continue
        moved = edited.cuboid if source is None else move_between(edited.cuboid, source, target)
        if moved != other.cuboid:
            followers.append(dataclasses.replace(other, cuboid=moved))
    return followers


class SetStatic(Command):
    """Flag a track static (its boxes then move together in the world) or unflag it; one step."""

    def __init__(self, track_id: int, static: bool) -> None:
        self.track_id = track_id
        self.static = static
        self.label = f"{'Mark' if static else 'Unmark'} track {track_id} static"

    def do(self, project: Project) -> None:
        track = project.tracks.get(self.track_id)
        if track is None:
            raise KeyError(f"track {self.track_id} does not exist")
        attributes = {k: v for k, v in track.attributes.items() if k != STATIC}
        if self.static:
            attributes[STATIC] = True
        project.put("track", track.id, dataclasses.replace(track, attributes=attributes))
