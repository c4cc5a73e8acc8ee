"""A generated KITTI dataset (annotator.synth) imports onto its ground truth and exports back unchanged."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from annotator.io.formats.export import export_project
from annotator.io.importers import apply_dataset, read_source
from annotator.io.workspace import Workspace


@pytest.fixture(scope="module")
def synth_kitti(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from annotator.synth.scene import SceneConfig
    from annotator.synth.writer import write_kitti_dataset

    out = tmp_path_factory.mktemp("synth")
    write_kitti_dataset(SceneConfig(seed=1, n_frames=1), out)
    return out


def test_imported_cuboids_match_the_ground_truth_to_kitti_precision(synth_kitti):
    from annotator.synth.writer import load_ground_truth

    dataset = read_source("kitti", synth_kitti)
    truth = load_ground_truth(synth_kitti / "ground_truth.json")
    (frame,) = dataset.frames
    assert not dataset.problems and len(frame.objects) > 10
    assert frame.meta["kitti"]["dontcare"]  # objects with too few points became DontCare rows
    for obj in frame.objects:
        nearest = min(
            truth[frame.name], key=lambda g: np.linalg.norm(np.subtract(g.cuboid.center, obj.cuboid.center))
        )
        assert nearest.label == obj.class_name
        assert np.allclose(nearest.cuboid.center, obj.cuboid.center, atol=0.01)
        assert np.allclose(nearest.cuboid.size, obj.cuboid.size, atol=0.005 + 1e-9)
        assert abs(math.remainder(nearest.cuboid.yaw - obj.cuboid.yaw, 2 * math.pi)) < 0.01


def test_import_then_export_gives_the_same_files(synth_kitti, tmp_path):
    dataset = read_source("kitti", synth_kitti)
    with Workspace.create(tmp_path / "p") as workspace:
        apply_dataset(workspace, dataset)
        report = export_project(workspace.project, "kitti", tmp_path / "out")
    assert report.frames == 1 and not report.skipped
    for folder in ("label_2", "calib"):
        assert (tmp_path / "out" / folder / "000000.txt").read_text() == (
            synth_kitti / folder / "000000.txt"
        ).read_text()
