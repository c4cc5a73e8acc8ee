"""The written KITTI dataset: layout, determinism, point counts, labels against points and image."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from annotator.io.kitti import DONT_CARE, cuboid_from_kitti, read_calib, read_labels
from annotator.synth import CameraConfig, LidarConfig, SceneConfig, load_ground_truth, write_kitti_dataset
from annotator.synth.actors import class_models
from annotator.synth.camera import SKY_HORIZON


@dataclass(frozen=True)
class SynthDataset:
    """A generated dataset on disk: its folder, the files written, and the config it came from."""

    folder: Path
    paths: list[Path]
    config: SceneConfig


@pytest.fixture(scope="module")
def synth_dataset(tmp_path_factory: pytest.TempPathFactory) -> SynthDataset:
    """Two full-size frames (KITTI-like LiDAR and camera) written as a KITTI dataset."""
    config = SceneConfig(seed=7, n_frames=2)
    folder = tmp_path_factory.mktemp("synth_kitti")
    return SynthDataset(folder, write_kitti_dataset(config, folder), config)


def read_points(path: Path) -> np.ndarray:
    return np.fromfile(path, dtype="<f4").reshape(-1, 4)


def test_layout_has_four_files_per_frame_and_the_ground_truth(synth_dataset: SynthDataset) -> None:
    relative = sorted(str(p.relative_to(synth_dataset.folder)) for p in synth_dataset.paths)
    expected = [f"{kind}/{i:06d}.{ext}" for kind, ext in
                (("velodyne", "bin"), ("image_2", "png"), ("calib", "txt"), ("label_2", "txt")) for i in range(2)]  # fmt: skip
    assert relative == sorted([*expected, "ground_truth.json"])
    image = Image.open(synth_dataset.folder / "image_2" / "000000.png")
    assert image.size == (1242, 375) and image.mode == "RGB"


def test_same_seed_writes_the_same_bytes(synth_dataset: SynthDataset, tmp_path: Path) -> None:
    again = write_kitti_dataset(synth_dataset.config, tmp_path)
    for first, second in zip(synth_dataset.paths, again, strict=True):
        assert first.relative_to(synth_dataset.folder) == second.relative_to(tmp_path)
        assert first.read_bytes() == second.read_bytes(), first.name


def test_another_seed_gives_another_scene(tmp_path: Path) -> None:
    small = {"lidar": LidarConfig(beams=16, azimuth_step=1.0), "camera": CameraConfig(render_scale=0.25)}
    a = write_kitti_dataset(SceneConfig(seed=8, n_frames=1, **small), tmp_path / "a")
    b = write_kitti_dataset(SceneConfig(seed=9, n_frames=1, **small), tmp_path / "b")
    assert a[0].read_bytes() != b[0].read_bytes()


def test_point_clouds_look_like_a_64_beam_sensor(synth_dataset: SynthDataset) -> None:
    for path in sorted((synth_dataset.folder / "velodyne").glob("*.bin")):
        points = read_points(path)
        assert 100_000 <= len(points) <= 135_000
        assert np.all(np.isfinite(points))
        assert points[:, 3].min() >= 0.0 and points[:, 3].max() <= 1.0
        ranges = np.linalg.norm(points[:, :3], axis=1)
        assert ranges.max() <= synth_dataset.config.lidar.max_range + 0.1
        ground = points[np.hypot(points[:, 0], points[:, 1]) < 8.0]
        assert np.median(ground[:, 2]) == pytest.approx(-1.73, abs=0.15)  # the road under the sensor


def test_labels_through_their_calibration_hold_lidar_points(synth_dataset: SynthDataset) -> None:
    counts = []
    for label_path in sorted((synth_dataset.folder / "label_2").glob("*.txt")):
        calib = read_calib(synth_dataset.folder / "calib" / label_path.name)
        points = read_points(synth_dataset.folder / "velodyne" / f"{label_path.stem}.bin")
        for obj in read_labels(label_path):
            if obj.type != DONT_CARE:
                counts.append(int(cuboid_from_kitti(obj, calib).points_inside(points).sum()))
    assert len(counts) >= 10
    assert sum(c >= 5 for c in counts) >= 0.8 * len(counts)
    assert np.median(counts) >= 30


def test_labels_agree_with_the_ground_truth_file(synth_dataset: SynthDataset) -> None:
    truth = load_ground_truth(synth_dataset.folder / "ground_truth.json")
    assert sorted(truth) == ["000000", "000001"]
    for name, objects in truth.items():
        labels = read_labels(synth_dataset.folder / "label_2" / f"{name}.txt")
        in_image = [o for o in objects if o.box2d is not None]
        assert len(labels) == len(in_image)
        for label, obj in zip(labels, in_image):
            assert label.bbox == pytest.approx(tuple(obj.box2d.to_array()), abs=0.006)
            if obj.num_points < 5:
                assert label.type == DONT_CARE
                continue
            assert label.type == obj.label and label.occluded == obj.occlusion
            assert label.dimensions == pytest.approx(obj.cuboid.size[::-1], abs=0.006)
    first, second = ([o.track_id for o in truth[n]] for n in ("000000", "000001"))
    assert first == second and len(set(first)) == len(first)


def _class_colour_share(pixels: np.ndarray, color: tuple[int, int, int]) -> np.ndarray:
    """Which pixels are the class colour under some shading and haze: p ~ s * colour + h * horizon."""
    basis = np.stack([np.asarray(color, float), SKY_HORIZON.astype(float)], axis=1)
    flat = pixels.reshape(-1, 3).astype(float)
    (shade, haze), *_ = np.linalg.lstsq(basis, flat.T, rcond=None)
    residual = np.linalg.norm(flat - (basis @ np.stack([shade, haze])).T, axis=1)
    return (residual < 8) & (shade > 0.12) & (haze > -0.03) & (haze < 0.35)


def test_image_shows_each_visible_object_in_its_class_colour_inside_its_box(
    synth_dataset: SynthDataset,
) -> None:
    truth = load_ground_truth(synth_dataset.folder / "ground_truth.json")
    models = class_models()
    shown, checked = 0, 0
    for name, objects in truth.items():
        image = np.asarray(Image.open(synth_dataset.folder / "image_2" / f"{name}.png"))
        everywhere = {
            label: _class_colour_share(image, models[label].color).mean()
            for label in {o.label for o in objects}
        }
        for obj in objects:
            box = obj.box2d
            if box is None or obj.occlusion != 0 or obj.truncation > 0.2 or box.area < 400:
                continue
            x1, y1, x2, y2 = (round(v) for v in box.to_array())
            inside = _class_colour_share(image[y1:y2, x1:x2], models[obj.label].color).mean()
            checked += 1
            shown += int(inside >= 0.08 and inside > 2 * everywhere[obj.label])
    assert checked >= 5
    assert shown >= 0.8 * checked
