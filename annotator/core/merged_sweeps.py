"""Several sweeps of a sequence merged in the world frame and shown in one sweep's sensor frame.

Static objects (parked cars, walls, poles) become dense, because each sweep sees them from another
place. Objects that move would smear into streaks, so the points inside the boxes of moving tracks of
the *other* sweeps are kept apart (``faded``: drawn dimmed, or left out). The current sweep's points are
all kept; the other sweeps add one point per voxel not yet occupied, so the merged cloud stays bounded.

Pure numpy: the window builds a merged cloud in a worker thread (`annotator.qt.views.merged_view`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.point_index import PointIndex
from annotator.core.model.records import Annotation, Frame
from annotator.core.pose import Pose

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sweep:
    """One sweep's points in its own sensor frame, its ego pose and the boxes of its moving objects."""

    xyz: np.ndarray
    pose: Pose
    intensity: np.ndarray | None = None
    moving_boxes: Sequence[Cuboid] = ()


@dataclass(frozen=True)
class MergedSweeps:
    """A merged cloud in the current sweep's sensor frame.

    ``xyz`` / ``intensity``: the current sweep's points first (``current_count`` of them), then the other
    sweeps' static points; ``origin``: for each point, the offset of its sweep from the current one
    (0 for the current sweep); ``faded``: the other sweeps' points inside boxes of moving tracks.
    """

    xyz: np.ndarray
    intensity: np.ndarray | None
    origin: np.ndarray
    current_count: int
    faded: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.float32))

    def __len__(self) -> int:
        return int(self.xyz.shape[0])

    @property
    def sweep_count(self) -> int:
        """How many sweeps contributed points."""
        return len(np.unique(self.origin))


#: Edge of the voxels the other sweeps' points are thinned to (metres).
DEFAULT_VOXEL = 0.08
#: Most points a merged cloud holds (a random sample beyond it).
DEFAULT_MAX_POINTS = 2_000_000
#: A track whose world centres spread more than this over the sweeps (metres) counts as moving.
MOVING_SPREAD = 0.5
#: Moving boxes are grown by this much (metres) before their points are kept apart (edges, mirrors).
BOX_MARGIN = 0.2


def merge_sweeps(
    current: Sweep,
    others: Mapping[int, Sweep],
    voxel: float = DEFAULT_VOXEL,
    max_points: int = DEFAULT_MAX_POINTS,
) -> MergedSweeps:
    """Merge the ``others`` (keyed by their offset from the current sweep) into ``current``'s frame."""
    xyz = np.ascontiguousarray(current.xyz[:, :3], dtype=np.float32)
    parts, intensities, origins, faded = (
        [xyz],
        [_intensity(current, len(xyz))],
        [np.zeros(len(xyz), np.int16)],
        [],
    )
    for offset, sweep in sorted(others.items()):
        if len(sweep.xyz) == 0:
            continue
        moving = _inside_any(sweep.xyz[:, :3], sweep.moving_boxes)
        transform = sweep.pose.relative_to(current.pose)
        moved = (sweep.xyz[:, :3] @ transform[:3, :3].T + transform[:3, 3]).astype(np.float32)
        faded.append(moved[moving])
        parts.append(moved[~moving])
        intensities.append(_intensity(sweep, len(moved))[~moving])
        origins.append(np.full(int((~moving).sum()), offset, np.int16))
    merged = np.concatenate(parts)
    keep = _voxel_keep(merged, len(xyz), voxel)
    if len(keep) > max_points:
        rng = np.random.default_rng(0)
        extra = np.sort(rng.choice(keep[len(xyz) :], size=max(max_points - len(xyz), 0), replace=False))
        keep = np.concatenate([keep[: len(xyz)], extra])
    has_intensity = current.intensity is not None
    return MergedSweeps(
        xyz=np.ascontiguousarray(merged[keep]),
        intensity=np.concatenate(intensities)[keep] if has_intensity else None,
        origin=np.concatenate(origins)[keep],
        current_count=len(xyz),
        faded=np.ascontiguousarray(np.concatenate(faded)) if faded else np.zeros((0, 3), np.float32),
    )


def moving_track_ids(
    frames: Sequence[Frame], annotations: Iterable[Annotation], static: Iterable[int] = ()
) -> set[int]:
    """Tracks whose boxes move in the world over ``frames`` (those with poses): world centres spread over
    more than `MOVING_SPREAD`; a track seen in one frame only cannot be told still, so counts as moving.
    Tracks in ``static`` (flagged static) never move."""
    poses = {frame.id: frame.pose for frame in frames if frame.pose is not None}
    by_frame: dict[int, list[Annotation]] = {}
    for annotation in annotations:
        if annotation.cuboid is not None and annotation.track_id is not None and annotation.frame_id in poses:
            by_frame.setdefault(annotation.frame_id, []).append(annotation)
    centres: dict[int, list[np.ndarray]] = {}
    for frame_id, boxes in by_frame.items():  # one transform per frame
        world = poses[frame_id].to_world(np.asarray([a.cuboid.center for a in boxes if a.cuboid is not None]))
        for annotation, centre in zip(boxes, world, strict=True):
            centres.setdefault(annotation.track_id, []).append(centre)  # type: ignore[arg-type]
    still = set(static)
    moving = set()
    for track_id, points in centres.items():
        if track_id in still:
            continue
        spread = np.ptp(np.asarray(points)[:, :2], axis=0) if len(points) > 1 else None
        if spread is None or float(np.hypot(*spread)) > MOVING_SPREAD:
            moving.add(track_id)
    return moving


def window_offsets(position: int, count: int, radius: int) -> list[int]:
    """Offsets of the sweeps within ``radius`` of ``position`` in a sequence of ``count`` (0 excluded)."""
    return [o for o in range(-radius, radius + 1) if o != 0 and 0 <= position + o < count]


def _intensity(sweep: Sweep, count: int) -> np.ndarray:
    if sweep.intensity is None or len(sweep.intensity) != count:
        return np.zeros(count, np.float32)
    return np.asarray(sweep.intensity, dtype=np.float32).reshape(-1)


def _inside_any(xyz: np.ndarray, boxes: Sequence[Cuboid]) -> np.ndarray:
    mask = np.zeros(len(xyz), dtype=bool)
    if not boxes:
        return mask
    index = PointIndex(xyz)
    for box in boxes:
        mask[index.indices_inside(box, BOX_MARGIN)] = True
    return mask


def _voxel_keep(xyz: np.ndarray, current: int, voxel: float) -> np.ndarray:
    """Indices to keep: every one of the first ``current`` points, then one point per voxel that none of
    them (nor an earlier kept point) occupies."""
    if len(xyz) == current or voxel <= 0:
        return np.arange(len(xyz))
    cells = np.floor(xyz / voxel).astype(np.int64)
    cells -= cells.min(axis=0)
    span = cells.max(axis=0) + 1
    keys = (cells[:, 0] * span[1] + cells[:, 1]) * span[2] + cells[:, 2]
    _, first = np.unique(keys, return_index=True)
    added = np.sort(first[first >= current])
    return np.concatenate([np.arange(current), added])
