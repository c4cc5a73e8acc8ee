"""Turning a parsed `Dataset` into one undoable command: schema, frames, tracks and annotations.

The whole import is a single `FunctionCommand`, so one undo removes it and an error half-way changes
nothing (the project reverts the recorded changes and the store never sees them). Frames whose name the
project already has receive the imported objects; their cloud, images and calibration are filled in
where missing, never replaced. Importing the same labels again adds nothing: objects are matched to the
ones an earlier import made by their source ids (`matching`) and updated where the source changed.
"""

from __future__ import annotations

import dataclasses
import logging
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from annotator.core.model.commands import Editor, FunctionCommand
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Provenance, Review, Source, Track
from annotator.core.model.schema import LabelClass, LabelSchema
from annotator.io.errors import FormatError
from annotator.io.formats.base import Dataset, SourceFrame, SourceObject
from annotator.io.formats.files import name_problem
from annotator.io.importers.matching import SOURCE_ID, FrameMatcher, source_keys

logger = logging.getLogger(__name__)


@dataclass
class ImportReport:
    """What an import did."""

    label: str
    source: Path
    frames_added: int = 0
    frames_updated: int = 0
    tracks: int = 0
    objects_by_class: Counter[str] = field(default_factory=Counter)
    #: Objects that matched one an earlier import made: changed by the source / as they were.
    objects_updated: int = 0
    objects_unchanged: int = 0
    classes_added: list[str] = field(default_factory=list)
    problems: list[FormatError] = field(default_factory=list)

    @property
    def objects(self) -> int:
        """Objects imported in all."""
        return sum(self.objects_by_class.values())

    @property
    def objects_added(self) -> int:
        """Objects the project did not have before."""
        return self.objects - self.objects_updated - self.objects_unchanged


def import_label(dataset: Dataset) -> str:
    """The undo label of an import, e.g. ``Import KITTI (3 frames)``."""
    count = len(dataset.frames)
    return f"Import {dataset.title} ({count} frame{'' if count == 1 else 's'})"


def schema_with_classes(schema: LabelSchema, dataset: Dataset) -> tuple[LabelSchema, list[str]]:
    """``schema`` with the dataset's classes that it lacks appended (colour and median size from the data)."""
    used = dict(dataset.classes)
    for frame in dataset.frames:
        for obj in frame.objects:
            used.setdefault(obj.class_name, None)
    added = [name for name in used if name not in schema]
    sizes: dict[str, list[tuple[float, float, float]]] = {}
    for frame in dataset.frames:
        for obj in frame.objects:
            if obj.cuboid is not None and obj.class_name in added:
                sizes.setdefault(obj.class_name, []).append(obj.cuboid.size)
    for name in added:
        colour = used[name] or schema.next_color()
        samples = sizes.get(name)
        size = (
            tuple(statistics.median(s[i] for s in samples) for i in range(3)) if samples else (1.0, 1.0, 1.0)
        )
        schema = schema.with_class(LabelClass(name, colour, size))  # type: ignore[arg-type]
    return schema, added


def apply_dataset(editor: Editor, dataset: Dataset, author: str | None = None) -> ImportReport:
    """Add a parsed dataset to the project as one undoable step (pushed on ``editor``: a workspace or
    a session); report what was added.

    With ``author`` the objects are that person's labels (`Provenance.author`): they are matched only
    against that person's earlier imports, so two annotators' labels of the same frames sit side by side.
    """
    _check_class_names(dataset)
    report = ImportReport(import_label(dataset), dataset.source, problems=list(dataset.problems))
    if author is not None:
        report.label += f" by {author}"
    editor.push(FunctionCommand(report.label, lambda project: _apply(project, dataset, report, author)))
    logger.info(
        "%s: %d frames added, %d updated, %d objects",
        report.label,
        report.frames_added,
        report.frames_updated,
        report.objects,
    )
    return report


