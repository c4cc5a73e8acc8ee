"""Ego poses through every format that carries them: written, read back, and boxes in the world frame."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.records import Annotation, Frame
from annotator.core.pose import Pose
from annotator.core.world import to_world
from annotator.io.formats.export import export_project
from annotator.io.importers import read_source
from annotator.io.workspace import Workspace

BOX = Cuboid((12.0, -3.0, -0.9), (4.2, 1.8, 1.5), 0.3)


def pose(k: int) -> Pose:
    """A city-scale pose turning and driving (and slightly tilted, so every axis is tried)."""
    yaw = 0.4 + 0.05 * k
    roll = 0.01
    q = (
        math.cos(yaw / 2) * math.cos(roll / 2),
        math.sin(roll / 2) * math.cos(yaw / 2),
        0.0,
        math.sin(yaw / 2),
    )
    return Pose(q, (2541.25 + 1.5 * k, -1037.5 + 0.5 * k, 12.25))


@pytest.fixture
def posed(tmp_path: Path) -> Workspace:
    """Three posed frames with a car in each, and a fourth frame without a pose."""
    workspace = Workspace.create(tmp_path / "project")
    frames = [Frame(0, f"{k:06d}", k, pose=pose(k), timestamp=1.0 + 0.1 * k) for k in range(3)]
    ids = workspace.push(AddFrames(frames)).ids
    workspace.push(AddAnnotations([Annotation(0, i, "Car", track_id=1, cuboid=BOX) for i in ids]))
    yield workspace
    workspace.close()


def same_pose(a: Pose | None, b: Pose) -> bool:
    return a is not None and np.allclose(a.matrix, b.matrix, atol=1e-7)


def test_sustech_lidar_pose_round_trip(posed: Workspace, tmp_path: Path) -> None:
    export_project(posed.project, "sustech", tmp_path / "su")
    stored = json.loads((tmp_path / "su" / "lidar_pose" / "000001.json").read_text())
    assert np.reshape(stored["lidarPose"], (4, 4)) == pytest.approx(pose(1).matrix)
    dataset = read_source("sustech", tmp_path / "su")
    assert [f.name for f in dataset.frames] == ["000000", "000001", "000002"]
    assert all(same_pose(f.pose, pose(k)) for k, f in enumerate(dataset.frames))
    for path in (tmp_path / "su" / "lidar_pose").iterdir():  # the exact ego_pose fields suffice too
        path.unlink()
    assert same_pose(read_source("sustech", tmp_path / "su").frames[2].pose, pose(2))


def test_sustech_bad_lidar_pose_is_named_and_leaves_the_frame_without_one(posed: Workspace, tmp_path) -> None:
    export_project(posed.project, "sustech", tmp_path / "su")
    (tmp_path / "su" / "lidar_pose" / "000001.json").write_text(json.dumps({"lidarPose": [2.0] * 16}))
    dataset = read_source("sustech", tmp_path / "su")
    assert dataset.frames[1].pose is None and same_pose(dataset.frames[0].pose, pose(0))
    assert "not a rigid transform" in str(dataset.problems[0])
    assert len(dataset.frames[1].objects) == 1  # the labels still come


def test_nuscenes_ego_pose_round_trip_with_lidar_boxes(posed: Workspace, tmp_path: Path) -> None:
    export_project(posed.project, "nuscenes", tmp_path / "nu")
    dataset = read_source("nuscenes", tmp_path / "nu")
    assert all(same_pose(f.pose, pose(k)) for k, f in enumerate(dataset.frames))
    assert dataset.frames[1].objects[0].cuboid.center == pytest.approx(BOX.center, abs=1e-5)


def test_nuscenes_world_boxes_round_trip(posed: Workspace, tmp_path: Path) -> None:
    report = export_project(posed.project, "nuscenes", tmp_path / "nu", options={"boxes": "world"})
    assert report.frames == 3
    record = json.loads((tmp_path / "nu" / "sample_annotation.json").read_text())[1]
    assert record["translation"] == pytest.approx(to_world(BOX, pose(1)).center, abs=1e-5)
    dataset = read_source("nuscenes", tmp_path / "nu", options={"boxes": "world"})
    back = dataset.frames[1].objects[0].cuboid
    # Upright boxes stay upright in both frames, so the pose's small roll shifts the yaw a hair (4e-5 rad).
    assert back.center == pytest.approx(BOX.center, abs=1e-5) and back.yaw == pytest.approx(BOX.yaw, abs=1e-4)


def test_nuscenes_world_boxes_skip_a_frame_without_pose(posed: Workspace, tmp_path: Path) -> None:
    posed.push(AddFrames([Frame(0, "000003", 3)]))
    frame_id = posed.project.frames_in_order()[-1].id
    posed.push(AddAnnotations([Annotation(0, frame_id, "Car", cuboid=BOX)]))
    report = export_project(posed.project, "nuscenes", tmp_path / "nu", options={"boxes": "world"})
    assert report.frames == 3 and report.skipped[0][0] == "000003"


def test_nuscenes_real_layout_composes_ego_pose_and_lidar_mounting(tmp_path: Path) -> None:
    mount = Pose((math.cos(0.01), 0.0, 0.0, math.sin(0.01)), (0.9, 0.0, 1.8))  # LiDAR -> ego
    ego = pose(0)  # ego -> global
    box_global = to_world(BOX, ego)  # BOX given in the ego frame here
    tables = {
        "sample.json": [{"token": "s0", "timestamp": 1}],
        "sample_data.json": [
            {"token": "d0", "sample_token": "s0", "ego_pose_token": "e0", "calibrated_sensor_token": "c0",
             "is_key_frame": True, "filename": "samples/LIDAR_TOP/x.pcd.bin"},
        ],
        "ego_pose.json": [{"token": "e0", "rotation": list(ego.rotation), "translation": list(ego.translation)}],
        "calibrated_sensor.json": [{"token": "c0", "rotation": list(mount.rotation), "translation": list(mount.translation)}],
        "sample_annotation.json": [
            {"token": "a0", "sample_token": "s0", "instance_token": "i0", "category_name": "car",
             "translation": list(box_global.center), "size": [1.8, 4.2, 1.5],
             "rotation": [math.cos(box_global.yaw / 2), 0.0, 0.0, math.sin(box_global.yaw / 2)]},
        ],
    }  # fmt: skip
    for name, records in tables.items():
        (tmp_path / name).write_text(json.dumps(records))
    dataset = read_source("nuscenes", tmp_path, options={"boxes": "world"})
    lidar = dataset.frames[0].pose
    assert np.allclose(lidar.matrix, ego.matrix @ mount.matrix)
    back = dataset.frames[0].objects[0].cuboid  # in the LiDAR frame: the ego box moved by the mounting
    expected = np.linalg.inv(mount.matrix) @ np.append(BOX.center, 1.0)
    assert back.center == pytest.approx(expected[:3], abs=1e-5)


def test_kitti_odometry_poses_round_trip(posed: Workspace, tmp_path: Path) -> None:
    export_project(posed.project, "kitti", tmp_path / "ki", options={"calib": "synthetic"})
    lines = (tmp_path / "ki" / "poses.txt").read_text().splitlines()
    assert len(lines) == 3 and all(len(line.split()) == 12 for line in lines)
    dataset = read_source("kitti", tmp_path / "ki")
    assert all(same_pose(f.pose, pose(k)) for k, f in enumerate(dataset.frames))
    assert dataset.frames[0].objects[0].cuboid.center == pytest.approx(BOX.center, abs=1e-3)


def test_kitti_poses_of_another_length_are_refused_by_name(posed: Workspace, tmp_path: Path) -> None:
    export_project(posed.project, "kitti", tmp_path / "ki", options={"calib": "synthetic"})
    poses = tmp_path / "elsewhere.txt"
    poses.write_text("1 0 0 0 0 1 0 0 0 0 1 0\n")
    dataset = read_source("kitti", tmp_path / "ki", options={"poses": str(poses)})
    assert all(f.pose is None for f in dataset.frames)
    assert "1 poses for 3 frames" in str(dataset.problems[0])


def test_kitti_raw_oxts_give_lidar_poses_through_the_imu_mounting(tmp_path: Path) -> None:
    calib = (
        "P2: 700 0 600 0 0 700 180 0 0 0 1 0\nR0_rect: 1 0 0 0 1 0 0 0 1\n"
        "Tr_velo_to_cam: 0 -1 0 0 0 0 -1 -0.08 1 0 0 -0.27\nTr_imu_to_velo: 1 0 0 0.8 0 1 0 -0.3 0 0 1 0.9\n"
    )
    lat, lon, yaw, step = 49.0, 8.4, 0.3, 10.0
    east = math.degrees(step / (math.cos(math.radians(lat)) * 6378137.0))  # 10 m east at this latitude
    for k in range(2):
        for folder, text in (
            ("calib", calib),
            ("label_2", ""),
            ("oxts/data", f"{lat} {lon + k * east} 110 0 0 {yaw} " + "0 " * 24),
        ):
            (tmp_path / folder).mkdir(parents=True, exist_ok=True)
            (tmp_path / folder / f"{k:06d}.txt").write_text(text)
    dataset = read_source("kitti", tmp_path)
    first, second = (f.pose for f in dataset.frames)
    moved = second.relative_to(first)  # the second LiDAR in the first's coordinates: 10 m east, heading 0.3
    assert moved[:3, 3] == pytest.approx([step * math.cos(yaw), -step * math.sin(yaw), 0.0], abs=1e-3)
    assert first.yaw == pytest.approx(yaw)
    assert not dataset.problems
