"""The everyday commands: add, change and remove frames, tracks and annotations; schema and settings.

Each is a `Command` for `UndoStack.push`. Records passed in with ``id=0`` get a fresh id when the
command runs; the ids given out are in ``command.ids`` afterwards.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from annotator.core.derived_links import derived_boxes, follow_review
from annotator.core.model.commands import Command
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, FrameStatus, Track
from annotator.core.model.schema import LabelSchema
from annotator.core.static_tracks import follow_static

logger = logging.getLogger(__name__)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _noun(annotations: Sequence[Annotation]) -> str:
    kinds = {a.kind for a in annotations}
    if kinds == {"box2d"}:
        return "2D box"
    if kinds == {"cuboid"}:
        return "cuboid"
    return "annotation"


class AddFrames(Command):
    """Add frames (ids 0 are assigned)."""

    def __init__(self, frames: Iterable[Frame]) -> None:
        self.frames = list(frames)
        self.ids: list[int] = []
        self.label = f"Add {_plural(len(self.frames), 'frame')}"

    def do(self, project: Project) -> None:
        self.ids = []
        for frame in self.frames:
            frame_id = frame.id or project.new_id("frame")
            project.put("frame", frame_id, dataclasses.replace(frame, id=frame_id))
            self.ids.append(frame_id)


class UpdateFrame(Command):
    """Change fields of one frame (e.g. ``status``, ``cameras``)."""

    def __init__(self, frame_id: int, label: str = "Edit frame", **changes: Any) -> None:
        self.frame_id = frame_id
        self.changes = changes
        self.label = label

    def do(self, project: Project) -> None:
        frame = project.frames[self.frame_id]
        project.put("frame", self.frame_id, dataclasses.replace(frame, **self.changes))


class SetFrameStatus(UpdateFrame):
    """Mark a frame new, in progress or verified."""

    def __init__(self, frame_id: int, status: FrameStatus) -> None:
        super().__init__(frame_id, f"Mark frame {FrameStatus(status).value.replace('_', ' ')}", status=status)


class SetFramesStatus(Command):
    """Mark several frames new, in progress or verified in one step (frames already so are left alone)."""

    def __init__(self, frame_ids: Iterable[int], status: FrameStatus) -> None:
        self.frame_ids = list(frame_ids)
        self.status = FrameStatus(status)
        self.label = f"Mark {_plural(len(self.frame_ids), 'frame')} {self.status.value.replace('_', ' ')}"

    def do(self, project: Project) -> None:
        for frame_id in self.frame_ids:
            frame = project.frames[frame_id]
            if frame.status != self.status:
                project.put("frame", frame_id, dataclasses.replace(frame, status=self.status))


class RemoveFrames(Command):
    """Remove frames together with their annotations."""

    def __init__(self, frame_ids: Iterable[int]) -> None:
        self.frame_ids = list(frame_ids)
        self.label = f"Remove {_plural(len(self.frame_ids), 'frame')}"

    def do(self, project: Project) -> None:
        for frame_id in self.frame_ids:
            for annotation in project.annotations_of(frame_id):
                project.delete("annotation", annotation.id)
            project.delete("frame", frame_id)


class AddTrack(Command):
    """Create a track (object identity) of a class."""

    def __init__(self, class_name: str, attributes: dict[str, Any] | None = None) -> None:
        self.class_name = class_name
        self.attributes = attributes or {}
        self.id = 0
        self.label = f"Add {class_name} track"

    def do(self, project: Project) -> None:
        self.id = project.new_id("track")
        project.put("track", self.id, Track(self.id, self.class_name, dict(self.attributes)))


def ensure_track(project: Project, annotation: Annotation) -> Annotation:
    """The annotation with a track: its own if it has one (created if missing), else a new one."""
    track_id = annotation.track_id
    if track_id is None or track_id == 0:
        track_id = project.new_id("track")
    if track_id not in project.tracks:
        project.put("track", track_id, Track(track_id, annotation.class_name))
    return dataclasses.replace(annotation, track_id=track_id)


class AddAnnotations(Command):
    """Add annotations (ids 0 are assigned; annotations without a track get a new track)."""

    def __init__(self, annotations: Iterable[Annotation], label: str | None = None) -> None:
        self.annotations = list(annotations)
        self.ids: list[int] = []
        self.label = label or f"Add {_plural(len(self.annotations), _noun(self.annotations))}"

    def do(self, project: Project) -> None:
        self.ids = []
        for annotation in self.annotations:
            annotation_id = annotation.id or project.new_id("annotation")
            annotation = ensure_track(project, dataclasses.replace(annotation, id=annotation_id))
            project.put("annotation", annotation_id, annotation)
            self.ids.append(annotation_id)


class UpdateAnnotations(Command):
    """Replace annotations by edited versions (same ids). Give ``merge_key`` for drags.

    A moved cuboid of a static track takes the track's other cuboids along (`follow_static`).
    """

    def __init__(
        self, annotations: Iterable[Annotation], label: str = "Edit annotation", merge_key: Any = None
    ) -> None:
        self.annotations = list(annotations)
        self.label = label
        self.merge_key = merge_key

    def do(self, project: Project) -> None:
        for annotation in self.annotations:
            if annotation.id not in project.annotations:
                raise KeyError(f"annotation {annotation.id} does not exist")
            moved = project.annotations[annotation.id].cuboid != annotation.cuboid
            project.put("annotation", annotation.id, ensure_track(project, annotation))
            for follower in follow_static(project, annotation) if moved else ():
                project.put("annotation", follower.id, follower)
        follow_review(project, [a.id for a in self.annotations if a.kind == "cuboid"])


def update_annotation(
    project: Project,
    annotation_id: int,
    label: str = "Edit annotation",
    merge_key: Any = None,
    **changes: Any,
) -> UpdateAnnotations:
    """A command changing fields of one annotation (e.g. ``cuboid=...``, ``class_name=...``)."""
    current = project.annotations[annotation_id]
    return UpdateAnnotations([dataclasses.replace(current, **changes)], label, merge_key)


class RemoveAnnotations(Command):
    """Remove annotations (tracks left without annotations are removed too); a removed cuboid takes the
    2D boxes derived from it along."""

    def __init__(self, annotation_ids: Iterable[int], label: str | None = None) -> None:
        self.annotation_ids = list(annotation_ids)
        self.label = label or f"Delete {_plural(len(self.annotation_ids), 'annotation')}"

    def do(self, project: Project) -> None:
        touched_tracks = set()
        derived = [a.id for a in derived_boxes(project, self.annotation_ids)]
        for annotation_id in [*self.annotation_ids, *derived]:
            annotation = project.annotations.get(annotation_id)
            if annotation is None:
                continue
            touched_tracks.add(annotation.track_id)
            project.delete("annotation", annotation_id)
        still_used = {a.track_id for a in project.annotations.values()}
        for track_id in touched_tracks - still_used - {None}:
            project.delete("track", track_id)


class SetSchema(Command):
    """Replace the label schema."""

    def __init__(self, schema: LabelSchema, label: str = "Edit label classes") -> None:
        self.schema = schema
        self.label = label

    def do(self, project: Project) -> None:
        project.put("schema", "schema", self.schema)


class SetSetting(Command):
    """Change a project setting (e.g. ``nine_dof``)."""

    def __init__(self, name: str, value: Any) -> None:
        self.name = name
        self.value = value
        self.label = f"Set {name.replace('_', ' ')}"

    def do(self, project: Project) -> None:
        project.put("setting", self.name, self.value)
