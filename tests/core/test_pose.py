"""Ego poses: the transform, relative poses, and their trip through the store (schema v2) and exports."""

from __future__ import annotations

import json
import math
import sqlite3

import numpy as np
import pytest

from annotator.core.edits import AddFrames
from annotator.core.model.records import Frame
from annotator.core.pose import Pose
from annotator.io.formats.export import export_project
from annotator.io.store import _SCHEMA_V1, SCHEMA_VERSION, ProjectStore, database_path
from annotator.io.workspace import Workspace


def turned(yaw: float, translation=(10.0, -2.0, 0.5)) -> Pose:
    return Pose((math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)), translation)


def test_pose_maps_lidar_points_into_the_world() -> None:
    pose = turned(math.pi / 2)
    assert pose.to_world(np.array([[1.0, 0.0, 0.0]])) == pytest.approx(np.array([[10.0, -1.0, 0.5]]))
    assert pose.yaw == pytest.approx(math.pi / 2)
    assert Pose.from_dict(pose.to_dict()) == pose


def test_relative_pose_maps_one_frame_into_another() -> None:
    a, b = turned(0.3, (1.0, 2.0, 0.0)), turned(-0.2, (4.0, 0.0, 0.1))
    point = np.array([2.0, 1.0, 0.5])
    in_b = a.relative_to(b) @ np.append(point, 1.0)  # the point of frame a, in frame b's coordinates
    assert b.to_world(in_b[None, :3])[0] == pytest.approx(a.to_world(point[None])[0])


def test_bad_poses_are_refused() -> None:
    with pytest.raises(ValueError):
        Pose((0.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0))
    with pytest.raises(ValueError):
        Pose((1.0, 0.0, 0.0, 0.0), (0.0, float("nan"), 0.0))


def test_store_keeps_poses_and_migrates_a_version_1_project(tmp_path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    db = sqlite3.connect(database_path(old))
    db.executescript(_SCHEMA_V1)
    db.execute("INSERT INTO documents VALUES ('schema', 'schema', ?)", (json.dumps({"classes": []}),))
    data = {"id": 1, "name": "f", "index": 0, "status": "new"}
    db.execute("INSERT INTO frames (id, idx, name, data) VALUES (1, 0, 'f', ?)", (json.dumps(data),))
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with Workspace.open(old) as workspace:  # opened for writing: migrated to the current schema
        assert workspace.project.frames[1].pose is None
        workspace.push(AddFrames([Frame(0, "g", 1, pose=turned(0.4))]))
    store = ProjectStore.open(old, read_only=True)
    try:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        frames = store.load().frames_in_order()
    finally:
        store.close()
    assert frames[0].pose is None and frames[1].pose == turned(0.4)


def test_exports_carry_the_pose(tmp_path) -> None:
    root = tmp_path / "project"
    with Workspace.create(root) as workspace:
        workspace.push(AddFrames([Frame(0, "f0", 0, pose=turned(0.4)), Frame(0, "f1", 1)]))
        project = workspace.project
        export_project(project, "openlabel", tmp_path / "ol")
        export_project(project, "sustech", tmp_path / "su")
    document = json.loads((tmp_path / "ol" / "openlabel.json").read_text())["openlabel"]
    assert document["coordinate_systems"]["lidar"]["parent"] == "world"
    matrix = document["frames"]["0"]["frame_properties"]["transforms"]["lidar_to_world"][
        "transform_src_to_dst"
    ]
    assert np.reshape(matrix["matrix4x4"], (4, 4)) == pytest.approx(turned(0.4).matrix)
    assert "transforms" not in document["frames"]["1"]["frame_properties"]
    ego = json.loads((tmp_path / "su" / "ego_pose" / "f0.json").read_text())
    assert ego["azimuth"] == pytest.approx(math.degrees(0.4)) and ego["x"] == 10.0
    assert not (tmp_path / "su" / "ego_pose" / "f1.json").exists()


def test_openlabel_world_boxes_round_trip_through_the_poses(tmp_path) -> None:
    from annotator.core.cuboids.cuboid import Cuboid
    from annotator.core.edits import AddAnnotations
    from annotator.core.model.records import Annotation
    from annotator.core.world import to_world
    from annotator.io.importers import read_source

    box = Cuboid((12.0, -3.0, -0.9), (4.2, 1.8, 1.5), 0.3)
    with Workspace.create(tmp_path / "project") as workspace:
        ids = workspace.push(AddFrames([Frame(0, "f0", 0, pose=turned(0.4)), Frame(0, "f1", 1)])).ids
        workspace.push(AddAnnotations([Annotation(0, i, "Car", track_id=1, cuboid=box) for i in ids]))
        report = export_project(workspace.project, "openlabel", tmp_path / "ol", options={"boxes": "world"})
    assert report.frames == 1 and report.skipped[0][0] == "f1"  # no pose: no world boxes
    document = json.loads((tmp_path / "ol" / "openlabel.json").read_text())["openlabel"]
    entry = next(iter(document["frames"]["0"]["objects"].values()))["object_data"]["cuboid"][0]
    assert entry["coordinate_system"] == "world"
    assert entry["val"][:3] == pytest.approx(to_world(box, turned(0.4)).center, abs=1e-5)
    dataset = read_source("openlabel", tmp_path / "ol")
    frame = dataset.frames[0]
    assert frame.pose is not None and frame.pose.matrix == pytest.approx(turned(0.4).matrix)
    back = frame.objects[0].cuboid
    assert back.center == pytest.approx(box.center, abs=1e-5) and back.yaw == pytest.approx(box.yaw, abs=1e-6)


def test_openlabel_refuses_an_unknown_box_frame(tmp_path) -> None:
    from annotator.core.errors import AnnotatorError

    with Workspace.create(tmp_path / "project") as workspace:
        workspace.push(AddFrames([Frame(0, "f0", 0, pose=turned(0.4))]))
        with pytest.raises(AnnotatorError, match="boxes= takes lidar or world"):
            export_project(workspace.project, "openlabel", tmp_path / "ol", options={"boxes": "sky"})
