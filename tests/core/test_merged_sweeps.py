"""Merging sweeps in the world frame: poses applied, voxel thinning, moving objects kept apart."""

from __future__ import annotations

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.merged_sweeps import Sweep, merge_sweeps, moving_track_ids, window_offsets
from annotator.core.model.records import Annotation, Frame
from annotator.core.pose import Pose


def at(x: float) -> Pose:
    return Pose((1.0, 0.0, 0.0, 0.0), (x, 0.0, 0.0))


def test_other_sweeps_land_in_the_current_sensor_frame() -> None:
    point = np.array([[10.0, 1.0, 0.5]], np.float32)  # one world point (12, 1, 0.5) seen from x = 2 ...
    current = Sweep(point, at(2.0))
    other = Sweep(point + np.float32([1.0, 0.0, 0.0]), at(1.0))  # ... and from x = 1
    merged = merge_sweeps(current, {-1: other}, voxel=0.0)
    assert np.allclose(merged.xyz, [[10.0, 1.0, 0.5], [10.0, 1.0, 0.5]])
    assert merged.origin.tolist() == [0, -1]
    assert merged.sweep_count == 2


def test_voxel_thinning_keeps_every_current_point_and_one_per_new_voxel() -> None:
    current = Sweep(np.zeros((3, 3), np.float32), at(0.0))
    other = Sweep(np.array([[0.0, 0, 0], [1.0, 0, 0], [1.01, 0, 0]], np.float32), at(0.0))
    merged = merge_sweeps(current, {1: other}, voxel=0.1)
    assert merged.current_count == 3
    assert len(merged) == 4  # the current three, and one point of the new voxel at x = 1
    assert merged.origin.tolist() == [0, 0, 0, 1]


def test_points_inside_moving_boxes_of_other_sweeps_are_faded_not_merged() -> None:
    box = Cuboid((5.0, 0.0, 0.0), (2.0, 2.0, 2.0), 0.0)
    xyz = np.array([[5.0, 0.0, 0.0], [20.0, 0.0, 0.0]], np.float32)
    merged = merge_sweeps(
        Sweep(xyz, at(0.0), moving_boxes=(box,)), {1: Sweep(xyz, at(0.0), moving_boxes=(box,))}, voxel=0.0
    )
    assert len(merged) == 3  # the current sweep keeps its moving object
    assert merged.faded.tolist() == [[5.0, 0.0, 0.0]]


def test_moving_tracks_are_those_that_move_in_the_world() -> None:
    frames = [Frame(k + 1, f"f{k}", k, pose=at(2.0 * k)) for k in range(3)]
    still_in_world = [
        Annotation(10 + k, k + 1, "Car", cuboid=Cuboid((10.0 - 2.0 * k, 0, 0), (4, 2, 1.5)), track_id=1)
        for k in range(3)
    ]
    still_in_sensor = [
        Annotation(20 + k, k + 1, "Car", cuboid=Cuboid((10.0, 5, 0), (4, 2, 1.5)), track_id=2)
        for k in range(3)
    ]
    seen_once = [Annotation(30, 1, "Car", cuboid=Cuboid((0.0, 9, 0), (4, 2, 1.5)), track_id=3)]
    flagged = [
        Annotation(40 + k, k + 1, "Car", cuboid=Cuboid((3.0 * k, -9, 0), (4, 2, 1.5)), track_id=4)
        for k in range(3)
    ]
    moving = moving_track_ids(frames, still_in_world + still_in_sensor + seen_once + flagged, static={4})
    assert moving == {2, 3}


def test_window_offsets_stop_at_the_ends_of_the_sequence() -> None:
    assert window_offsets(1, 10, 2) == [-1, 1, 2]
    assert window_offsets(9, 10, 1) == [-1]
