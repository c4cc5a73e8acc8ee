"""Frames and tracks: copy and propagate cuboids to the next frame, interpolate between keyframes,
keep a track's class and size consistent.

Each function plans an edit from the project as it is and returns a `TrackEdit`: the command to push
(None when there is nothing to do) and what was left alone, with the reason. Annotations keep their track
id; copies and propagations are keyframes marked ``propagated``, interpolated ones are not keyframes and
are marked ``interpolated`` (both are stored, so the object list shows them after a reopen). A keyframe
already in a target frame is never overwritten; a non-keyframe annotation of the same track there is
replaced.

Motion uses frame timestamps when the frames involved all have distinct ones, else their positions in
the sequence. When the frames involved all carry ego poses, boxes move in the world frame
(`annotator.core.world`): a copied box stays put in the world, a moving track keeps its world velocity and
turn rate, and a track flagged static (``attributes["static"]``) is never moved in the world.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.rotation import wrap_angle
from annotator.core.edits import AddAnnotations
from annotator.core.model.commands import Command
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Provenance, Review, Source, Track
from annotator.core.static_tracks import is_static
from annotator.core.world import all_posed, from_world, move_between, to_world

logger = logging.getLogger(__name__)

PROPAGATED = Provenance(Source.PROPAGATED)
INTERPOLATED = Provenance(Source.INTERPOLATED)

#: A track moving less than this (metres per frame, in the world) between its labelled keyframes stands
#: still: it is carried with the ego motion only, and not re-fitted (the poses are more exact than a fit).
STILL_STEP = 0.08

#: Moves a predicted cuboid onto the target frame's points (e.g. `annotator.core.cuboids.box_fit.refit_keep_size`).
Refit = Callable[[Cuboid], Cuboid]


class PutTracks(Command):
    """Add annotations (id 0) and replace others (same id), then set track records; one step."""

    def __init__(self, annotations: Iterable[Annotation], label: str, tracks: Iterable[Track] = ()) -> None:
        self.add = AddAnnotations(annotations, label)
        self.tracks = list(tracks)
        self.label = label

    def do(self, project: Project) -> None:
        self.add.do(project)
        for track in self.tracks:
            project.put("track", track.id, track)

    @property
    def ids(self) -> list[int]:
        """Ids of the annotations written (after the command ran)."""
        return self.add.ids


@dataclass
class TrackEdit:
    """A planned edit: the command (None: nothing to do) and (annotation or track id, reason) skipped."""

    command: PutTracks | None
    skipped: list[tuple[int, str]] = field(default_factory=list)
    count: int = 0


# -- frame helpers ----------------------------------------------------------------------------------
def frame_after(project: Project, frame_id: int, step: int = 1) -> Frame | None:
    """The frame ``step`` positions after ``frame_id`` in the sequence (None past the ends)."""
    frames = project.frames_in_order()
    position = next((i for i, f in enumerate(frames) if f.id == frame_id), None)
    if position is None or not 0 <= position + step < len(frames):
        return None
    return frames[position + step]


def frame_times(frames: list[Frame]) -> dict[int, float]:
    """Frame id -> time: timestamps when all are set and distinct, else sequence positions."""
    stamps = [f.timestamp for f in frames]
    use_stamps = all(s is not None for s in stamps) and len(set(stamps)) == len(stamps)
    return {f.id: float(f.timestamp) if use_stamps else float(i) for i, f in enumerate(frames)}  # type: ignore[arg-type]


def _by_track(project: Project) -> dict[int, list[Annotation]]:
    """Cuboid annotations per track, each list in sequence order."""
    order = {f.id: i for i, f in enumerate(project.frames_in_order())}
    tracks: dict[int, list[Annotation]] = defaultdict(list)
    for annotation in project.annotations.values():
        if annotation.cuboid is not None and annotation.track_id is not None:
            tracks[annotation.track_id].append(annotation)
    for found in tracks.values():
        found.sort(key=lambda a: (order[a.frame_id], a.id))
    return tracks


# -- motion ---------------------------------------------------------------------------------------
def blend(a: Cuboid, b: Cuboid, t: float) -> Cuboid:
    """The cuboid a fraction ``t`` of the way from ``a`` to ``b`` (t > 1 extrapolates).

    Centre and size change linearly; yaw, pitch and roll turn along the shortest arc.
    """
    centre = np.asarray(a.center) + t * (np.asarray(b.center) - np.asarray(a.center))
    size = np.asarray(a.size) + t * (np.asarray(b.size) - np.asarray(a.size))
    return Cuboid(
        tuple(centre),
        tuple(np.maximum(size, 0.0)),
        wrap_angle(a.yaw + t * wrap_angle(b.yaw - a.yaw)),
        wrap_angle(a.pitch + t * wrap_angle(b.pitch - a.pitch)),
        wrap_angle(a.roll + t * wrap_angle(b.roll - a.roll)),
    )


def predict(previous: Cuboid, current: Cuboid, t_previous: float, t_current: float, t_next: float) -> Cuboid:
    """Constant velocity (and turn rate) from two past boxes to time ``t_next``; the size of ``current``."""
    if t_current == t_previous:
        return current
    moved = blend(previous, current, (t_next - t_previous) / (t_current - t_previous))
    return moved.replace(size=current.size)


def _world(project: Project, annotation: Annotation) -> Cuboid:
    """An annotation's cuboid in world coordinates (its frame has a pose)."""
    return to_world(annotation.cuboid, project.frames[annotation.frame_id].pose)


