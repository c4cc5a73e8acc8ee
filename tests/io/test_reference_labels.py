"""Reference labels: a dataset's ground truth as a data file beside the project, read by frame name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.core.box2d import Box2D
from annotator.core.cuboids.cuboid import Cuboid
from annotator.io.errors import FormatError
from annotator.io.reference_labels import (
    REFERENCE_FILE,
    ReferenceObject,
    project_reference_labels,
    read_reference_labels,
    reference_labels_path,
    write_reference_labels,
)

CAR = ReferenceObject(
    7, "Car", Cuboid((10.0, 2.0, -0.8), (4.2, 1.8, 1.5), 0.3), 812, 0, 0.1, Box2D(1, 2, 30, 40)
)


def test_written_labels_read_back_exactly_with_timestamps_and_extras_ignored(tmp_path: Path) -> None:
    path = write_reference_labels(
        tmp_path / "ref.json", {"000000": [CAR], "000001": []}, {"000000": 0.5}, {"generator": "me"},
        {"000000": {"lidar_pose": [[1, 0], [0, 1]]}},
    )  # fmt: skip
    labels = read_reference_labels(path)
    assert labels.frames == {"000000": [CAR], "000001": []}
    assert labels.timestamps == {"000000": 0.5} and labels.path == path
    assert labels.of("000002") is None
    assert labels.as_classed_cuboids() == {"000000": [("Car", CAR.cuboid)], "000001": []}


def test_only_track_label_and_a_seven_number_cuboid_are_required(tmp_path: Path) -> None:
    path = tmp_path / "ref.json"
    frames = [
        {"name": "a", "objects": [{"track_id": 1, "label": "Van", "cuboid": [1, 2, 3, 4, 2, 1.5, 0.2]}]}
    ]
    path.write_text(json.dumps({"format": "annotator-reference-labels", "version": 1, "frames": frames}))
    (obj,) = read_reference_labels(path).frames["a"]
    assert obj.cuboid.yaw == pytest.approx(0.2) and obj.cuboid.pitch == 0.0
    assert (obj.num_points, obj.occlusion, obj.box2d, obj.velocity) == (1, 3, None, (0.0, 0.0, 0.0))


def test_ground_truth_of_earlier_demos_reads_as_reference_labels(tmp_path: Path) -> None:
    path = tmp_path / "ground_truth.json"
    legacy = {"format": "annotator-synth-ground-truth", "version": 1, "config": {"seed": 0},
              "frames": [{"name": "000000", "index": 0, "timestamp": 0.1, "objects": [CAR.to_dict()]}]}  # fmt: skip
    path.write_text(json.dumps(legacy))
    assert read_reference_labels(path).frames == {"000000": [CAR]}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "not JSON"),
        ('{"format": "something-else", "frames": []}', "not a annotator-reference-labels file"),
        ('{"format": "annotator-reference-labels", "version": 9, "frames": []}', "newer than this program"),
        ('{"format": "annotator-reference-labels", "frames": {}}', "frames: a list is needed"),
        ('{"format": "annotator-reference-labels", "frames": [{"name": "a", "objects": [{"label": "Car"}]}]}',
         "frames[0]: malformed"),
        ('{"format": "annotator-reference-labels", "frames": [{"name": "a", "objects": '
         '[{"track_id": 1, "label": "Car", "cuboid": [1, 2]}]}]}', "frames[0]: malformed"),
    ],
)  # fmt: skip
def test_a_malformed_file_is_one_format_error_naming_it(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "ref.json"
    path.write_text(text)
    with pytest.raises(FormatError) as caught:
        read_reference_labels(path)
    assert str(caught.value).startswith(str(path)) and problem in str(caught.value)


def test_a_project_finds_its_own_file_before_a_demos_and_none_without_either(tmp_path: Path) -> None:
    assert reference_labels_path(tmp_path) is None and project_reference_labels(tmp_path) is None
    demo = write_reference_labels(tmp_path / "data" / "ground_truth.json", {"000000": [CAR]})
    assert reference_labels_path(tmp_path) == demo
    own = write_reference_labels(tmp_path / REFERENCE_FILE, {"000000": []})
    assert reference_labels_path(tmp_path) == own
    assert project_reference_labels(tmp_path).frames == {"000000": []}  # type: ignore[union-attr]
