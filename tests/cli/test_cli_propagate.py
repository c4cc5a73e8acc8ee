"""`annotator propagate`: tracks carried frame by frame on a generated drive with ego poses, ego motion
compensated and re-fitted, one undoable step per frame; bad arguments are one-line errors."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from tests_support import argoverse_copy  # type: ignore[import-not-found]

from annotator.cli import main
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.edits import AddAnnotations, AddFrames, RemoveAnnotations
from annotator.core.model.records import Annotation
from annotator.core.pose import Pose
from annotator.core.world import from_world, to_world
from annotator.io.frames import frames_from_files
from annotator.io.pointcloud import write_kitti_bin
from annotator.io.workspace import Workspace

FRAMES = 6
SIZE = (4.2, 1.8, 1.5)
PARKED = Cuboid((30.0, 5.0, -0.95), SIZE, 0.3)  # world


def ego(k: int) -> Pose:
    """The ego drives 1.5 m per frame along world x while turning 2 degrees per frame."""
    yaw = math.radians(2.0 * k)
    return Pose((math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)), (1.5 * k, 0.0, 0.0))


def mover(k: int) -> Cuboid:
    """A car driving 2.5 m per frame along world x, speeding up by 0.3 m per frame from frame 3."""
    x = 8.0 + 2.5 * k + 0.3 * max(0, k - 2) ** 2
    return Cuboid((x, -4.0, -0.95), SIZE, 0.0)


def cloud(k: int) -> np.ndarray:
    """Frame k's scan: flat ground and both cars filled with points, in the sensor frame."""
    rng = np.random.default_rng(k)
    ground = np.column_stack([rng.uniform(-40, 60, (6000, 2)), np.full(6000, -1.7)])
    cars = [from_world(box, ego(k)) for box in (PARKED, mover(k))]
    inside = [c.box_to_world(rng.uniform(-0.49, 0.49, (1200, 3)) * np.asarray(c.size)) for c in cars]
    xyz = np.concatenate([ground, *inside])
    return np.column_stack([xyz, np.zeros(len(xyz))]).astype(np.float32)


def make_drive(root: Path) -> Path:
    """Six frames with poses; both cars labelled (true boxes) on frames 0 and 1."""
    root.mkdir(parents=True)
    files = []
    for k in range(FRAMES):
        files.append(root / f"{k:06d}.bin")
        write_kitti_bin(files[-1], cloud(k))
    with Workspace.create(root / "project") as workspace:
        frames = frames_from_files(workspace.project, files)
        frames = [dataclasses.replace(f, pose=ego(k)) for k, f in enumerate(frames)]
        ids = workspace.push(AddFrames(frames)).ids
        labels = [
            Annotation(0, ids[k], "Car", track_id=track, cuboid=from_world(box, ego(k)))
            for k in (0, 1)
            for track, box in ((1, PARKED), (2, mover(k)))
        ]
        workspace.push(AddAnnotations(labels))
    return root / "project"


def boxes(project: Path) -> dict[tuple[int, int], Cuboid]:
    """(track id, frame position) -> cuboid in the world."""
    with Workspace.open(project) as workspace:
        p = workspace.project
        return {
            (a.track_id, p.frames[a.frame_id].index): to_world(a.cuboid, p.frames[a.frame_id].pose)
            for a in p.annotations.values()
        }


def test_propagate_carries_both_cars_through_the_drive_one_step_per_frame(tmp_path, capsys) -> None:
    project = make_drive(tmp_path / "drive")
    assert main(["propagate", str(project), "--from", "1", "--to", str(FRAMES - 1), "--no-progress"]) == 0
    assert f"propagated  8 cuboids over {FRAMES - 2} frames" in capsys.readouterr().out
    world = boxes(project)
    for k in range(2, FRAMES):
        parked = world[(1, k)]
        assert parked.center == pytest.approx(PARKED.center, abs=1e-6)  # stays put in the world
        assert parked.yaw == pytest.approx(PARKED.yaw)
        assert bev_iou(world[(2, k)], mover(k)) > 0.75  # the refit follows the car speeding up
        assert world[(2, k)].size == pytest.approx(SIZE)  # the track's size kept
    with Workspace.open(project) as workspace:
        labels = []
        for _ in range(FRAMES - 2):
            labels.append(workspace.stack.undo_label())
            workspace.stack.undo()
    assert labels == ["Propagate 2 cuboids to the next frame"] * (FRAMES - 2)
    assert sorted(boxes(project)) == [(1, 0), (1, 1), (2, 0), (2, 1)]  # undone, and saved at once


def test_without_refit_the_mover_keeps_its_labelled_velocity(tmp_path) -> None:
    project = make_drive(tmp_path / "drive")
    main(
        [
            "propagate",
            str(project),
            "--from",
            "1",
            "--to",
            "3",
            "--no-refit",
            "--tracks",
            "2",
            "--no-progress",
        ]
    )
    world = boxes(project)
    assert world[(2, 3)].center == pytest.approx((8.0 + 2.5 * 3, -4.0, -0.95), abs=1e-6)
    assert (1, 3) not in world  # only the chosen track


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "1", "--to", "99"], "--to 99"),
        (["--from", "1", "--to", "3", "--tracks", "7"], "no track 7"),
        (["--from", "1", "--to", "3", "--tracks", "car"], "--tracks takes track ids"),
    ],
)
def test_bad_arguments_are_one_line_errors(tmp_path, capsys, args, message) -> None:
    project = make_drive(tmp_path / "drive")
    assert main(["propagate", str(project), *args, "--no-progress"]) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("annotator: error:") and message in err and "\n" not in err


def test_real_argoverse_cars_labelled_on_two_sweeps_are_carried_three_more(shared_data, tmp_path) -> None:
    log = argoverse_copy(shared_data / "argoverse1_sample_log", tmp_path / "log", 20, 5)
    project = tmp_path / "project"
    assert main(["import", str(project), str(log), "--format", "argoverse", "-o", "max_range=50"]) == 0
    truth = boxes(project)
    with Workspace.open(project) as workspace:
        p = workspace.project
        cars = {a.track_id for a in p.annotations.values() if a.class_name == "Car"}
        labelled = {t for t in cars if (t, 0) in truth and (t, 1) in truth}
        drop = [
            a.id
            for a in p.annotations.values()
            if p.frames[a.frame_id].index > 1 or a.track_id not in labelled
        ]
        workspace.push(RemoveAnnotations(drop))
    assert main(["propagate", str(project), "--from", "1", "--to", "4", "--no-progress"]) == 0
    carried = boxes(project)
    pairs = [(carried[key], truth[key]) for key in carried if key[1] > 1 and key in truth]
    assert len(pairs) >= 20
    assert np.mean([bev_iou(a, b) for a, b in pairs]) >= 0.75
    still = [
        t for t in labelled if np.linalg.norm(np.subtract(truth[(t, 1)].center, truth[(t, 0)].center)) < 0.05
    ]
    assert still
    for track in still:  # cars standing still stay put in the world
        assert carried[(track, 4)].center == pytest.approx(truth[(track, 1)].center, abs=1e-6)