def advance(latest: Cuboid, a: Cuboid, b: Cuboid, t_a: float, t_b: float, dt: float) -> Cuboid:
    """``latest`` moved on by ``dt`` at the velocity and turn rate from ``a`` to ``b``.

    The velocity turns with the heading gained since ``b`` (a car that keeps turning keeps driving
    forwards); with ``latest`` = ``b`` this is `predict`.
    """
    if t_b == t_a:
        return latest
    step = predict(a, b, t_a, t_b, t_b + dt)
    turn = wrap_angle(latest.yaw - b.yaw)
    c, s = np.cos(turn), np.sin(turn)
    dx, dy, dz = np.asarray(step.center) - np.asarray(b.center)
    return latest.replace(
        center=(
            latest.center[0] + c * dx - s * dy,
            latest.center[1] + s * dx + c * dy,
            latest.center[2] + dz,
        ),
        yaw=wrap_angle(latest.yaw + wrap_angle(step.yaw - b.yaw)),
        pitch=wrap_angle(latest.pitch + wrap_angle(step.pitch - b.pitch)),
        roll=wrap_angle(latest.roll + wrap_angle(step.roll - b.roll)),
    )


def motion_pair(
    history: list[Annotation], annotation: Annotation, times: dict[int, float]
) -> list[Annotation]:
    """The two annotations a track's motion comes from, up to ``annotation``: its two latest labelled
    keyframes (`placed_by_hand_or_model`) when it has them, else its two latest annotations."""
    upto = [a for a in history if times[a.frame_id] < times[annotation.frame_id]] + [annotation]
    labelled = [a for a in upto if placed_by_hand_or_model(a)]
    return labelled[-2:] if len(labelled) >= 2 else upto[-2:]


def placed_by_hand_or_model(annotation: Annotation) -> bool:
    """Whether a keyframe's box says where the object is: drawn, proposed or fitted (not propagated or
    interpolated), or propagated and then corrected by a person (moved, resized or turned since propagation
    placed it: `carried_unedited` says no; or marked corrected). A correction is a position, not a motion: the
    velocity from a corrected box and the uncorrected one before it would carry the correction on as a move
    (and the next box overshoots by as much)."""
    if not annotation.keyframe:
        return False
    if annotation.provenance.source not in (Source.PROPAGATED, Source.INTERPOLATED):
        return True
    edited = isinstance(annotation.attributes.get(CARRIED_BOX_KEY), list) and not carried_unedited(annotation)
    return annotation.review is Review.CORRECTED or edited


def holds_still(project: Project, pair: list[Annotation]) -> bool:
    """True when the motion ``pair`` (see `motion_pair`) shows an object standing in the world: both
    frames have poses and it moved less than `STILL_STEP` per frame of the sequence between them."""
    if len(pair) < 2 or not all_posed([project.frames.get(a.frame_id) for a in pair]):
        return False
    a, b = pair
    frames = abs(project.frames[b.frame_id].index - project.frames[a.frame_id].index) or 1
    shift = np.asarray(_world(project, b).center[:2]) - np.asarray(_world(project, a).center[:2])
    return float(np.linalg.norm(shift)) < STILL_STEP * frames


