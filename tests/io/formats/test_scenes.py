"""SUSTechPOINTS and labelCloud real examples; nuScenes records; identities across frames."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.model.records import Annotation, Frame
from annotator.io.formats.labelcloud import cuboid_from_vertices, vertices_of
from annotator.io.formats.sustech import calibration_data
from annotator.io.importers import read_source
from annotator.io.pointcloud import read_point_cloud

SUSTECH_POINTS = {"000950": 68242, "000965": 66781, "000970": 66899, "000975": 67153}


def test_sustech_example_imports_frames_cameras_and_labels_on_points(shared_data):
    dataset = read_source("sustech", shared_data / "sustechpoints_example")
    assert [f.name for f in dataset.frames] == sorted(SUSTECH_POINTS)
    assert not dataset.problems
    assert dataset.object_count == 87
    for frame in dataset.frames:
        points = read_point_cloud(frame.cloud).xyz
        assert len(points) == SUSTECH_POINTS[frame.name]
        assert sorted(frame.images) == ([] if frame.name == "000950" else ["front", "left", "right"])
        inside = [obj.cuboid.points_inside(points).sum() for obj in frame.objects]
        assert sum(count >= 5 for count in inside) >= 0.9 * len(inside)  # labels land on their points
    front = dataset.frames[1].cameras["front"]
    assert (front.width, front.height) == (2048, 1536)
    keys = [{o.track_key for o in f.objects} for f in dataset.frames]
    assert len(set.intersection(*keys)) > 10  # the same obj_ids recur: one track each


def test_sustech_rotation_order_is_x_then_y_then_z(shared_data):
    label = json.loads((shared_data / "sustechpoints_example" / "label" / "000950.json").read_text())
    psr = label[0]["psr"]
    obj = read_source("sustech", shared_data / "sustechpoints_example").frames[0].objects[0]
    rx, ry, rz = (psr["rotation"][a] for a in "xyz")
    cx, sx, cy, sy, cz, sz = (
        math.cos(rx),
        math.sin(rx),
        math.cos(ry),
        math.sin(ry),
        math.cos(rz),
        math.sin(rz),
    )
    matrix = (
        np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
        @ np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
        @ np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    )
    assert np.allclose(obj.cuboid.rotation, matrix)
    assert obj.track_key == label[0]["obj_id"] and obj.class_name == label[0]["obj_type"]


def test_sustech_export_keeps_ids_and_calibration(tmp_path, project_of, round_trip, kitti_camera):
    camera = kitti_camera  # a projection with a 4th column: folded into the extrinsic
    car = Cuboid((10.0, 1.0, -0.8), (4.0, 1.7, 1.5), 0.3, 0.02, -0.01)
    frames = [Frame(0, "f1", 0, cameras={"front": camera}), Frame(0, "f2", 1)]
    project = project_of(
        frames, [[Annotation(0, 0, "Car", 7, cuboid=car)], [Annotation(0, 0, "Car", 7, cuboid=car)]]
    )
    _, dataset = round_trip(project, "sustech", tmp_path / "out")
    assert [o.track_key for f in dataset.frames for o in f.objects] == ["7", "7"]
    data = calibration_data(camera)
    k = np.reshape(data["intrinsic"], (3, 3))
    extrinsic = np.reshape(data["extrinsic"], (4, 4))
    points = np.random.default_rng(0).uniform(5, 30, (20, 3))
    uv, _ = camera.project(points)
    homogeneous = (points @ extrinsic[:3, :3].T + extrinsic[:3, 3]) @ k.T
    assert np.allclose(homogeneous[:, :2] / homogeneous[:, 2:], uv)
    saved = json.loads((tmp_path / "out" / "calib" / "camera" / "front.json").read_text())
    assert np.allclose(saved["extrinsic"], data["extrinsic"])


def test_labelcloud_example_converts_degrees(shared_data):
    dataset = read_source("labelcloud", shared_data / "labelcloud_example")
    (frame,) = dataset.frames
    assert frame.name == "exemplary" and frame.cloud.name == "exemplary.ply"
    (cart,) = frame.objects
    assert cart.class_name == "cart"
    assert math.isclose(cart.cuboid.yaw, math.radians(235 - 360))  # 235 degrees, centroid_abs
    assert np.allclose(cart.cuboid.size, (0.75, 0.55, 0.15))
    assert dataset.classes["cart"] == (0xF1, 0x56, 0xFF)  # colours from _classes.json
    points = read_point_cloud(frame.cloud).xyz
    assert cart.cuboid.points_inside(points).sum() > 100


def test_labelcloud_vertices_order_and_inverse():
    cuboid = Cuboid((1.0, 2.0, 3.0), (4.0, 2.0, 1.0), 0.4, 0.1, -0.2)
    corners = vertices_of(cuboid)
    assert np.allclose(corners[3] - corners[0], cuboid.rotation[:, 0] * 4.0)  # 0 -> 3 runs along the length
    back = cuboid_from_vertices(corners.tolist(), "x.json", "vertices")
    assert np.allclose(back.center, cuboid.center) and np.allclose(back.rotation, cuboid.rotation)


def test_labelcloud_variant_must_be_known(tmp_path, project_of):
    from annotator.core.errors import AnnotatorError
    from annotator.io.formats.export import export_project

    with pytest.raises(AnnotatorError, match="unknown variant 'degrees'"):
        export_project(project_of([], []), "labelcloud", tmp_path, options={"variant": "degrees"})


def test_nuscenes_links_instances_and_reads_categories_through_instances(tmp_path, project_of, round_trip):
    car = Cuboid((10.0, 1.0, -0.8), (4.0, 1.7, 1.5), 0.3)
    frames = [Frame(0, f"s{i}", i, timestamp=float(i)) for i in range(3)]
    project = project_of(
        frames, [[Annotation(0, 0, "car", 4, cuboid=car.replace(center=(10.0 + i, 1, 0)))] for i in range(3)]
    )
    _, dataset = round_trip(project, "nuscenes", tmp_path / "out")
    assert [f.name for f in dataset.frames] == ["s0", "s1", "s2"] and dataset.frames[2].timestamp == 2.0
    records = json.loads((tmp_path / "out" / "sample_annotation.json").read_text())
    assert records[0]["prev"] == "" and records[0]["next"] == records[1]["token"] == records[2]["prev"]
    assert records[0]["size"] == [1.7, 4.0, 1.5]  # width, length, height
    for record in records:  # real nuScenes: the class only through instance -> category
        del record["category_name"]
    (tmp_path / "out" / "sample_annotation.json").write_text(json.dumps(records))
    instances = json.loads((tmp_path / "out" / "instance.json").read_text())
    for instance in instances:
        instance["category_token"] = "c1"
        del instance["category_name"]
    (tmp_path / "out" / "instance.json").write_text(json.dumps(instances))
    (tmp_path / "out" / "category.json").write_text(json.dumps([{"token": "c1", "name": "vehicle.car"}]))
    dataset = read_source("nuscenes", tmp_path / "out")
    assert {o.class_name for f in dataset.frames for o in f.objects} == {"vehicle.car"}


def test_labelcloud_without_classes_file_guesses_degrees_from_large_angles(tmp_path):
    (tmp_path / "labels").mkdir()
    box = {
        "name": "box",
        "centroid": {"x": 0, "y": 0, "z": 0},
        "dimensions": {"length": 1, "width": 1, "height": 1},
    }
    (tmp_path / "labels" / "a.json").write_text(
        json.dumps({"objects": [{**box, "rotations": {"x": 0, "y": 0, "z": 90}}]})
    )
    (tmp_path / "labels" / "b.json").write_text(
        json.dumps({"objects": [{**box, "rotations": {"x": 0, "y": 0, "z": -1.5}}]})
    )
    a, b = read_source("labelcloud", tmp_path).frames
    assert math.isclose(a.objects[0].cuboid.yaw, math.pi / 2) and math.isclose(b.objects[0].cuboid.yaw, -1.5)
