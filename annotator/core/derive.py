"""2D boxes derived from cuboids: the tight rectangle of each cuboid's projection into a camera image.

Derived boxes are linked to their cuboid (same track), carry provenance ``derived`` and are clipped to the
image. Deriving again replaces the earlier derived boxes of the same frames and cameras; manual (and
imported or model) boxes are never touched, and a cuboid whose track already has such a box in a camera
gets no derived box there.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping, Sequence

from annotator.core.box2d import Box2D
from annotator.core.camera import CameraCalibration
from annotator.core.derived_links import derived_review, is_derived
from annotator.core.edits import ensure_track
from annotator.core.model.commands import Command
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Provenance, Review, Source

logger = logging.getLogger(__name__)

#: Provenance of a derived box.
DERIVED = Provenance(Source.DERIVED)
#: Derived boxes smaller than this (pixels, either side) are dropped: the cuboid barely enters the image.
MIN_SIDE = 1.0

#: Image sizes (width, height) the caller knows, keyed by (frame id, camera name).
ImageSizes = Mapping[tuple[int, str], tuple[int, int]]


def sized_camera(frame: Frame, camera: str, sizes: ImageSizes | None = None) -> CameraCalibration | None:
    """The frame's calibration of ``camera`` with its image size (from ``sizes`` when the calibration
    lacks it), or None when the camera is not calibrated or its size is unknown."""
    calibration = frame.cameras.get(camera)
    if calibration is None:
        return None
    if calibration.width and calibration.height:
        return calibration
    size = (sizes or {}).get((frame.id, camera))
    if size is None:
        return None
    return dataclasses.replace(calibration, width=int(size[0]), height=int(size[1]))


def cuboid_box(camera: CameraCalibration, cuboid_annotation: Annotation) -> Box2D | None:
    """The tight image box of a cuboid annotation in ``camera`` (clipped to the image), or None."""
    if cuboid_annotation.cuboid is None:
        return None
    box = camera.cuboid_box2d(cuboid_annotation.cuboid, clip_to_image=True)
    if box is None or box.width < MIN_SIDE or box.height < MIN_SIDE:
        return None
    return box


def derivable_cameras(frame: Frame, cameras: Iterable[str] | None = None) -> list[str]:
    """The frame's cameras that have both an image and a calibration (restricted to ``cameras``)."""
    wanted = None if cameras is None else set(cameras)
    return sorted(
        name for name in frame.cameras if name in frame.images and (wanted is None or name in wanted)
    )


def derive_frame_boxes(
    frame: Frame,
    cuboids: Sequence[Annotation],
    kept_boxes: Sequence[Annotation] = (),
    cameras: Iterable[str] | None = None,
    sizes: ImageSizes | None = None,
) -> list[Annotation]:
    """New derived box annotations (id 0) of one frame: one per cuboid and camera where it is seen.

    ``kept_boxes`` are the frame's boxes that stay (not derived): a cuboid whose track has one of them in
    a camera gets no derived box in that camera. Rejected cuboids are skipped; a box is unreviewed while its
    cuboid is.
    """
    taken = {(a.camera, a.track_id) for a in kept_boxes if a.track_id is not None}
    result = []
    for name in derivable_cameras(frame, cameras):
        camera = sized_camera(frame, name, sizes)
        if camera is None:
            logger.info("frame %s: camera %r has no known image size; no boxes derived", frame.name, name)
            continue
        for cuboid in cuboids:
            if cuboid.review == Review.REJECTED or (name, cuboid.track_id) in taken:
                continue
            box = cuboid_box(camera, cuboid)
            if box is None:
                continue
            result.append(
                Annotation(
                    0,
                    frame.id,
                    cuboid.class_name,
                    cuboid.track_id,
                    box2d=box,
                    camera=name,
                    provenance=DERIVED,
                    review=derived_review(cuboid),
                    attributes={"derived_from": cuboid.id},
                )
            )
    return result


@dataclasses.dataclass(frozen=True)
class FramePlan:
    """What deriving does to one frame, computed from ``basis`` (the frame record and its annotations as
    they were): remove the derived boxes ``removed``, add ``boxes`` (ids 0)."""

    frame_id: int
    basis: tuple[object, ...]
    removed: tuple[int, ...]
    boxes: tuple[Annotation, ...]

    def still_valid(self, frame: Frame, annotations: Sequence[Annotation]) -> bool:
        """True when the frame and its annotations are the very records the plan was computed from."""
        current = (frame, *annotations)
        return len(current) == len(self.basis) and all(a is b for a, b in zip(current, self.basis))