def carried_cuboid(
    project: Project,
    annotation: Annotation,
    pair: list[Annotation],
    target: Frame,
    times: dict[int, float],
) -> Cuboid:
    """``annotation``'s cuboid carried to ``target``: at the constant velocity (and turn rate) of the
    motion ``pair`` (two annotations, see `motion_pair`; fewer: as it is), in the world frame when all the
    frames involved have poses."""
    frames = project.frames
    posed = all_posed([frames.get(a.frame_id) for a in (annotation, *pair)] + [target])
    if len(pair) < 2:
        if all_posed([frames.get(annotation.frame_id), target]):
            return move_between(annotation.cuboid, frames[annotation.frame_id].pose, target.pose)
        return annotation.cuboid
    boxes = [_world(project, a) if posed else a.cuboid for a in (annotation, *pair)]
    a, b = pair
    dt = times[target.id] - times[annotation.frame_id]
    moved = advance(boxes[0], boxes[1], boxes[2], times[a.frame_id], times[b.frame_id], dt)
    return from_world(moved, target.pose) if posed else moved


# -- copy and propagate -----------------------------------------------------------------------------
#: An attribute of a propagated box: the cuboid (7 values) it was carried in as. While the box still equals
#: it, nobody has edited it since (scoring checks such boxes against the model: `annotator.ml.uncertainty.
#: carried_check`).
CARRIED_BOX_KEY = "carried_box"
#: The attribute holding a scored box's uncertainty record: the source frame's, not carried along.
_SCORE_KEY = "uncertainty"


def _place(source: Annotation, target: Frame, cuboid: Cuboid, existing: Annotation | None) -> Annotation:
    attributes = {k: v for k, v in source.attributes.items() if k != _SCORE_KEY}
    attributes[CARRIED_BOX_KEY] = [round(float(v), 6) for v in cuboid.to_array()[:7]]
    return dataclasses.replace(
        source,
        id=existing.id if existing is not None else 0,
        frame_id=target.id,
        cuboid=cuboid,
        provenance=PROPAGATED,
        keyframe=True,
        uncertainty=None,
        attributes=attributes,
    )


def carried_unedited(annotation: Annotation) -> bool:
    """Whether ``annotation`` is a box propagation carried in and nobody has moved, resized or turned since."""
    placed = annotation.attributes.get(CARRIED_BOX_KEY)
    if annotation.cuboid is None or not isinstance(placed, list) or len(placed) != 7:
        return False
    return bool(np.allclose(annotation.cuboid.to_array()[:7], placed, atol=1e-5))


def propagate(
    project: Project,
    annotation_ids: Iterable[int],
    with_motion: bool = True,
    refit: Refit | None = None,
    step: int = 1,
    search: Refit | None = None,
) -> TrackEdit:
    """Cuboids to the frame ``step`` after theirs, keeping track ids (one command for all).

    ``with_motion``: moved at the constant velocity of the track's two latest labelled keyframes (else
    two latest annotations) up to the source (a static track: copied as it is; see `motion_pair` and
    `carried_cuboid`); with no earlier annotation (no velocity) ``search`` looks for the object in the target
    frame around the carried box (e.g. `annotator.core.carry.search_box`), without it the box is carried as it
    is. ``refit`` then adjusts each predicted box to the target frame's points.
    """
    chosen = [project.annotations[i] for i in annotation_ids if i in project.annotations]
    chosen = [a for a in chosen if a.cuboid is not None]
    if not chosen:
        return TrackEdit(None)
    frames = project.frames_in_order()
    times = frame_times(frames)
    tracks = _by_track(project)
    written: list[Annotation] = []
    skipped: list[tuple[int, str]] = []
    for annotation in chosen:
        target = frame_after(project, annotation.frame_id, step)
        if target is None:
            skipped.append((annotation.id, "no frame after it"))
            continue
        history = tracks.get(annotation.track_id, []) if annotation.track_id else [annotation]
        existing = next((a for a in history if a.frame_id == target.id), None)
        if existing is not None and existing.keyframe:
            skipped.append((annotation.id, f"frame {target.name} already has a keyframe of its track"))
            continue
        pair = motion_pair(history, annotation, times) if with_motion else []
        still = is_static(project, annotation.track_id) or holds_still(project, pair)
        cuboid = carried_cuboid(project, annotation, [] if still else pair, target, times)
        if with_motion and len(pair) < 2 and not still and search is not None:
            cuboid = search(cuboid)
        if refit is not None and not still:
            cuboid = refit(cuboid)
        written.append(_place(annotation, target, cuboid, existing))
    if not written:
        return TrackEdit(None, skipped)
    noun = "cuboid" if len(written) == 1 else "cuboids"
    verb = "Propagate" if with_motion or refit is not None or search is not None else "Copy"
    return TrackEdit(
        PutTracks(written, f"{verb} {len(written)} {noun} to the next frame"), skipped, len(written)
    )


