"""Every malformed file gives one clear error: the file, where in it (line or field) and the problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.io.errors import FormatError
from annotator.io.importers import read_source


def only_problem(format_id: str, source: Path) -> str:
    dataset = read_source(format_id, source)
    assert len(dataset.problems) == 1, dataset.problems
    return str(dataset.problems[0])


def test_json_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "label" / "000001.json"
    path.parent.mkdir()
    path.write_text('[\n  {"psr": {}\n  "obj_type": "Car"}\n]\n')
    with pytest.raises(FormatError, match=r"000001.json:3: not valid JSON"):
        read_source("sustech", tmp_path)


def test_sustech_missing_field(tmp_path):
    (tmp_path / "label").mkdir()
    entry = {
        "psr": {
            "position": {"x": 1, "y": 2},
            "scale": {"x": 1, "y": 1, "z": 1},
            "rotation": {"x": 0, "y": 0, "z": 0},
        },
        "obj_type": "Car",
    }
    (tmp_path / "label" / "a.json").write_text(json.dumps([entry]))
    message = only_problem("sustech", tmp_path)
    assert message == f"{tmp_path / 'label' / 'a.json'}: [0].psr.position.z: expected a number, got null"


def test_yolo_bad_line_and_class(tmp_path, image_file):
    (tmp_path / "labels").mkdir()
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.png").write_bytes(image_file.read_bytes())
    (tmp_path / "classes.txt").write_text("Car\n")
    (tmp_path / "labels" / "a.txt").write_text(
        "0 0.5 0.5 0.1 0.1\n0 0.5 0.5 0.1\n3 0.5 0.5 0.1 0.1\n0 0.5 nan 0.1 0.1\n"
    )
    problems = [str(p) for p in read_source("yolo", tmp_path).problems]
    label = tmp_path / "labels" / "a.txt"
    assert problems == [
        f"{label}:2: expected 5 or 6 values (class cx cy w h [score]), got 4",
        f"{label}:3: class: class 3 is not in 0-0",
        f'{label}:4: cy: expected a finite number, got "nan"',
    ]


def test_yolo_without_classes_or_image(tmp_path):
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "a.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    with pytest.raises(FormatError, match=r"no classes\.txt"):
        read_source("yolo", tmp_path)
    (tmp_path / "classes.txt").write_text("Car\n")
    with pytest.raises(FormatError, match=r"labels/a.txt: no image of the same name found"):
        read_source("yolo", tmp_path)


def test_coco_bad_annotation_and_bad_structure(tmp_path):
    data = {
        "images": [{"id": 1, "file_name": "a.png", "width": 10, "height": 10}],
        "categories": [{"id": 1, "name": "Car"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2]},
            {"id": 2, "image_id": 9, "category_id": 1, "bbox": [1, 1, 2, 2]},
        ],
    }
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data))
    problems = [str(p) for p in read_source("coco", path).problems]
    assert problems == [
        f"{path}: annotations[0].bbox: expected a list of 4 numbers, got a list of 3",
        f"{path}: annotations[1].image_id: no image with id 9",
    ]
    path.write_text(json.dumps({"images": {}}))
    with pytest.raises(FormatError, match=r"c.json: categories: missing"):
        read_source("coco", path)


def test_voc_bad_xml_and_bad_box(tmp_path):
    folder = tmp_path / "Annotations"
    folder.mkdir()
    (folder / "a.xml").write_text(
        "<annotation><object><name>Car</name><bndbox><xmin>1</xmin></bndbox></object></annotation>"
    )
    assert (
        only_problem("voc", tmp_path)
        == f"{folder / 'a.xml'}: object[0].bndbox.ymin: expected a number, got null"
    )
    (folder / "a.xml").write_text("<annotation>\n<object>\n</annotation>")
    with pytest.raises(FormatError, match=r"a.xml:3: not valid XML"):
        read_source("voc", tmp_path)


def test_labelcloud_bad_dimensions(tmp_path):
    (tmp_path / "labels").mkdir()
    obj = {
        "name": "box",
        "centroid": {"x": 0, "y": 0, "z": 0},
        "dimensions": {"length": -1, "width": 1, "height": 1},
        "rotations": {"x": 0, "y": 0, "z": 0},
    }
    (tmp_path / "labels" / "a.json").write_text(json.dumps({"objects": [obj]}))
    message = only_problem("labelcloud", tmp_path)
    assert (
        message.startswith(f"{tmp_path / 'labels' / 'a.json'}: objects[0]: ")
        and "must not be negative" in message
    )


def test_nuscenes_zero_quaternion(tmp_path):
    record = {
        "sample_token": "s",
        "translation": [0, 0, 0],
        "size": [1, 1, 1],
        "rotation": [0, 0, 0, 0],
        "category_name": "car",
    }
    path = tmp_path / "sample_annotation.json"
    path.write_text(json.dumps([record]))
    assert only_problem("nuscenes", path) == f"{path}: [0].rotation: a rotation quaternion must not be zero"


def test_missing_source_and_wrong_layout(tmp_path):
    with pytest.raises(FormatError, match="no such file or folder"):
        read_source("kitti", tmp_path / "nope")
    with pytest.raises(FormatError, match="not a KITTI object folder"):
        read_source("kitti", tmp_path)
    with pytest.raises(FormatError, match="not a SUSTechPOINTS scene"):
        read_source("sustech", tmp_path)
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(FormatError, match=r"x.json: openlabel: missing"):
        read_source("openlabel", tmp_path / "x.json")
