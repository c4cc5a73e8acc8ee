"""The ``argoverse`` import format on the shared Argoverse 1.1 sample log, and on broken copies of it."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from annotator.cli import main
from annotator.cli.io_commands import EXIT_PARTIAL
from annotator.core.errors import AnnotatorError
from annotator.io.importers import read_source
from annotator.io.store import ProjectStore
from annotator.io.workspace import Workspace

LOG = "argoverse1_sample_log"


@pytest.fixture
def log(shared_data: Path) -> Path:
    return shared_data / LOG


def stamps(log: Path, count: int) -> list[str]:
    return sorted(p.stem[3:] for p in (log / "lidar").glob("PC_*.ply"))[:count]


@pytest.fixture
def small_log(log: Path, tmp_path: Path) -> Path:
    """A copy of the first three sweeps (lidar, labels, poses)."""
    copy = tmp_path / "log"
    for stamp in stamps(log, 3):
        for folder, name in (
            ("lidar", f"PC_{stamp}.ply"),
            ("per_sweep_annotations_amodal", f"tracked_object_labels_{stamp}.json"),
            ("poses", f"city_SE3_egovehicle_{stamp}.json"),
        ):
            (copy / folder).mkdir(parents=True, exist_ok=True)
            shutil.copy(log / folder / name, copy / folder / name)
    return copy


def test_sample_log_imports_sweeps_tracks_poses_and_timestamps(log: Path) -> None:
    dataset = read_source("argoverse", log)
    assert len(dataset.frames) == 50 and not dataset.problems
    first = dataset.frames[0]
    stamp = int(stamps(log, 1)[0])
    assert first.name == f"PC_{stamp}" and first.timestamp == pytest.approx(stamp / 1e9)
    assert all(b.timestamp > a.timestamp for a, b in zip(dataset.frames, dataset.frames[1:]))
    pose = json.loads((log / "poses" / f"city_SE3_egovehicle_{stamp}.json").read_text())
    assert first.pose is not None and first.pose.translation == pytest.approx(pose["translation"])
    label = json.loads(
        (log / "per_sweep_annotations_amodal" / f"tracked_object_labels_{stamp}.json").read_text()
    )
    assert len(first.objects) == len(label)
    source, obj = label[0], first.objects[0]
    assert obj.class_name == "Car" and obj.attributes == {"argoverse_class": "VEHICLE"}
    assert obj.track_key == source["track_label_uuid"]
    q = source["rotation"]
    assert obj.cuboid.yaw == pytest.approx(2 * math.atan2(q["z"], q["w"]))
    assert obj.cuboid.size == pytest.approx((source["length"], source["width"], source["height"]))
    names = {o.class_name for f in dataset.frames for o in f.objects}
    assert {"Car", "Pedestrian", "Truck", "ON_ROAD_OBSTACLE", "OTHER_MOVER"} <= names  # unmapped kept as is


def test_filters_keep_near_labels_holding_points(small_log: Path) -> None:
    options = {"max_range": "50", "min_points": "10"}
    filtered = read_source("argoverse", small_log, options).frames[0]
    every = read_source("argoverse", small_log).frames[0]
    assert 0 < len(filtered.objects) < len(every.objects)
    from annotator.io.pointcloud import read_point_cloud

    points = read_point_cloud(filtered.cloud).xyz
    for obj in filtered.objects:
        assert math.hypot(*obj.cuboid.center[:2]) <= 50.0
        assert obj.cuboid.points_inside(points).sum() >= 10


def test_import_into_a_project_stores_poses_and_one_track_per_uuid(small_log: Path, tmp_path: Path) -> None:
    root = tmp_path / "project"
    assert main(["new", str(root)]) == 0
    assert main(["import", str(root), str(small_log), "-f", "argoverse", "-o", "max_range=50"]) == 0
    store = ProjectStore.open(root, read_only=True)
    try:
        project = store.load()
    finally:
        store.close()
    frames = project.frames_in_order()
    assert len(frames) == 3 and all(f.pose is not None for f in frames)
    moved = frames[0].pose.relative_to(frames[2].pose)  # the ego vehicle drove between the sweeps
    assert np.linalg.norm(moved[:3, 3]) > 0.1
    uuids = {t.attributes["source_id"] for t in project.tracks.values()}
    assert len(uuids) == len(project.tracks)


@pytest.mark.parametrize(
    ("break_it", "message", "frames"),
    [
        (lambda log, s: (log / "poses" / f"city_SE3_egovehicle_{s}.json").unlink(), "missing pose", 3),
        (
            lambda log, s: (
                log / "per_sweep_annotations_amodal" / f"tracked_object_labels_{s}.json"
            ).unlink(),
            "sweep without labels: skipped",
            2,
        ),
        (
            lambda log, s: (
                log / "per_sweep_annotations_amodal" / f"tracked_object_labels_{s}.json"
            ).write_text("[{"),
            "sweep skipped",
            2,
        ),
    ],
    ids=["missing-pose", "sweep-without-labels", "malformed-json"],
)
def test_bad_folders_report_one_line_and_import_the_rest(
    small_log, tmp_path, capsys, break_it, message, frames
):
    break_it(small_log, stamps(small_log, 2)[1])
    root = tmp_path / "project"
    Workspace.create(root).close()
    assert main(["import", str(root), str(small_log), "-f", "argoverse"]) == EXIT_PARTIAL
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("annotator: error:")]
    assert len(errors) == 1 and message in errors[0] and str(small_log) in errors[0]
    assert f"{frames} added" in captured.out
    strict = tmp_path / "strict"
    Workspace.create(strict).close()
    assert main(["import", str(strict), str(small_log), "-f", "argoverse", "--strict"]) != 0
    assert "nothing imported" in capsys.readouterr().err
    store = ProjectStore.open(strict, read_only=True)
    try:
        assert store.count("frames") == 0
    finally:
        store.close()


def test_not_a_log_and_bad_options_are_named_errors(log: Path, tmp_path: Path) -> None:
    with pytest.raises(AnnotatorError, match="not an Argoverse log"):
        read_source("argoverse", tmp_path)
    with pytest.raises(AnnotatorError, match="unknown option"):
        read_source("argoverse", log, {"range": "5"})
    with pytest.raises(AnnotatorError, match="max_range must be"):
        read_source("argoverse", log, {"max_range": "-1"})
