"""The tracker: constant-velocity prediction, gated greedy assignment, bridged misses, world-frame linking."""

from __future__ import annotations

import math

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Provenance, Source
from annotator.core.pose import Pose
from annotator.core.track_linking import LinkTracks
from annotator.core.tracker import Detection, TrackerParams, link


def car(x: float, y: float, yaw: float = 0.0) -> Cuboid:
    return Cuboid((x, y, 0.8), (4.2, 1.8, 1.6), yaw)


def ids_of(tracks) -> set[tuple]:
    return {tuple(t.keys) for t in tracks}


def test_two_crossing_cars_keep_their_identities() -> None:
    frames = []
    for k in range(12):
        a = Detection(("a", k), car(1.0 * k, -6.0 + 1.0 * k, math.pi / 4), "Car", 0.9)
        b = Detection(("b", k), car(0.6 + 1.0 * k, 6.0 - 1.0 * k, -math.pi / 4), "Car", 0.5)
        frames.append((float(k), [b, a] if k % 2 else [a, b]))
    tracks = link(frames)
    assert ids_of(tracks) == {tuple(("a", k) for k in range(12)), tuple(("b", k) for k in range(12))}
    scores = sorted(round(t.score, 3) for t in tracks)
    assert scores == [0.5, 0.9]
    assert all(t.length == 12 for t in tracks)


def test_a_missed_detection_is_bridged_by_the_prediction() -> None:
    frames = [(float(k), [] if k == 4 else [Detection(k, car(1.5 * k, 0.0), "Car")]) for k in range(9)]
    (track,) = link(frames)
    assert track.keys == [k for k in range(9) if k != 4]


def test_a_track_ends_after_too_many_misses_and_a_new_one_starts() -> None:
    seen = [0, 1, 2, 6, 7]
    frames = [(float(k), [Detection(k, car(0.0, 0.0), "Car")] if k in seen else []) for k in range(8)]
    tracks = link(frames, TrackerParams(max_misses=2))
    assert ids_of(tracks) == {(0, 1, 2), (6, 7)}


def test_classes_and_the_gate_keep_unrelated_detections_apart() -> None:
    frames = [
        (0.0, [Detection("car", car(0.0, 0.0), "Car"), Detection("far", car(50.0, 0.0), "Car")]),
        (1.0, [Detection("person", car(0.2, 0.0), "Pedestrian"), Detection("jump", car(20.0, 0.0), "Car")]),
    ]
    assert ids_of(link(frames)) == {("car",), ("far",), ("person",), ("jump",)}


def test_a_heading_seen_backwards_is_the_same_heading() -> None:
    frames = [
        (float(k), [Detection(k, car(k * 1.0, 0.0, 0.0 if k % 2 else math.pi), "Car")]) for k in range(5)
    ]
    (track,) = link(frames)
    assert track.length == 5


def _parked_car_seen_from_a_moving_ego(poses: bool) -> tuple[Project, UndoStack, list[int]]:
    """A car parked at world x=30 while the ego drives 5 m per frame (beyond the gate in sensor coordinates)."""
    project = Project()
    stack = UndoStack(project)
    pose = [Pose((1.0, 0.0, 0.0, 0.0), (5.0 * k, 0.0, 0.0)) if poses else None for k in range(6)]
    frame_ids = stack.push(AddFrames([Frame(0, f"{k:06d}", k, pose=pose[k]) for k in range(6)])).ids
    model = Provenance(Source.MODEL, "geometric", score=0.8)
    proposals = [
        Annotation(0, f, "Car", cuboid=car(30.0 - 5.0 * k, 4.0), provenance=model)
        for k, f in enumerate(frame_ids)
    ]
    manual = Annotation(0, frame_ids[0], "Car", cuboid=car(10.0, -4.0))
    ids = stack.push(AddAnnotations([*proposals, manual])).ids
    return project, stack, ids


def test_linking_in_the_world_frame_follows_a_parked_car_past_the_ego_motion() -> None:
    project, stack, ids = _parked_car_seen_from_a_moving_ego(poses=True)
    manual_track = project.annotations[ids[-1]].track_id
    command = LinkTracks(project.frames_in_order())
    stack.push(command)
    assert command.world and command.tracks == 1 and command.linked == 6
    (track_id,) = {project.annotations[i].track_id for i in ids[:-1]}
    assert project.tracks[track_id].attributes == {"track_score": 0.8, "track_length": 6}
    assert project.annotations[ids[-1]].track_id == manual_track  # not a proposal: untouched
    assert len(project.tracks) == 2  # the proposals' emptied single tracks are gone
    stack.undo()
    assert len({project.annotations[i].track_id for i in ids[:-1]}) == 6


def test_without_poses_the_same_proposals_fragment_in_the_sensor_frame() -> None:
    project, stack, _ = _parked_car_seen_from_a_moving_ego(poses=False)
    command = LinkTracks(project.frames_in_order())
    stack.push(command)
    assert not command.world and command.tracks == 6
