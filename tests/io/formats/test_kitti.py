"""KITTI: the real frame survives import -> export number for number; conversions match io.kitti."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.model.records import Annotation, Frame
from annotator.io.errors import FormatError
from annotator.io.formats.export import export_project
from annotator.io.formats.kitti_objects import calib_for_camera, kitti_objects
from annotator.io.importers import read_source
from annotator.io.kitti import format_calib, kitti_from_cuboid, parse_calib, parse_label_line, read_calib

DONT_CARE = (
    "DontCare -1 -1 -10.00 503.89 169.71 590.61 190.13 -1.00 -1.00 -1.00 -1000.00 -1000.00 -1000.00 -10.00"
)


def kitti_copy(shared_data: Path, tmp_path: Path) -> Path:
    """The real KITTI frame copied, with two DontCare rows appended to its label."""
    root = tmp_path / "training"
    shutil.copytree(shared_data / "kitti_object" / "training", root)
    label = root / "label_2" / "000000.txt"
    label.write_text(label.read_text() + DONT_CARE + "\n" + DONT_CARE.replace("503.89", "10.00") + "\n")
    return root


def numbers_of(line: str) -> tuple[str, np.ndarray]:
    fields = line.split()
    return fields[0], np.array([float(v) for v in fields[1:]])


def test_real_frame_round_trips_every_number(shared_data, tmp_path, project_of):
    root = kitti_copy(shared_data, tmp_path)
    dataset = read_source("kitti", root)
    frame = dataset.frames[0]
    assert frame.name == "000000" and frame.cloud == root / "velodyne" / "000000.bin"
    camera = frame.cameras["image_2"]
    assert (camera.width, camera.height) == (1224, 370)  # from the PNG header (KITTI sizes vary)
    calib = read_calib(root / "calib" / "000000.txt")
    assert np.allclose(camera.extrinsic_matrix, calib.lidar_to_rect()) and np.allclose(
        camera.projection_matrix, calib.projections["P2"]
    )
    assert [o.class_name for o in frame.objects] == ["Pedestrian"]
    project = project_of(
        [Frame(0, frame.name, 0, cameras=frame.cameras, meta=frame.meta)],
        [[Annotation(0, 0, o.class_name, cuboid=o.cuboid, attributes=o.attributes) for o in frame.objects]],
    )
    export_project(project, "kitti", tmp_path / "out")
    original = (root / "label_2" / "000000.txt").read_text().splitlines()
    exported = (tmp_path / "out" / "label_2" / "000000.txt").read_text().splitlines()
    assert len(exported) == len(original) == 3
    for line_a, line_b in zip(original, exported):
        (name_a, a), (name_b, b) = numbers_of(line_a), numbers_of(line_b)
        assert name_a == name_b
        assert np.allclose(a[7:14], b[7:14], atol=0.01)  # dimensions, location, rotation_y
        assert np.allclose(a[2], b[2], atol=0.01)  # alpha
        assert np.allclose(a[3:7], b[3:7], atol=1.0)  # bbox
        assert a[0] == b[0] and a[1] == b[1]  # truncated, occluded
    assert exported[1:] == original[1:]  # DontCare rows as they were
    assert parse_calib((tmp_path / "out" / "calib" / "000000.txt").read_text()) is not None
    written = read_calib(tmp_path / "out" / "calib" / "000000.txt")
    assert np.allclose(written.projections["P2"], calib.projections["P2"])
    assert np.allclose(written.lidar_to_rect(), calib.lidar_to_rect())


def test_real_label_lands_on_its_points(shared_data):
    from annotator.io.pointcloud import read_point_cloud

    frame = read_source("kitti", shared_data / "kitti_object" / "training").frames[0]
    points = read_point_cloud(frame.cloud).xyz
    pedestrian = frame.objects[0].cuboid
    assert pedestrian.points_inside(points).sum() > 50
    # the 2D box computed from the cuboid overlaps the hand-drawn KITTI box well
    computed = kitti_objects([Annotation(1, 1, "Pedestrian", cuboid=pedestrian)], frame.cameras["image_2"])[0]
    kept = frame.objects[0].attributes["kitti"]["bbox"]
    from annotator.core.box2d import Box2D

    assert Box2D(*computed.bbox).iou(Box2D(*kept)) > 0.7
    assert abs(computed.alpha - frame.objects[0].attributes["kitti"]["alpha"]) < 0.01


def test_changed_cuboid_is_recomputed_and_matches_io_kitti(kitti_camera):
    rng = np.random.default_rng(3)
    cuboids = [
        Cuboid(
            (rng.uniform(3, 50), rng.uniform(-15, 15), rng.uniform(-2, 1)),
            tuple(rng.uniform(0.5, 6, 3)),
            rng.uniform(-3, 3),
        )
        for _ in range(200)
    ]
    kept = {"kitti": {"cuboid": [0.0] * 9, "bbox": [1, 2, 3, 4], "alpha": 9.0, "truncated": 0.5, "occluded": 2,
                      "dimensions": [1, 1, 1], "location": [0, 0, 0], "rotation_y": 0.0}}  # fmt: skip
    annotations = [Annotation(i + 1, 1, "Car", cuboid=c, attributes=kept) for i, c in enumerate(cuboids)]
    for cuboid, obj in zip(cuboids, kitti_objects(annotations, kitti_camera)):
        reference = kitti_from_cuboid(cuboid, kitti_camera)
        assert np.allclose(obj.location, reference.location, atol=1e-9)
        assert np.allclose(obj.dimensions, reference.dimensions, atol=1e-9)
        assert math.isclose(obj.rotation_y, reference.rotation_y, abs_tol=1e-9)
        assert math.isclose(obj.alpha, reference.alpha, abs_tol=1e-9)
        assert np.allclose(obj.bbox, reference.bbox, atol=1e-6)
        assert obj.occluded == 2  # the kept occlusion still applies


def test_truncation_is_the_share_of_the_box_outside_the_image(kitti_camera):
    inside = Cuboid((15.0, 0.0, -0.5), (4.0, 1.6, 1.5), 0.0)
    far_left = Cuboid((6.0, 5.5, -0.5), (4.0, 1.6, 1.5), 0.0)
    behind = Cuboid((-10.0, 0.0, -0.5), (4.0, 1.6, 1.5), 0.0)
    rows = kitti_objects(
        [Annotation(i + 1, 1, "Car", cuboid=c) for i, c in enumerate((inside, far_left, behind))],
        kitti_camera,
    )
    assert rows[0].truncated == 0.0
    assert 0.2 < rows[1].truncated < 1.0
    assert rows[2].truncated == 1.0 and rows[2].bbox == (0.0, 0.0, 0.0, 0.0)


def test_frame_without_calibration_is_skipped_unless_synthetic(tmp_path, project_of, cuboid_of):
    car = cuboid_of(Cuboid((10.0, 1.0, -0.8), (4.0, 1.7, 1.5), 0.3))
    project = project_of([Frame(0, "a", 0), Frame(0, "b", 1)], [[car], [car]])
    report = export_project(project, "kitti", tmp_path / "out", selection="a")
    assert report.frames == 0 and "no camera calibration" in report.skipped[0][1]
    report = export_project(project, "kitti", tmp_path / "out", options={"calib": "synthetic"})
    assert report.frames == 2 and not report.skipped
    back = read_source("kitti", tmp_path / "out")
    assert np.allclose(back.frames[0].objects[0].cuboid.center, (10.0, 1.0, -0.8), atol=0.01)


def test_exported_calibration_reproduces_the_camera(kitti_camera):
    calib = parse_calib(format_calib(calib_for_camera(kitti_camera)))
    camera = calib.camera("P2")
    assert np.allclose(camera.projection_matrix, kitti_camera.projection_matrix)
    assert np.allclose(camera.extrinsic_matrix, kitti_camera.extrinsic_matrix)


def test_bad_label_line_names_file_line_and_field(shared_data, tmp_path):
    root = kitti_copy(shared_data, tmp_path)
    label = root / "label_2" / "000000.txt"
    label.write_text(label.read_text() + "Car 0.00 0 x 1 2 3 4 1.5 1.6 3.9 1 1 10 0.1\nCar 0 0\n")
    dataset = read_source("kitti", root)
    assert len(dataset.frames[0].objects) == 1  # the good row still imports
    messages = [str(p) for p in dataset.problems]
    assert len(messages) == 2
    assert messages[0].startswith(f"{label}:4: alpha: not a number")
    assert messages[1].startswith(f"{label}:5:") and "expected 15 or 16 values" in messages[1]


def test_a_bad_calibration_stops_the_import(shared_data, tmp_path):
    root = kitti_copy(shared_data, tmp_path)
    (root / "calib" / "000000.txt").write_text("P2: 1 2 3\n")
    with pytest.raises(FormatError, match=r"calib/000000.txt:1: P2: expected 12 or 9 numbers"):
        read_source("kitti", root)


def test_label_parsing_matches_io_kitti(shared_data):
    line = (shared_data / "kitti_object" / "training" / "label_2" / "000000.txt").read_text().splitlines()[0]
    obj = parse_label_line(line)
    frame = read_source("kitti", shared_data / "kitti_object" / "training").frames[0]
    kept = frame.objects[0].attributes["kitti"]
    assert kept["location"] == list(obj.location) and kept["rotation_y"] == obj.rotation_y


def test_vectorised_import_matches_io_kitti(kitti_camera):
    from annotator.io.formats.kitti_objects import lidar_boxes
    from annotator.io.kitti import cuboid_from_kitti

    rng = np.random.default_rng(5)
    objects = [
        parse_label_line(
            f"Car 0 0 0 0 0 0 0 {rng.uniform(1, 3):.2f} {rng.uniform(1, 3):.2f} {rng.uniform(2, 6):.2f} "
            f"{rng.uniform(-20, 20):.2f} {rng.uniform(-1, 2):.2f} {rng.uniform(2, 60):.2f} {rng.uniform(-3.1, 3.1):.2f}"
        )
        for _ in range(100)
    ]
    for obj, box in zip(objects, lidar_boxes(objects, kitti_camera)):
        reference = cuboid_from_kitti(obj, kitti_camera)
        assert np.allclose(box, reference.to_array(), atol=1e-9)


def test_kept_numbers_are_not_reused_with_another_camera(shared_data, tmp_path, project_of, kitti_camera):
    frame = read_source("kitti", shared_data / "kitti_object" / "training").frames[0]
    (obj,) = frame.objects
    annotation = Annotation(0, 0, obj.class_name, cuboid=obj.cuboid, attributes=obj.attributes)
    project = project_of(
        [Frame(0, "000000", 0, cameras={"image_2": kitti_camera}, meta=frame.meta)], [[annotation]]
    )
    export_project(project, "kitti", tmp_path / "out")
    line = (tmp_path / "out" / "label_2" / "000000.txt").read_text().splitlines()[0]
    (exported,) = kitti_objects([annotation], kitti_camera, reuse=False)
    assert parse_label_line(line).location == tuple(round(v, 2) for v in exported.location)
    assert parse_label_line(line).location != tuple(obj.attributes["kitti"]["location"])