# -- interpolation ------------------------------------------------------------------------------------
def interpolate_track(project: Project, track_id: int) -> TrackEdit:
    """Fill the frames between consecutive keyframes of a track with interpolated cuboids.

    Frames without an annotation of the track get a new one; non-keyframe annotations there are replaced.
    Blends in the world frame when the keyframes' and the in-between frames all have poses.
    """
    frames = project.frames_in_order()
    times = frame_times(frames)
    history = _by_track(project).get(track_id, [])
    keys = [a for a in history if a.keyframe]
    if len(keys) < 2:
        return TrackEdit(None, [(track_id, "needs two keyframes")])
    position = {f.id: i for i, f in enumerate(frames)}
    by_frame = {a.frame_id: a for a in history}
    written: list[Annotation] = []
    for first, second in pairwise(keys):
        t0, t1 = times[first.frame_id], times[second.frame_id]
        between = frames[position[first.frame_id] + 1 : position[second.frame_id]]
        in_world = all_posed([project.frames[first.frame_id], project.frames[second.frame_id], *between])
        a, b = (
            (_world(project, first), _world(project, second)) if in_world else (first.cuboid, second.cuboid)
        )
        for frame in between:
            existing = by_frame.get(frame.id)
            t = (times[frame.id] - t0) / (t1 - t0)
            cuboid = from_world(blend(a, b, t), frame.pose) if in_world else blend(a, b, t)
            written.append(
                dataclasses.replace(
                    first,
                    id=existing.id if existing is not None else 0,
                    frame_id=frame.id,
                    cuboid=cuboid,
                    provenance=INTERPOLATED,
                    keyframe=False,
                    uncertainty=None,
                )
            )
    if not written:
        return TrackEdit(None, [(track_id, "no frames between its keyframes")])
    noun = "cuboid" if len(written) == 1 else "cuboids"
    return TrackEdit(
        PutTracks(written, f"Interpolate track {track_id} ({len(written)} {noun})"), [], len(written)
    )


# -- consistency ------------------------------------------------------------------------------------------
def harmonize_track(project: Project, track_id: int, reference_id: int | None = None) -> TrackEdit:
    """Give every cuboid of a track one class and one size.

    The class and size come from the ``reference_id`` annotation, else the class of the track's latest
    keyframe and the median size of its keyframes. Centres stay; upright boxes keep their bottom.
    """
    history = _by_track(project).get(track_id, [])
    if not history:
        return TrackEdit(None, [(track_id, "has no cuboids")])
    keys = [a for a in history if a.keyframe] or history
    reference = project.annotations.get(reference_id) if reference_id is not None else None
    if reference is not None and reference.cuboid is not None:
        class_name, size = reference.class_name, np.asarray(reference.cuboid.size)
    else:
        class_name = keys[-1].class_name
        size = np.median(np.array([a.cuboid.size for a in keys]), axis=0)
    written = []
    for annotation in history:
        cuboid = annotation.cuboid
        new = cuboid.replace(size=tuple(size))
        if cuboid.is_7dof:
            bottom = cuboid.center[2] - cuboid.size[2] / 2.0
            new = new.replace(center=(cuboid.center[0], cuboid.center[1], bottom + float(size[2]) / 2.0))
        if new != cuboid or annotation.class_name != class_name:
            written.append(dataclasses.replace(annotation, cuboid=new, class_name=class_name))
    track = project.tracks.get(track_id)
    tracks = (
        [dataclasses.replace(track, class_name=class_name)]
        if track and track.class_name != class_name
        else []
    )
    if not written and not tracks:
        return TrackEdit(None, [(track_id, "already consistent")])
    return TrackEdit(PutTracks(written, f"Make track {track_id} consistent", tracks), [], len(written))
