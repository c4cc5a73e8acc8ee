"""KITTI calibration and label files: parsing, formatting, errors, and LiDAR <-> camera conversions."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.core.cuboids.cuboid import Cuboid
from annotator.io.errors import FormatError
from annotator.io.kitti import (
    DONT_CARE,
    KittiCalibration,
    KittiObject,
    cuboid_from_kitti,
    dont_care,
    format_calib,
    format_label_line,
    kitti_from_cuboid,
    parse_calib,
    parse_label_line,
    read_calib,
    read_labels,
    write_calib,
    write_labels,
)

KITTI_LINE = "Pedestrian 0.00 0 -0.20 712.40 143.00 810.73 307.92 1.89 0.48 1.20 1.84 1.47 8.41 0.01"


def standard_calibration() -> KittiCalibration:
    """The usual KITTI mounting: LiDAR axes swapped into camera axes, no rectification, P2 = K [I | 0]."""
    k = np.array([[721.5, 0.0, 609.6, 0.0], [0.0, 721.5, 172.9, 0.0], [0.0, 0.0, 1.0, 0.0]])
    velo_to_cam = np.array([[0.0, -1.0, 0.0, 0.0], [0.0, 0.0, -1.0, -0.08], [1.0, 0.0, 0.0, -0.27]])
    return KittiCalibration({"P2": k}, np.eye(3), velo_to_cam)


@pytest.fixture
def kitti_frame(shared_data: Path) -> Path:
    folder = shared_data / "kitti_object" / "training"
    if not (folder / "calib" / "000000.txt").is_file():
        pytest.skip(f"KITTI sample frame not found under {folder}")
    return folder


# -- calibration -------------------------------------------------------------------------------------------
def test_real_calibration_reads_all_matrices(kitti_frame: Path) -> None:
    calib = read_calib(kitti_frame / "calib" / "000000.txt")
    assert sorted(calib.projections) == ["P0", "P1", "P2", "P3"]
    assert calib.projections["P2"][0, 3] == pytest.approx(45.75831)
    assert calib.r0_rect.shape == (3, 3) and calib.imu_to_velo is not None
    camera = calib.camera("P2", 1242, 375)
    assert np.allclose(camera.projection_matrix, calib.projections["P2"])
    expected = np.eye(4)
    expected[:3, :3] = calib.r0_rect
    tr = np.vstack([calib.velo_to_cam, [0, 0, 0, 1]])
    assert np.allclose(camera.extrinsic_matrix, expected @ tr)
    assert (camera.width, camera.height) == (1242, 375)


def test_calibration_text_round_trips(tmp_path: Path) -> None:
    calib = standard_calibration()
    calib.imu_to_velo = np.arange(12.0).reshape(3, 4)
    write_calib(tmp_path / "calib.txt", calib)
    again = read_calib(tmp_path / "calib.txt")
    assert np.allclose(again.projections["P2"], calib.projections["P2"])
    assert np.allclose(again.velo_to_cam, calib.velo_to_cam)
    assert np.allclose(again.imu_to_velo, calib.imu_to_velo)
    assert format_calib(again) == format_calib(calib)


def test_calibration_accepts_nine_or_twelve_numbers() -> None:
    text = "P2: 1 0 0 0 0 1 0 0 0 0 1 0\nR0_rect: 1 0 0 0 1 0 0 0 1\nTr_velo_to_cam: 0 -1 0 0 0 -1 1 0 0\n"
    calib = parse_calib(text)
    assert calib.velo_to_cam.shape == (3, 4) and np.allclose(calib.velo_to_cam[:, 3], 0)
    twelve = parse_calib(text.replace("R0_rect: 1 0 0 0 1 0 0 0 1", "R0_rect: 1 0 0 0 0 1 0 0 0 0 1 0"))
    assert np.allclose(twelve.r0_rect, np.eye(3))


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("P2: 1 2 3\nTr_velo_to_cam: 1 0 0 0 0 1 0 0 0 0 1 0\n", 1, "P2"),
        ("Tr_velo_to_cam: 1 0 0 0 0 1 0 0 0 0 1 0\nR0_rect: 1 0 x 0 1 0 0 0 1\n", 2, "R0_rect"),
        ("Tr_velo_to_cam 1 0 0 0 0 1 0 0 0 0 1 0\n", 1, None),
        ("P2: 1 0 0 0 0 1 0 0 0 0 1 0\n", None, None),
    ],
)
def test_malformed_calibration_names_file_and_line(text: str, line: int | None, field: str | None) -> None:
    with pytest.raises(FormatError) as error:
        parse_calib(text, "calib/000042.txt")
    assert error.value.line == line and error.value.field == field
    assert "calib/000042.txt" in str(error.value)


def test_unknown_camera_name_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        standard_calibration().camera("P3")


# -- labels ----------------------------------------------------------------------------------------------
def test_label_line_round_trips_like_the_official_files() -> None:
    obj = parse_label_line(KITTI_LINE)
    assert obj.type == "Pedestrian" and obj.occluded == 0 and obj.score is None
    assert obj.dimensions == (1.89, 0.48, 1.2) and obj.location == (1.84, 1.47, 8.41)
    assert format_label_line(obj) == KITTI_LINE
    scored = parse_label_line(KITTI_LINE + " 0.8765")
    assert scored.score == pytest.approx(0.8765)
    assert format_label_line(scored) == KITTI_LINE + " 0.8765"


def test_dont_care_regions_read_back() -> None:
    region = parse_label_line(format_label_line(dont_care((503.89, 169.71, 590.61, 190.13))))
    assert region.type == DONT_CARE and region.occluded == -1
    assert region.bbox == (503.89, 169.71, 590.61, 190.13) and region.location == (-1000.0, -1000.0, -1000.0)
    official = "DontCare -1 -1 -10 503.89 169.71 590.61 190.13 -1 -1 -1 -1000 -1000 -1000 -10"
    assert parse_label_line(official) == region


def test_label_file_round_trips(tmp_path: Path) -> None:
    objects = [parse_label_line(KITTI_LINE), parse_label_line(KITTI_LINE.replace("Pedestrian", "Car"))]
    write_labels(tmp_path / "000000.txt", objects)
    assert read_labels(tmp_path / "000000.txt") == objects
    write_labels(tmp_path / "empty.txt", [])
    assert read_labels(tmp_path / "empty.txt") == []


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("Car 0.00 0 -0.20 712.40 143.00 810.73 307.92 1.89 0.48 1.20 1.84 1.47", None),
        ("Car 0.00 0 -0.20 712.40 143.00 810.73 307.92 1.89 0.48 1.20 1.84 oops 8.41 0.01", "location"),
        ("Car 0.00 0.5 -0.20 712.40 143.00 810.73 307.92 1.89 0.48 1.20 1.84 1.47 8.41 0.01", "occluded"),
        ("Car 0.00 0 nan 712.40 143.00 810.73 307.92 1.89 0.48 1.20 1.84 1.47 8.41 0.01", "alpha"),
    ],
)
def test_malformed_label_names_file_line_and_field(tmp_path: Path, line: str, field: str | None) -> None:
    path = tmp_path / "label.txt"
    path.write_text(KITTI_LINE + "\n" + line + "\n")
    with pytest.raises(FormatError) as error:
        read_labels(path)
    assert error.value.line == 2 and error.value.field == field
    assert str(path) in str(error.value)


# -- conversions -----------------------------------------------------------------------------------------
def test_real_label_cuboid_holds_the_pedestrians_points(kitti_frame: Path) -> None:
    calib = read_calib(kitti_frame / "calib" / "000000.txt")
    points = np.fromfile(kitti_frame / "velodyne" / "000000.bin", dtype="<f4").reshape(-1, 4)
    (pedestrian,) = read_labels(kitti_frame / "label_2" / "000000.txt")
    cuboid = cuboid_from_kitti(pedestrian, calib)
    assert cuboid.size == pytest.approx((1.2, 0.48, 1.89))
    assert cuboid.points_inside(points).sum() >= 100
    assert 7.0 < cuboid.center[0] < 10.0  # about 8.4 m ahead of the camera


def test_real_label_round_trips_through_the_lidar_frame(kitti_frame: Path) -> None:
    calib = read_calib(kitti_frame / "calib" / "000000.txt")
    (label,) = read_labels(kitti_frame / "label_2" / "000000.txt")
    again = kitti_from_cuboid(cuboid_from_kitti(label, calib), calib, label.type, width=1242, height=375)
    assert again.location == pytest.approx(label.location, abs=0.01)
    assert again.dimensions == pytest.approx(label.dimensions, abs=0.01)
    assert again.rotation_y == pytest.approx(label.rotation_y, abs=0.01)
    assert again.alpha == pytest.approx(label.alpha, abs=0.01)
    assert again.bbox == pytest.approx(label.bbox, abs=15)  # projected corners vs a hand-drawn box


@pytest.mark.parametrize("rotation_y", [-math.pi / 2, 0.0, 0.7, math.pi, -2.5])
def test_standard_mounting_gives_yaw_minus_rotation_y_minus_half_pi(rotation_y: float) -> None:
    obj = KittiObject("Car", 0.0, 0, 0.0, (0, 0, 0, 0), (1.5, 1.6, 3.9), (2.0, 1.65, 15.0), rotation_y)
    cuboid = cuboid_from_kitti(obj, standard_calibration())
    expected = math.remainder(-rotation_y - math.pi / 2, 2 * math.pi)
    assert math.remainder(cuboid.yaw - expected, 2 * math.pi) == pytest.approx(0.0, abs=1e-9)
    assert cuboid.center == pytest.approx((15.27, -2.0, -(1.65 - 0.75) - 0.08))


def test_alpha_is_rotation_y_minus_viewing_angle() -> None:
    cuboid = Cuboid((20.0, -5.0, -0.9), (3.9, 1.6, 1.5), 0.3)
    obj = kitti_from_cuboid(cuboid, standard_calibration())
    x, _, z = obj.location
    assert obj.alpha == pytest.approx(math.remainder(obj.rotation_y - math.atan2(x, z), 2 * math.pi))
    assert 0 <= obj.bbox[0] < obj.bbox[2] <= 1242 and 0 <= obj.bbox[1] < obj.bbox[3] <= 375


def test_box_behind_the_camera_gets_an_empty_bbox_and_crossing_boxes_do_not_fail() -> None:
    calib = standard_calibration()
    behind = kitti_from_cuboid(Cuboid((-10.0, 0.0, -0.9), (3.9, 1.6, 1.5), 0.0), calib)
    assert behind.bbox == (0.0, 0.0, 0.0, 0.0)
    camera = calib.camera("P2", 1242, 375)
    for x in np.linspace(-3.0, 3.0, 61):  # boxes straddling the near plane
        box = camera.cuboid_box2d(Cuboid((float(x), 1.0, 0.0), (4.0, 1.6, 1.5), 0.4))
        assert box is None or (0 <= box.x1 <= box.x2 <= 1242)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(2.0, 60.0), st.floats(-20.0, 20.0), st.floats(-3.0, 1.0),
    st.floats(0.5, 12.0), st.floats(0.4, 3.0), st.floats(0.5, 4.0), st.floats(-math.pi, math.pi),
)  # fmt: skip
def test_cuboid_round_trips_through_kitti(
    x: float, y: float, z: float, length: float, width: float, height: float, yaw: float
) -> None:
    calib = parse_calib(format_calib(standard_calibration()))
    calib.r0_rect = np.array(
        [[0.9999, 0.0101, -0.0085], [-0.0101, 0.9999, -0.0040], [0.0085, 0.0041, 0.9999]]
    )
    calib.r0_rect, _ = np.linalg.qr(calib.r0_rect)  # an orthonormal, slightly rotated rectification
    calib.r0_rect *= np.sign(np.diag(calib.r0_rect))[None, :]
    cuboid = Cuboid((x, y, z), (length, width, height), yaw)
    again = cuboid_from_kitti(kitti_from_cuboid(cuboid, calib), calib)
    assert again.center == pytest.approx(cuboid.center, abs=1e-6)
    assert again.size == pytest.approx(cuboid.size)
    assert math.remainder(again.yaw - yaw, 2 * math.pi) == pytest.approx(0.0, abs=1e-3)
