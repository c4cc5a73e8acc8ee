"""OpenLABEL: the real edge-case file, both cuboid forms, cameras and object identity."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from annotator.core.box2d import Box2D
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.model.records import Annotation, Frame
from annotator.io.importers import read_source


def test_real_edge_case_reports_the_bad_object_and_imports_the_good_one(shared_data):
    path = shared_data / "openlabel_example" / "openlabel100_test_cuboids.json"
    dataset = read_source("openlabel", path)
    assert [f.name for f in dataset.frames] == ["openlabel100_test_cuboids"]  # no frames: static data
    (good,) = dataset.frames[0].objects
    assert good.class_name == "car" and good.track_key == "0" and good.track_attributes == {"name": "car1"}
    assert np.allclose(good.cuboid.center, (0.0, 20.0, -0.85))
    assert np.allclose(good.cuboid.size, (1.5, 4.5, 1.7))
    assert (
        math.isclose(good.cuboid.pitch, 0.3) and good.cuboid.yaw == 0.0 and good.cuboid.roll == 0.0
    )  # ry = 0.3
    (problem,) = dataset.problems
    message = str(problem)
    assert message.startswith(f"{path}: openlabel.objects.1.object_data.cuboid[0].val: ")
    assert 'object "1" (car2)' in message and "val is null" in message
    assert "traslation" in message  # the non-standard keys are named


def write(path: Path, document: dict) -> Path:
    path.write_text(json.dumps({"openlabel": document}))
    return path


def test_9_and_10_value_forms_give_the_same_cuboid(tmp_path):
    yaw, pitch, roll = 0.7, 0.2, -0.1
    from annotator.io.formats.rotation import quaternion_from_euler

    w, x, y, z = quaternion_from_euler(yaw, pitch, roll)
    objects = {
        "a": {
            "name": "a",
            "type": "Car",
            "object_data": {"cuboid": [{"name": "b", "val": [1, 2, 3, roll, pitch, yaw, 4, 2, 1.5]}]},
        },
        "b": {
            "name": "b",
            "type": "Car",
            "object_data": {"cuboid": [{"name": "b", "val": [1, 2, 3, x, y, z, w, 4, 2, 1.5]}]},
        },
    }
    dataset = read_source("openlabel", write(tmp_path / "two.json", {"objects": objects}))
    first, second = (o.cuboid for o in dataset.frames[0].objects)
    assert np.allclose(first.rotation, second.rotation) and np.allclose(
        first.rotation, Cuboid((0, 0, 0), (1, 1, 1), yaw, pitch, roll).rotation
    )


def test_frames_streams_and_cameras_round_trip(tmp_path, project_of, round_trip, kitti_camera):
    cloud = tmp_path / "000001.bin"
    cloud.write_bytes(b"")
    frames = [
        Frame(0, "000001", 0, cloud=str(cloud), cameras={"image_2": kitti_camera}, timestamp=12.5),
        Frame(0, "000002", 1, cameras={"image_2": kitti_camera}),
    ]
    car = Cuboid((10.0, 1.0, -0.8), (4.0, 1.7, 1.5), 0.3)
    annotations = [
        [
            Annotation(0, 0, "Car", 1, cuboid=car),
            Annotation(0, 0, "Car", 1, box2d=Box2D(10, 20, 110, 90), camera="image_2"),
        ],
        [Annotation(0, 0, "Car", 1, cuboid=car.replace(center=(11.0, 1.0, -0.8)))],
    ]
    project = project_of(frames, annotations)
    _, dataset = round_trip(project, "openlabel", tmp_path / "out")
    first, second = dataset.frames
    assert (first.name, second.name) == ("000001", "000002")
    assert first.cloud == cloud and first.timestamp == 12.5
    camera = first.cameras["image_2"]
    assert np.allclose(camera.extrinsic_matrix, kitti_camera.extrinsic_matrix)
    assert np.allclose(camera.projection_matrix, kitti_camera.projection_matrix)
    assert (camera.width, camera.height) == (1242, 375)
    keys = {o.track_key for f in dataset.frames for o in f.objects}
    assert len(keys) == 1  # one object (uid) in both frames
    box = next(o for o in first.objects if o.box2d is not None)
    assert box.camera == "image_2" and np.allclose(box.box2d.to_array(), (10, 20, 110, 90))
    document = json.loads((tmp_path / "out" / "openlabel.json").read_text())["openlabel"]
    assert document["metadata"]["schema_version"] == "1.0.0"
    (uid,) = document["objects"]
    assert document["objects"][uid]["frame_intervals"] == [{"frame_start": 0, "frame_end": 1}]
    assert len(document["frames"]["0"]["objects"][uid]["object_data"]["cuboid"][0]["val"]) == 10


def test_bad_values_are_reported_per_object(tmp_path):
    objects = {
        "ok": {"type": "Car", "object_data": {"cuboid": [{"val": [0, 0, 0, 0, 0, 0, 1, 1, 1]}]}},
        "short": {"type": "Car", "object_data": {"cuboid": [{"val": [0, 0, 0]}]}},
        "text": {"type": "Car", "object_data": {"cuboid": [{"val": [0, 0, "a", 0, 0, 0, 1, 1, 1]}]}},
        "flat": {"type": "Car", "object_data": {"cuboid": [{"val": [0, 0, 0, 0, 0, 0, 1, 0, 1]}]}},
        "zero_q": {"type": "Car", "object_data": {"cuboid": [{"val": [0, 0, 0, 0, 0, 0, 0, 1, 1, 1]}]}},
        "no_type": {"object_data": {"cuboid": [{"val": [0, 0, 0, 0, 0, 0, 1, 1, 1]}]}},
    }
    dataset = read_source("openlabel", write(tmp_path / "bad.json", {"objects": objects}))
    assert [o.track_key for o in dataset.frames[0].objects] == ["ok"]
    messages = [str(p) for p in dataset.problems]
    assert len(messages) == 5
    assert all(m.startswith(str(tmp_path / "bad.json")) for m in messages)
    assert all('object "' in m for m in messages)
    assert "val has 3 values" in messages[0] and "val[2]: " in messages[1] and "positive" in messages[2]
    assert "zero" in messages[3] and "without a type" in messages[4]
