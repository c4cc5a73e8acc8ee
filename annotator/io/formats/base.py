"""What every label format shares: the parsed-dataset records an import yields, and the export protocol.

An import never touches a project directly: a format's `LabelFormat.read` parses and validates a whole
source into a `Dataset` (frames with their objects, in LiDAR coordinates), and only then does
`annotator.io.importers` turn it into one undoable command. An export walks the project's frames and hands
each one, as `FrameLabels`, to the format's `Exporter`, so one bad frame can be skipped and reported.
An exporter works in two steps: `Exporter.render_frame` turns one frame into a picklable `FrameOutput`
without touching shared state (so frames can be rendered anywhere, in any order, e.g. on Ray workers),
and `Exporter.accept` merges the outputs in frame order where the files are written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from annotator.core.box2d import Box2D
from annotator.core.camera import CameraCalibration
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.errors import AnnotatorError
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame
from annotator.core.pose import Pose
from annotator.io.errors import FormatError
from annotator.io.formats.files import natural_key, write_bytes_atomic

logger = logging.getLogger(__name__)

CUBOID = "cuboid"
BOX2D = "box2d"


@dataclass
class SourceObject:
    """One labelled object of a frame as a file describes it, already in the core's conventions.

    ``track_key`` is the source's identity of the object (SUSTech ``obj_id``, OpenLABEL uid, nuScenes
    instance token): objects with the same key in different frames become one track. ``source_id`` is
    the object's identity within its frame where the source numbers objects but not tracks (a KITTI label
    row); a re-import matches objects by it (else by ``track_key``, else by their order).
    """

    class_name: str
    cuboid: Cuboid | None = None
    box2d: Box2D | None = None
    camera: str | None = None
    track_key: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    track_attributes: dict[str, Any] = field(default_factory=dict)
    score: float | None = None
    source_id: str | None = None


@dataclass
class SourceFrame:
    """One frame of a source: its files (absolute paths), calibration, extra data, objects and ego pose."""

    name: str
    cloud: Path | None = None
    images: dict[str, Path] = field(default_factory=dict)
    cameras: dict[str, CameraCalibration] = field(default_factory=dict)
    timestamp: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    objects: list[SourceObject] = field(default_factory=list)
    pose: Pose | None = None


@dataclass
class Dataset:
    """A parsed source, ready to import: frames in order, class hints and the objects that were skipped.

    ``classes`` maps class names the source declares to a display colour (or None) in the source's
    order; ``problems`` holds one `FormatError` per object that could not be read (the rest imports).
    """

    title: str
    source: Path
    frames: list[SourceFrame] = field(default_factory=list)
    classes: dict[str, tuple[int, int, int] | None] = field(default_factory=dict)
    problems: list[FormatError] = field(default_factory=list)
    _by_name: dict[str, SourceFrame] = field(default_factory=dict, repr=False)

    @property
    def object_count(self) -> int:
        """Number of objects over all frames."""
        return sum(len(frame.objects) for frame in self.frames)

    def frame(self, name: str) -> SourceFrame:
        """The frame called ``name``, added at the end when new (add frames only through here)."""
        frame = self._by_name.get(name)
        if frame is None:
            frame = self._by_name[name] = SourceFrame(name)
            self.frames.append(frame)
        return frame

    def sort_frames(self) -> None:
        """Order frames by name, numbers compared as numbers (``f2`` before ``f10``)."""
        self.frames.sort(key=lambda f: natural_key(f.name))


@dataclass
class FrameLabels:
    """What an exporter gets for one frame: the frame, its selected annotations and resolved paths."""

    frame: Frame
    annotations: list[Annotation]
    cloud: Path | None
    images: dict[str, Path]
    track_names: dict[int, str]

    def cuboids(self) -> list[Annotation]:
        """The cuboid annotations."""
        return [a for a in self.annotations if a.cuboid is not None]

    def boxes(self) -> list[Annotation]:
        """The 2D box annotations."""
        return [a for a in self.annotations if a.box2d is not None]

    def track_name(self, annotation: Annotation) -> str:
        """The object's identity as written to files (the source's id when it had one)."""
        if annotation.track_id is None:
            return f"a{annotation.id}"
        return self.track_names.get(annotation.track_id, str(annotation.track_id))


@dataclass
class ExportContext:
    """Everything an exporter may need up front: the project, the frames to write and the class list."""

    project: Project
    out: Path
    frames: list[Frame]
    classes: list[str]
    options: dict[str, str] = field(default_factory=dict)


class FrameError(AnnotatorError):
    """A frame the format cannot write; the export reports it (with the frame's name) and goes on."""


@dataclass
class FrameOutput:
    """One frame as an exporter rendered it: the annotations written, whole files to write (absolute path,
    bytes), a format's ``partial`` for the files that span frames, and camera images to place beside the
    labels (camera, image path). Picklable: it may come back from another process."""

    frame_name: str
    written: list[Annotation]
    files: list[tuple[Path, bytes]] = field(default_factory=list)
    partial: Any = None
    images: list[tuple[str, Path]] = field(default_factory=list)


class Exporter:
    """Writes one format in two steps per frame, `render_frame` (pure) then `accept` (in frame order, the
    only step that writes or keeps state), and `finish` at the end. Raise `AnnotatorError` from either
    step to skip a frame. An exporter keeps no reference to the project, so it pickles (Ray workers get a
    copy and call only `render_frame`)."""

    def render_frame(self, labels: FrameLabels) -> FrameOutput:
        """One frame's labels as files and/or a partial result; changes nothing, writes nothing."""
        raise NotImplementedError

    def accept(self, output: FrameOutput) -> None:
        """The merge step for one frame, called in frame order: write its files and keep its partial."""
        for path, data in output.files:
            write_bytes_atomic(path, data)

    def write_frame(self, labels: FrameLabels) -> list[Annotation]:
        """Render and accept one frame's labels; return the annotations written (for the summary)."""
        output = self.render_frame(labels)
        self.accept(output)
        return output.written

    def finish(self) -> None:
        """Write whatever spans all frames (class lists, one-file formats). Called once, at the end."""


class LabelFormat:
    """A registered label format: converts between its files and the core's LiDAR-frame records.

    Subclasses set the class attributes and implement `read` and/or `exporter`.
    """

    id: ClassVar[str] = ""
    title: ClassVar[str] = ""
    #: Kinds of annotation the format carries: ``"cuboid"`` and/or ``"box2d"``.
    kinds: ClassVar[tuple[str, ...]] = ()
    #: One line about what files it reads and writes.
    layout: ClassVar[str] = ""
    #: Accepted values of ``--variant`` (the first is the default), if the format has variants.
    variants: ClassVar[tuple[str, ...]] = ()
    can_import: ClassVar[bool] = True
    can_export: ClassVar[bool] = True

    def read(self, source: Path, options: dict[str, str] | None = None) -> Dataset:
        """Parse and validate a whole source (a file or a directory in the format's layout)."""
        raise NotImplementedError(f"{self.id}: import is not supported")

    def exporter(self, context: ExportContext) -> Exporter:
        """An exporter writing into ``context.out``."""
        raise NotImplementedError(f"{self.id}: export is not supported")

    def variant(self, options: dict[str, str] | None) -> str:
        """The chosen variant (the default when none was given); raises `AnnotatorError` for an unknown one."""
        chosen = (options or {}).get("variant") or (self.variants[0] if self.variants else "")
        if self.variants and chosen not in self.variants:
            raise AnnotatorError(
                f"format {self.id}: unknown variant {chosen!r}; choose one of {', '.join(self.variants)}"
            )
        return chosen
