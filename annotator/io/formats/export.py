"""Exporting a project to a label format: frame by frame, a bad frame skipped and reported.

Exports are derived from the project: nothing in the project changes. Every file is written atomically.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from annotator.core.errors import AnnotatorError
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Review
from annotator.core.selection import select_frames
from annotator.io.formats import get_format
from annotator.io.formats.base import ExportContext, FrameLabels

logger = logging.getLogger(__name__)

#: Called after each frame with (frames done, frames in all, the frame's name).
ProgressCallback = Callable[[int, int, str], None]


@dataclass
class ExportReport:
    """What an export wrote: frames, objects by class, and the frames it skipped (name, reason); how many
    unreviewed proposals it left out (2D boxes, by default) or wrote."""

    format_id: str
    out: Path
    frames: int = 0
    objects_by_class: Counter[str] = field(default_factory=Counter)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    unreviewed_left_out: int = 0
    unreviewed_included: int = 0

    @property
    def objects(self) -> int:
        """Objects written in all."""
        return sum(self.objects_by_class.values())

    def unreviewed_text(self) -> str:
        """How many unreviewed proposals were left out and written, in words."""
        return f"{self.unreviewed_left_out} unreviewed proposals left out, {self.unreviewed_included} written"


def class_list(project: Project, classes: Sequence[str] | None = None) -> list[str]:
    """Exported class names in schema order, then classes only annotations use (sorted).

    With ``classes``, only those (in that order); a name neither in the schema nor used is an error.
    """
    used = {a.class_name for a in project.annotations.values()}
    known = [*project.schema.names, *sorted(used - set(project.schema.names))]
    if not classes:
        return known
    wanted = list(dict.fromkeys(c.strip() for c in classes if c.strip()))
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise AnnotatorError(f"unknown class {', '.join(map(repr, unknown))}; classes: {', '.join(known)}")
    return wanted


def select_annotations(
    project: Project, frame: Frame, kinds: Iterable[str], classes: Sequence[str]
) -> list[Annotation]:
    """A frame's annotations of the given kinds and classes, rejected ones left out."""
    kinds = set(kinds)
    allowed = set(classes)
    return [
        a
        for a in project.annotations_of(frame.id)
        if a.kind in kinds and a.class_name in allowed and a.review != Review.REJECTED
    ]


def leaves_out(annotation: Annotation, include_unreviewed: bool | None) -> bool:
    """True when an export leaves ``annotation`` out for being an unreviewed proposal.

    ``include_unreviewed`` None (the default) leaves out unreviewed 2D boxes (they would become training
    labels nobody checked) and keeps unreviewed cuboids (3D formats have always carried proposals).
    """
    if not annotation.is_proposal:
        return False
    if include_unreviewed is None:
        return annotation.kind == "box2d"
    return not include_unreviewed


def track_names(project: Project, track_ids: Iterable[int]) -> dict[int, str]:
    """External object ids: the source's id (``source_id`` attribute) when unique, else the track id."""
    ids = sorted(set(track_ids))
    source = {t: project.tracks[t].attributes.get("source_id") for t in ids if t in project.tracks}
    counts = Counter(str(s) for s in source.values() if s is not None)
    names = {t: str(s) for t, s in source.items() if s is not None and counts[str(s)] == 1}
    taken = set(names.values())
    for track_id in ids:
        if track_id in names:
            continue
        name, suffix = str(track_id), 1
        while name in taken:
            name, suffix = f"{track_id}_{suffix}", suffix + 1
        names[track_id] = name
        taken.add(name)
    return names


def export_project(
    project: Project,
    format_id: str,
    out: Path,
    selection: str | None = None,
    classes: Sequence[str] | None = None,
    options: dict[str, str] | None = None,
    progress: ProgressCallback | None = None,
    include_unreviewed: bool | None = None,
) -> ExportReport:
    """Write the selected frames' labels in ``format_id`` under ``out``; report what was written.

    Unreviewed proposals are written or left out as `leaves_out` says; the report counts both."""
    label_format = get_format(format_id)
    if not label_format.can_export:
        raise AnnotatorError(f"format {label_format.id}: export is not supported")
    options = dict(options or {})
    label_format.variant(options)
    frames = select_frames(list(project.frames.values()), selection)
    context = ExportContext(project, Path(out), frames, class_list(project, classes), options)
    exporter = label_format.exporter(context)
    report = ExportReport(label_format.id, Path(out))
    selected = {}
    for frame in frames:
        annotations = select_annotations(project, frame, label_format.kinds, context.classes)
        kept = [a for a in annotations if not leaves_out(a, include_unreviewed)]
        report.unreviewed_left_out += len(annotations) - len(kept)
        report.unreviewed_included += sum(a.is_proposal for a in kept)
        selected[frame.id] = kept
    names = track_names(project, (a.track_id for anns in selected.values() for a in anns if a.track_id))
    for done, frame in enumerate(frames, start=1):
        labels = FrameLabels(
            frame,
            selected[frame.id],
            project.resolve_path(frame.cloud) if frame.cloud else None,
            {camera: project.resolve_path(path) for camera, path in frame.images.items()},
            names,
        )
        try:
            written = exporter.write_frame(labels)
        except (AnnotatorError, ValueError, OSError) as error:
            logger.debug("frame %s not exported", frame.name, exc_info=True)
            report.skipped.append((frame.name, str(error)))
        else:
            report.frames += 1
            report.objects_by_class.update(a.class_name for a in written)
        if progress is not None:
            progress(done, len(frames), frame.name)
    try:
        exporter.finish()
    except OSError as error:
        raise AnnotatorError(f"{out}: cannot write the export ({error.strerror or error})") from error
    logger.info("exported %d frames, %d objects as %s to %s", report.frames, report.objects, format_id, out)
    return report
