"""`annotator demo DIR --frames N --no-gui`: a project over generated frames, ground truth kept apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from annotator.cli import main
from annotator.core.cuboids.point_index import points_in_cuboids
from annotator.io.frame_data import load_points
from annotator.io.importers import read_source
from annotator.io.reference_labels import project_reference_labels
from annotator.io.workspace import Workspace


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo") / "project"
    assert main(["demo", str(directory), "--frames", "2", "--seed", "3", "--no-gui"]) == 0
    return directory


def test_demo_makes_a_project_of_unannotated_frames_with_cloud_image_and_calibration(demo_dir: Path) -> None:
    with Workspace.open(demo_dir) as workspace:
        project = workspace.project
        frames = sorted(project.frames.values(), key=lambda f: f.index)
        assert [f.name for f in frames] == ["000000", "000001"]
        assert not project.annotations
        for frame in frames:
            assert not Path(frame.cloud).is_absolute()  # the demo folder can be moved
            assert set(frame.images) == set(frame.cameras) and frame.images
            assert frame.timestamp is not None
        assert frames[1].timestamp > frames[0].timestamp
        assert len(load_points(project, frames[0])) > 50_000


def test_ground_truth_is_kept_apart_as_reference_labels_read_back_by_frame_name(demo_dir: Path) -> None:
    reference = project_reference_labels(demo_dir)
    assert reference is not None and reference.path == demo_dir / "data" / "ground_truth.json"
    truth = reference.frames
    assert set(truth) == {"000000", "000001"}
    assert all(truth[name] for name in truth)
    track_ids = {obj.track_id for obj in truth["000000"]} & {obj.track_id for obj in truth["000001"]}
    assert track_ids  # the same objects are seen in both frames


def test_kitti_labels_through_their_own_calibration_hold_the_objects_points(demo_dir: Path) -> None:
    dataset = read_source("kitti", demo_dir / "data")
    with Workspace.open(demo_dir) as workspace:
        project = workspace.project
        by_name = {f.name: f for f in project.frames.values()}
        held, total = 0, 0
        for source in dataset.frames:
            points = load_points(project, by_name[source.name])
            cuboids = [obj.cuboid for obj in source.objects]
            counts = np.array([np.count_nonzero(c.points_inside(points[:, :3])) for c in cuboids])
            held += int(np.count_nonzero(counts >= 5))
            total += len(cuboids)
            assert np.count_nonzero(points_in_cuboids(points[:, :3], cuboids) >= 0) > 0
    assert total > 0 and held / total >= 0.8


def test_demo_on_an_existing_project_opens_it_without_generating_again(demo_dir: Path) -> None:
    before = (demo_dir / "data" / "velodyne" / "000000.bin").stat().st_mtime_ns
    assert main(["demo", str(demo_dir), "--frames", "5", "--no-gui"]) == 0
    assert (demo_dir / "data" / "velodyne" / "000000.bin").stat().st_mtime_ns == before
    with Workspace.open(demo_dir) as workspace:
        assert len(workspace.project.frames) == 2


def test_demo_refuses_a_folder_that_holds_something_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["demo", str(tmp_path), "--frames", "1", "--no-gui"]) == 1
    assert "not empty" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
