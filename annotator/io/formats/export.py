"""Exporting a project to a label format: frame by frame, a bad frame skipped and reported.

Exports are derived from the project: nothing in the project changes. Every file is written atomically.
Each frame is rendered by the exporter (`Exporter.render_frame`, here or by a `FrameRenderer` elsewhere,
e.g. on Ray workers) and merged in frame order here (`Exporter.accept`), so the output is the same
wherever the frames were rendered.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from annotator.core.errors import AnnotatorError
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Review
from annotator.core.selection import select_frames
from annotator.io.formats import get_format
from annotator.io.formats.base import ExportContext, Exporter, FrameLabels, FrameOutput

logger = logging.getLogger(__name__)

#: Called after each frame with (frames done, frames in all, the frame's name).
ProgressCallback = Callable[[int, int, str], None]

#: Errors that skip one frame (named in the report); the export goes on.
FRAME_ERRORS = (AnnotatorError, ValueError, OSError)


@dataclass(frozen=True)
class FrameFailure:
    """A frame the exporter could not render, and why."""

    frame_name: str
    reason: str


#: Renders frames with an exporter: yields one `FrameOutput` or `FrameFailure` per frame, in frame order.
FrameRenderer = Callable[[Exporter, Sequence[FrameLabels]], Iterator[FrameOutput | FrameFailure]]


def render_or_failure(exporter: Exporter, labels: FrameLabels) -> FrameOutput | FrameFailure:
    """One frame rendered, or the reason it cannot be (the only place a frame's rendering is tried)."""
    try:
        return exporter.render_frame(labels)
    except FRAME_ERRORS as error:
        logger.debug("frame %s not exported", labels.frame.name, exc_info=True)
        return FrameFailure(labels.frame.name, str(error))


def render_here(exporter: Exporter, frames: Sequence[FrameLabels]) -> Iterator[FrameOutput | FrameFailure]:
    """The frames rendered one after the other in this process (the default `FrameRenderer`)."""
    for labels in frames:
        yield render_or_failure(exporter, labels)


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
    render: FrameRenderer | None = None,
) -> ExportReport:
    """Write the selected frames' labels in ``format_id`` under ``out``; report what was written.

    Unreviewed proposals are written or left out as `leaves_out` says; the report counts both.
    ``render`` renders the frames (default: here, one after the other); whatever renders them, this
    process merges and writes them in frame order, so the files are the same."""
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
    frame_labels = [_frame_labels(project, frame, selected[frame.id], names) for frame in frames]
    outputs = (render or render_here)(exporter, frame_labels)
    try:
        for done, (labels, output) in enumerate(zip(frame_labels, outputs, strict=True), start=1):
            _merge(exporter, output, report)
            if progress is not None:
                progress(done, len(frames), labels.frame.name)
    finally:
        close = getattr(outputs, "close", None)
        if close is not None:  # a generator: stop its work (e.g. a Ray dataset) now, not when collected
            close()
    try:
        exporter.finish()
    except OSError as error:
        raise AnnotatorError(f"{out}: cannot write the export ({error.strerror or error})") from error
    logger.info("exported %d frames, %d objects as %s to %s", report.frames, report.objects, format_id, out)
    return report


def _frame_labels(
    project: Project, frame: Frame, annotations: list[Annotation], names: dict[int, str]
) -> FrameLabels:
    """What the exporter gets for ``frame`` (only its own tracks' names: it travels to workers)."""
    tracks = {a.track_id for a in annotations if a.track_id is not None}
    return FrameLabels(
        frame,
        annotations,
        project.resolve_path(frame.cloud) if frame.cloud else None,
        {camera: project.resolve_path(path) for camera, path in frame.images.items()},
        {track: name for track, name in names.items() if track in tracks},
    )


def _merge(exporter: Exporter, output: FrameOutput | FrameFailure, report: ExportReport) -> None:
    """Merge one rendered frame into the export (in frame order) and count it, or report it skipped."""
    if isinstance(output, FrameFailure):
        report.skipped.append((output.frame_name, output.reason))
        return
    try:
        exporter.accept(output)
    except FRAME_ERRORS as error:
        logger.debug("frame %s not exported", output.frame_name, exc_info=True)
        report.skipped.append((output.frame_name, str(error)))
    else:
        report.frames += 1
        report.objects_by_class.update(a.class_name for a in output.written)
