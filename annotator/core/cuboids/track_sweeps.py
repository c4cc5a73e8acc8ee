"""An object's points from the neighbouring sweeps of its track, brought into the current sweep's frame.

A far car holds 20-60 points in one sweep: too few for its L-shape to tell its heading or its sides
their size. The sweeps just before and after see it again (from a little further along the ego vehicle's
path, and with the beams falling elsewhere on it), so together they hold several times the points and
more of its outline. Each neighbouring sweep's
points around the track's box there (`TrackView`, without the points of that sweep's other boxes) are
placed in the world with that sweep's ego pose, moved back along the track's own world motion (a parked
car does not move; a travelling one is moved by its velocity times the time between the sweeps,
`track_velocity`) and brought into the current sweep's sensor frame (`track_points`).

The points join the box's own points in the fit (`annotator.core.cuboids.box_fit.fit_frame`'s
``extra_points``); the ground, the occlusions and the sensor's viewpoint stay the current sweep's.

Pure numpy; world frame x forward, y left, z up.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.partial_fit import ELONGATED
from annotator.core.pose import Pose
from annotator.core.track_motion import line_velocity

logger = logging.getLogger(__name__)

#: Sweeps at most this many before or after the current one lend their points.
SWEEP_REACH = 3
#: A track's box in a neighbouring sweep is grown by this much (m) before its points are taken: its box
#: may sit as far off its object as the current one (the fit gathers again around the current box).
VIEW_MARGIN = 1.0
#: A track's velocity comes from its boxes within this many sweeps (wider than `SWEEP_REACH`: rough boxes
#: sit up to half a metre off their objects, and a longer line averages that out).
VELOCITY_REACH = 5
#: A track whose boxes travel less than this (m) over that window counts as parked.
STILL_TRAVEL = 0.3
#: Points are thinned to one per cube of this edge (m): the sweeps repeat each other's returns.
VOXEL = 0.05
#: Vehicles longer than this (m: trucks, buses) are fitted on their own sweep's points: far ones are
#: seen by a few dozen points over 8-15 m, and more of them made the fit turn true boxes (development
#: split: true large vehicles kept 0.974 -> 0.938).
LONGEST = 6.0
#: A box holding at least this many points in its own sweep is fitted on them alone: its outline is
#: there already, and the other sweeps' points, moved by poses and by motion estimated from rough
#: boxes, would only blur it (development split, cars with 30-99 points: 0.784 on their own sweep,
#: 0.754 with the neighbouring sweeps, which smeared their width and let rough boxes pass as fitting).
SPARSE_BELOW = 30


def wants_sweeps(count: int, size: Sequence[float], sparse_below: int = SPARSE_BELOW) -> bool:
    """Whether a box holding ``count`` points in its own sweep, of an object of ``size`` (length, width,
    height: its prior), is fitted with its track's other sweeps: a sparse elongated one (a vehicle; a
    person has no outline in bird's-eye view for more points to sharpen, and bends as it walks) no
    longer than `LONGEST`."""
    return count < sparse_below and ELONGATED * size[1] <= size[0] <= LONGEST


@dataclass(frozen=True)
class TrackView:
    """A track's object in another sweep: the points (N, >=3) near its box there, in that sweep's sensor
    frame and without the points of its other boxes, that sweep's ego pose and its time."""

    points: np.ndarray
    pose: Pose
    time: float


def view_points(
    points: np.ndarray, box: Cuboid, others: Sequence[Cuboid], margin: float = VIEW_MARGIN
) -> np.ndarray:
    """The points (K, 3) within ``margin`` of ``box`` and inside none of ``others`` (one sweep's frame)."""
    pts = np.asarray(points, dtype=np.float64)[:, :3]
    keep = box.points_inside(pts, margin) if len(pts) else np.zeros(0, dtype=bool)
    reach = float(np.hypot(*box.size[:2])) / 2.0 + margin
    for other in others:
        if not keep.any():
            break
        gap = float(np.hypot(*(np.asarray(other.center[:2]) - box.center[:2])))
        if gap <= reach + float(np.hypot(*other.size[:2])) / 2.0:  # the boxes' footprints may meet
            keep[keep] &= ~other.points_inside(pts[keep])
    return pts[keep]


def track_velocity(
    times: Sequence[float], centres: Sequence[Sequence[float]], still: float = STILL_TRAVEL
) -> np.ndarray:
    """The world-frame velocity (3,) of a track from its boxes' world ``centres`` at ``times`` (a
    least-squares line, height kept), zero when it travels less than ``still`` metres over them."""
    velocity = line_velocity(times, centres)
    if (
        velocity is None
        or float(np.linalg.norm(velocity) * np.ptp(np.asarray(times, dtype=np.float64))) < still
    ):
        return np.zeros(3)
    return np.array([velocity[0], velocity[1], 0.0])


def track_points(
    views: Sequence[TrackView],
    pose: Pose,
    time: float,
    velocity: Sequence[float] = (0.0, 0.0, 0.0),
    voxel: float = VOXEL,
) -> np.ndarray:
    """The ``views``' points (K, 3) in the sensor frame of the sweep at ``pose`` and ``time``: each view's
    points go to the world with its pose, back by ``velocity`` (world, per unit of time) times the time
    between the sweeps, then into the current sweep's frame; thinned to one point per ``voxel``."""
    inverse = np.linalg.inv(pose.matrix)
    speed = np.asarray(velocity, dtype=np.float64)
    parts = []
    for view in views:
        if len(view.points) == 0:
            continue
        world = view.pose.to_world(view.points) - speed * (view.time - time)
        parts.append(world @ inverse[:3, :3].T + inverse[:3, 3])
    if not parts:
        return np.zeros((0, 3))
    merged = np.concatenate(parts)
    if voxel <= 0:
        return merged
    _, first = np.unique(np.floor(merged / voxel).astype(np.int64), axis=0, return_index=True)
    return merged[np.sort(first)]
