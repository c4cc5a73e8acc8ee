"""Shared helpers: atomic writes, rotations, class lists, track names, the registry, 2D layouts."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.core.box2d import Box2D
from annotator.core.cuboids.rotation import rotation_matrix
from annotator.core.errors import AnnotatorError
from annotator.core.model.records import Annotation, Frame, Track
from annotator.io.formats import available_formats, get_format
from annotator.io.formats.export import class_list, track_names
from annotator.io.formats.files import natural_key, write_text_atomic
from annotator.io.formats.rotation import (
    euler_from_quaternion,
    euler_from_xyz,
    matrix_from_quaternion,
    matrix_from_xyz,
    quaternion_from_euler,
    xyz_from_euler,
)
from annotator.io.importers import read_source

angles = st.floats(-math.pi, math.pi)


def test_atomic_write_replaces_whole_files_and_leaves_no_temporaries(tmp_path, monkeypatch):
    target = tmp_path / "deep" / "a.txt"
    write_text_atomic(target, "first\n")
    write_text_atomic(target, "second\n")
    assert target.read_text() == "second\n"

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_text_atomic(target, "third\n")
    assert target.read_text() == "second\n"  # never half a file
    assert os.listdir(target.parent) == ["a.txt"]


@settings(max_examples=60, deadline=None)
@given(angles, st.floats(-1.5, 1.5), angles)
def test_quaternion_and_xyz_conversions_invert(yaw, pitch, roll):
    matrix = rotation_matrix(yaw, pitch, roll)
    w, x, y, z = quaternion_from_euler(yaw, pitch, roll)
    assert w >= 0 and math.isclose(w * w + x * x + y * y + z * z, 1.0)
    assert np.allclose(matrix_from_quaternion(w, x, y, z), matrix)
    assert np.allclose(rotation_matrix(*euler_from_quaternion(w, x, y, z)), matrix)
    rx, ry, rz = xyz_from_euler(yaw, pitch, roll)
    assert np.allclose(matrix_from_xyz(rx, ry, rz), matrix)
    assert np.allclose(rotation_matrix(*euler_from_xyz(rx, ry, rz)), matrix)


def test_registry_lists_every_format_and_refuses_unknown_ones():
    ids = [f.id for f in available_formats()]
    assert ids[:8] == ["kitti", "openlabel", "labelcloud", "sustech", "nuscenes", "coco", "yolo", "voc"]
    assert get_format("KITTI").id == "kitti"
    with pytest.raises(AnnotatorError, match="unknown format 'las'; known formats: kitti, openlabel"):
        get_format("las")


def test_class_list_and_track_names(project_of):
    project = project_of(
        [Frame(0, "a", 0)], [[Annotation(0, 0, "Zebra", box2d=Box2D(0, 0, 1, 1), camera="c")]]
    )
    assert class_list(project)[-1] == "Zebra" and class_list(project)[0] == "Car"
    assert class_list(project, ["Zebra", "Car"]) == ["Zebra", "Car"]
    with pytest.raises(AnnotatorError, match="unknown class 'Bus'"):
        class_list(project, ["Bus"])
    project.tracks.update(
        {
            1: Track(1, "Car", {"source_id": "8"}),
            2: Track(2, "Car", {"source_id": "8"}),
            3: Track(3, "Car", {"source_id": "x"}),
            4: Track(4, "Car"),
        }
    )
    assert track_names(project, [1, 2, 3, 4]) == {1: "1", 2: "2", 3: "x", 4: "4"}
    project.tracks[5] = Track(5, "Car", {"source_id": "4"})
    names = track_names(project, [4, 5])
    assert names[5] == "4" and names[4] != "4" and len(set(names.values())) == 2


def test_natural_order():
    assert sorted(["f10", "f2", "f1"], key=natural_key) == ["f1", "f2", "f10"]


def test_several_cameras_get_their_own_folders(tmp_path, project_of, image_file, round_trip):
    images = {"front": str(image_file), "left": str(image_file)}
    boxes = [Annotation(0, 0, "Car", 1, box2d=Box2D(10, 10, 50, 60), camera=c) for c in images]
    project = project_of([Frame(0, "frame", 0, images=images)], [boxes])
    for format_id, leaf in (("yolo", "labels"), ("voc", "Annotations")):
        _, dataset = round_trip(project, format_id, tmp_path / format_id)
        assert (tmp_path / format_id / "front" / leaf).is_dir() and (
            tmp_path / format_id / "left" / leaf
        ).is_dir()
        assert sorted(o.camera for o in dataset.frames[0].objects) == ["front", "left"]
    assert (tmp_path / "yolo" / "front" / "images" / image_file.name).resolve() == image_file.resolve()
    data_yaml = (tmp_path / "yolo" / "data.yaml").read_text()
    assert "train: [front/images, left/images]" in data_yaml and "  0: Car" in data_yaml
    _, dataset = round_trip(project, "coco", tmp_path / "coco")
    assert sorted(o.camera for o in dataset.frames[0].objects) == ["front", "left"]
    assert {o.track_key for o in dataset.frames[0].objects} == {"1"}


@pytest.mark.parametrize(
    "yaml",
    ["names: [Car, 'Bus']\n", "names:\n  - Car\n  - Bus\n", 'names:\n  0: Car\n  1: "Bus"\nnc: 2\n'],
)
def test_yolo_class_names_from_data_yaml(tmp_path, image_file, yaml):
    (tmp_path / "labels").mkdir()
    (tmp_path / "a.png").write_bytes(image_file.read_bytes())
    (tmp_path / "data.yaml").write_text("path: .\n" + yaml)
    (tmp_path / "labels" / "a.txt").write_text("1 0.5 0.5 0.25 0.5 0.9\n")
    dataset = read_source("yolo", tmp_path, {"camera": "cam0"})
    (obj,) = dataset.frames[0].objects
    assert obj.class_name == "Bus" and obj.camera == "cam0" and obj.score == 0.9
    assert np.allclose(obj.box2d.to_array(), (240, 120, 400, 360))


def test_coco_keeps_scores_and_categories(tmp_path, project_of, image_file):
    from annotator.core.model.records import Provenance, Source
    from annotator.io.formats.export import export_project

    model = Provenance(Source.MODEL, "m", "1", 0.75)
    box = Annotation(0, 0, "Van", 1, box2d=Box2D(1, 2, 30, 40), camera="image", provenance=model)
    project = project_of([Frame(0, "a", 0, images={"image": str(image_file)})], [[box]])
    export_project(project, "coco", tmp_path, classes=["Van"])
    data = json.loads((tmp_path / "annotations.json").read_text())
    assert data["categories"] == [{"id": 1, "name": "Van", "supercategory": ""}]
    assert (
        data["annotations"][0]["bbox"] == [1.0, 2.0, 29.0, 38.0] and data["annotations"][0]["score"] == 0.75
    )
    assert read_source("coco", tmp_path).frames[0].objects[0].score == 0.75
