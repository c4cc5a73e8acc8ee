"""`annotator reference DIR SOURCE --format F`: a labelled dataset becomes the project's reference labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.cli import main
from annotator.core.cuboids.cuboid import Cuboid
from annotator.io.formats.base import Dataset, SourceFrame, SourceObject
from annotator.io.reference_labels import project_reference_labels
from annotator.io.reference_sources import reference_objects

KITTI = Path(__file__).parents[2] / ".." / "shared" / "data" / "kitti_object" / "training"


def test_tracks_are_numbered_by_first_appearance_and_2d_only_objects_left_out() -> None:
    car = Cuboid((5.0, 0.0, 0.0), (4.0, 2.0, 1.5), 0.0)
    frames = [
        SourceFrame("a", objects=[SourceObject("Car", car, track_key="x"), SourceObject("Car", None)]),
        SourceFrame("b", objects=[SourceObject("Van", car), SourceObject("Car", car, track_key="x")]),
    ]
    found = reference_objects(Dataset("test", Path("."), frames))
    assert [(o.track_id, o.label, o.num_points) for o in found["a"]] == [(1, "Car", 0)]  # no cloud: 0 points
    assert [(o.track_id, o.label) for o in found["b"]] == [(2, "Van"), (1, "Car")]


@pytest.fixture
def kitti_project(tmp_path: Path) -> Path:
    if not KITTI.is_dir():
        pytest.skip("../shared/data (real KITTI frame) is not here")
    root = tmp_path / "project"
    assert main(["new", str(root)]) == 0
    assert main(["add-frames", str(root), str(KITTI / "velodyne" / "000000.bin")]) == 0
    return root


def test_a_real_kitti_frames_labels_become_reference_labels_with_point_counts(kitti_project, capsys) -> None:
    assert main(["reference", str(kitti_project), str(KITTI), "--format", "kitti", "--no-progress"]) == 0
    assert "reference objects in 1 of the project's 1 frames" in capsys.readouterr().out
    reference = project_reference_labels(kitti_project)
    assert reference is not None and reference.path == kitti_project / "reference_labels.json"
    (pedestrian,) = reference.frames["000000"]  # the frame's one labelled object (DontCare is no object)
    assert pedestrian.label == "Pedestrian" and pedestrian.num_points > 50
    assert pedestrian.cuboid.center[0] == pytest.approx(
        8.7, abs=0.3
    )  # LiDAR frame: 8.4 m ahead of the camera


def test_a_dataset_of_other_frames_is_one_error_and_writes_nothing(kitti_project, tmp_path, capsys) -> None:
    other = tmp_path / "other"
    assert main(["new", str(other)]) == 0
    assert main(["reference", str(other), str(KITTI), "--format", "kitti", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("annotator: error: ") and "none of its 1 frames is a frame of" in err
    assert not (other / "reference_labels.json").exists()
