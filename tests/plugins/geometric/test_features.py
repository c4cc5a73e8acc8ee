"""Features that tell objects from clutter, the calibrated score, cluster splitting, and the detector on
real scans (a held-out Argoverse sweep and the KITTI frame; skipped without the shared data)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.ml.evaluation import evaluate_frame
from annotator.ml.protocol import FrameInput
from plugins.geometric.calibration import GROUPS, MODELS, calibrated_score
from plugins.geometric.features import FEATURE_NAMES, candidate_features, eigen_features
from plugins.geometric.model import CLASS_NAMES, GeometricDetector

RNG = np.random.default_rng(7)


def wall(length: float = 6.0, height: float = 3.0, n: int = 2000) -> np.ndarray:
    return np.column_stack([RNG.uniform(0, length, n), RNG.normal(0, 0.02, n), RNG.uniform(0, height, n)])


def test_a_wall_is_planar_and_vertical_a_pole_linear_a_roof_horizontal() -> None:
    _, planarity, scatter, verticality = eigen_features(wall())
    assert planarity > 0.2 and scatter < 0.01 and verticality < 0.1
    pole = np.column_stack([RNG.normal(0, 0.05, 500), RNG.normal(0, 0.05, 500), RNG.uniform(0, 4, 500)])
    assert eigen_features(pole)[0] > 0.9
    roof = wall()[:, [0, 2, 1]]
    assert eigen_features(roof)[3] > 0.9


def test_density_falls_with_range_for_the_same_returns() -> None:
    points = wall(4.0, 1.5, 300)
    near = candidate_features(Cuboid((10, 0, 0.75), (4, 0.2, 1.5)), points, 0.0, 0.5, 1.0, 1.0, False)
    far = candidate_features(Cuboid((40, 0, 0.75), (4, 0.2, 1.5)), points, 0.0, 0.5, 1.0, 1.0, False)
    index = FEATURE_NAMES.index("log_density")
    assert far[index] - near[index] == pytest.approx(2 * np.log(4.0))
    assert len(near) == len(FEATURE_NAMES)


def test_calibrated_score_is_a_probability_for_every_class() -> None:
    assert set(MODELS) == set(GROUPS.values())
    features = candidate_features(
        Cuboid((10, 0, 0.75), (4, 1.8, 1.5)), wall(4, 1.5), 0.0, 0.8, 1.0, 0.9, False
    )
    for name in CLASS_NAMES:
        assert 0.0 <= calibrated_score(features, name) <= 1.0


def person(x: float, y: float, n: int = 150) -> np.ndarray:
    angle, z = RNG.uniform(0, 2 * np.pi, n), RNG.uniform(0.0, 1.75, n)
    return np.column_stack([x + 0.22 * np.cos(angle), y + 0.22 * np.sin(angle), z])


def test_two_people_side_by_side_are_split() -> None:
    ground = np.column_stack([RNG.uniform(-20, 20, 20000), RNG.uniform(-20, 20, 20000), np.zeros(20000)])
    cloud = np.vstack([ground, person(8.0, 0.0), person(8.0, 0.62)])
    hypotheses = GeometricDetector().hypotheses(np.column_stack([cloud, np.zeros(len(cloud))]), {})
    people = [h for h in hypotheses if CLASS_NAMES[int(np.argmax(h.probabilities))] == "Pedestrian"]
    centres = sorted(h.fitted.center[1] for h in people)
    assert len(people) == 2 and centres == pytest.approx([0.0, 0.62], abs=0.15)


@pytest.fixture
def argoverse_sweep(shared_data: Path, tmp_path: Path):
    """Held-out sweep 40 of the Argoverse log, labels filtered as the importer's options do."""
    from annotator.io.importers import read_source
    from annotator.io.pointcloud import read_point_cloud

    log = shared_data / "argoverse1_sample_log"
    stamp = sorted(p.stem[3:] for p in (log / "lidar").glob("PC_*.ply"))[40]
    for folder, name in (("lidar", f"PC_{stamp}.ply"), ("per_sweep_annotations_amodal",
                         f"tracked_object_labels_{stamp}.json"), ("poses", f"city_SE3_egovehicle_{stamp}.json")):  # fmt: skip
        (tmp_path / folder).mkdir()
        shutil.copy(log / folder / name, tmp_path / folder / name)
    frame = read_source("argoverse", tmp_path, {"max_range": "50", "min_points": "10"}).frames[0]
    cloud = read_point_cloud(frame.cloud)
    points = np.column_stack([cloud.xyz, cloud.fields["intensity"]]).astype(np.float32)
    return points, [(o.class_name, o.cuboid) for o in frame.objects if o.class_name in CLASS_NAMES]


def test_finds_most_road_users_of_a_real_sweep_with_few_false_boxes(argoverse_sweep) -> None:
    points, truths = argoverse_sweep
    result = GeometricDetector().predict(FrameInput("sweep", points), {})
    found = [
        (result.class_names[int(k)], Cuboid.from_array(b), float(s))
        for b, k, s in zip(result.boxes, result.labels, result.scores)
    ]
    found = [d for d in found if np.hypot(*d[1].center[:2]) <= 50.0]
    counts = evaluate_frame(truths, found, list(CLASS_NAMES), 0.5)["any"]
    assert counts.truths > 20 and counts.recall >= 0.6 and counts.precision >= 0.7