def _apply(project: Project, dataset: Dataset, report: ImportReport, author: str | None) -> None:
    # Counted afresh: the step is re-run when another process wrote to the project first.
    report.frames_added = report.frames_updated = report.tracks = 0
    report.objects_by_class.clear()
    schema, report.classes_added = schema_with_classes(project.schema, dataset)
    if report.classes_added:
        project.put("schema", "schema", schema)
    by_name = {frame.name: frame for frame in project.frames.values()}
    next_index = max((frame.index for frame in project.frames.values()), default=-1) + 1
    tracks: dict[str, int] = {}
    imported = Provenance(Source.IMPORTED, author=author)
    for source_frame in dataset.frames:
        existing = by_name.get(source_frame.name)
        if existing is None:
            frame = _new_frame(project, source_frame, next_index)
            next_index += 1
            report.frames_added += 1
        else:
            frame = _filled_frame(project, existing, source_frame)
            report.frames_updated += 1
        if frame != existing:
            project.put("frame", frame.id, frame)
        current = project.annotations_of(frame.id)
        if author is not None:
            current = [a for a in current if a.provenance.author == author]
        matcher = FrameMatcher.of(current)
        for obj, key in zip(source_frame.objects, source_keys(dataset.title, source_frame.objects)):
            match = matcher.take(key, obj)
            if match is not None and match.track_id is not None and obj.track_key is not None:
                tracks.setdefault(obj.track_key, match.track_id)
            track_id = match.track_id if match is not None else _track_for(project, obj, tracks, report)
            provenance = imported if obj.score is None else dataclasses.replace(imported, score=obj.score)
            annotation = Annotation(
                match.id if match is not None else project.new_id("annotation"),
                frame.id,
                obj.class_name,
                track_id,
                cuboid=obj.cuboid,
                box2d=obj.box2d,
                camera=obj.camera,
                provenance=provenance,
                review=Review.ACCEPTED,
                attributes=dict(obj.attributes) | {SOURCE_ID: key},
            )
            report.objects_by_class[obj.class_name] += 1
            if match is None:
                project.put("annotation", annotation.id, annotation)
            elif _same_content(match, annotation):
                report.objects_unchanged += 1
                if match.attributes.get(SOURCE_ID) != key:  # imported before source ids were kept
                    project.put(
                        "annotation", match.id, dataclasses.replace(match, attributes=annotation.attributes)
                    )
            else:
                report.objects_updated += 1
                project.put("annotation", match.id, dataclasses.replace(annotation, keyframe=match.keyframe))


def _track_for(project: Project, obj: SourceObject, tracks: dict[str, int], report: ImportReport) -> int:
    """The track of an object the project does not have yet: its source track's, else a new one."""
    track_id = tracks.get(obj.track_key) if obj.track_key is not None else None
    if track_id is None:
        track_id = project.new_id("track")
        attributes = dict(obj.track_attributes)
        if obj.track_key is not None:
            attributes["source_id"] = obj.track_key
            tracks[obj.track_key] = track_id
        project.put("track", track_id, Track(track_id, obj.class_name, attributes))
        report.tracks += 1
    return track_id


def _same_content(old: Annotation, new: Annotation) -> bool:
    """True when a re-imported object says what the project already holds (class, geometry, data, score)."""
    return (
        old.class_name == new.class_name
        and old.cuboid == new.cuboid
        and old.box2d == new.box2d
        and old.camera == new.camera
        and old.provenance.score == new.provenance.score
        and {k: v for k, v in old.attributes.items() if k != SOURCE_ID}
        == {k: v for k, v in new.attributes.items() if k != SOURCE_ID}
    )


def _new_frame(project: Project, source: SourceFrame, index: int) -> Frame:
    return Frame(
        project.new_id("frame"),
        source.name,
        index,
        cloud=project.store_path(source.cloud) if source.cloud is not None else None,
        images={camera: project.store_path(path) for camera, path in source.images.items()},
        cameras=dict(source.cameras),
        timestamp=source.timestamp,
        meta=dict(source.meta),
        pose=source.pose,
    )


def _filled_frame(project: Project, frame: Frame, source: SourceFrame) -> Frame:
    """``frame`` with what it lacks taken from ``source`` (nothing it has is replaced)."""
    images = {c: project.store_path(p) for c, p in source.images.items()} | dict(frame.images)
    return dataclasses.replace(
        frame,
        cloud=frame.cloud or (project.store_path(source.cloud) if source.cloud is not None else None),
        images=images,
        cameras=dict(source.cameras) | dict(frame.cameras),
        timestamp=frame.timestamp if frame.timestamp is not None else source.timestamp,
        meta=dict(source.meta) | dict(frame.meta),
        pose=frame.pose or source.pose,
    )


def _check_class_names(dataset: Dataset) -> None:
    """`FormatError` for the first object whose class name is empty, unprintable or not valid text."""
    for frame in dataset.frames:
        for obj in frame.objects:
            problem = name_problem(obj.class_name)
            if problem:
                raise FormatError(
                    dataset.source, f"frame {frame.name!r}: bad class name {obj.class_name!r}: {problem}"
                )