def plan_frame(
    frame: Frame,
    annotations: Sequence[Annotation],
    cameras: Iterable[str] | None = None,
    sizes: ImageSizes | None = None,
) -> FramePlan:
    """The derivation of one frame from its ``annotations`` (id order). Pure: safe in a worker thread on
    a snapshot of the records."""
    wanted = None if cameras is None else list(cameras)
    derivable = set(derivable_cameras(frame, wanted))
    removed, kept, cuboids = [], [], []
    for annotation in annotations:
        if annotation.kind == "cuboid":
            cuboids.append(annotation)
        elif is_derived(annotation) and annotation.camera in derivable:
            removed.append(annotation.id)
        else:
            kept.append(annotation)
    boxes = derive_frame_boxes(frame, cuboids, kept, wanted, sizes)
    return FramePlan(frame.id, (frame, *annotations), tuple(removed), tuple(boxes))


class DeriveBoxes2D(Command):
    """Derive 2D boxes from the cuboids of ``frame_ids`` (in ``cameras``, default all), replacing the
    earlier derived boxes there. Counts are in ``added`` and ``removed`` afterwards.

    ``plans`` computed beforehand (e.g. in a worker thread, `plan_frame`) are applied as they are when
    their frame is unchanged since; a frame edited meanwhile is derived again here (``recomputed``).
    ``unreviewed`` counts the added boxes that wait for their cuboid's review.
    """

    def __init__(
        self,
        frame_ids: Iterable[int],
        cameras: Iterable[str] | None = None,
        sizes: ImageSizes | None = None,
        plans: Iterable[FramePlan] = (),
    ) -> None:
        self.frame_ids = list(frame_ids)
        self.cameras = None if cameras is None else sorted(set(cameras))
        self.sizes = dict(sizes or {})
        self.plans = {plan.frame_id: plan for plan in plans}
        self.added = 0
        self.removed = 0
        self.recomputed = 0
        self.unreviewed = 0
        count = len(self.frame_ids)
        self.label = "Derive 2D boxes" + ("" if count == 1 else f" in {count} frames")

    def do(self, project: Project) -> None:
        self.added = self.removed = self.recomputed = self.unreviewed = 0
        for frame_id in self.frame_ids:
            frame = project.frames.get(frame_id)
            if frame is None:
                raise KeyError(f"frame {frame_id} does not exist")
            annotations = project.annotations_of(frame_id)
            plan = self.plans.get(frame_id)
            if plan is None or not plan.still_valid(frame, annotations):
                self.recomputed += plan is not None
                plan = plan_frame(frame, annotations, self.cameras, self.sizes)
            for box_id in plan.removed:
                project.delete("annotation", box_id)
            for annotation in plan.boxes:
                annotation_id = project.new_id("annotation")
                box = dataclasses.replace(annotation, id=annotation_id)
                if box.track_id not in project.tracks:  # the cuboid's track is the usual case
                    box = ensure_track(project, box)
                project.put("annotation", annotation_id, box)
            self.removed += len(plan.removed)
            self.added += len(plan.boxes)
            self.unreviewed += sum(box.review == Review.UNREVIEWED for box in plan.boxes)


class LinkBox(Command):
    """Link a 2D box to a track (``None``: unlink into a track of its own), taking the track's class.

    A track left without annotations is removed.
    """

    def __init__(self, box_id: int, track_id: int | None, label: str | None = None) -> None:
        self.box_id = box_id
        self.track_id = track_id
        self.label = label or ("Link 2D box" if track_id is not None else "Unlink 2D box")

    def do(self, project: Project) -> None:
        box = project.annotations[self.box_id]
        old_track = box.track_id
        if self.track_id is None:
            linked = ensure_track(project, dataclasses.replace(box, track_id=None))
        else:
            track = project.tracks[self.track_id]
            linked = dataclasses.replace(box, track_id=track.id, class_name=track.class_name)
        project.put("annotation", box.id, linked)
        unused = not any(a.track_id == old_track for a in project.annotations.values())
        if old_track is not None and old_track != linked.track_id and unused:
            project.delete("track", old_track)


def best_cuboid_for_box(
    frame: Frame, box: Annotation, cuboids: Sequence[Annotation], sizes: ImageSizes | None = None
) -> Annotation | None:
    """The cuboid whose projected box overlaps ``box`` most in its camera (IoU > 0), or None."""
    if box.box2d is None or box.camera is None:
        return None
    camera = sized_camera(frame, box.camera, sizes) or frame.cameras.get(box.camera)
    if camera is None:
        return None
    best, best_iou = None, 0.0
    for cuboid in cuboids:
        projected = cuboid_box(camera, cuboid) if camera.width else _unclipped(camera, cuboid)
        iou = 0.0 if projected is None else projected.iou(box.box2d)
        if iou > best_iou:
            best, best_iou = cuboid, iou
    return best


def _unclipped(camera: CameraCalibration, cuboid: Annotation) -> Box2D | None:
    return None if cuboid.cuboid is None else camera.cuboid_box2d(cuboid.cuboid, clip_to_image=False)
