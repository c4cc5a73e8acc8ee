"""Large fixed-record clouds: an even sample straight from the file, and the whole cloud read in cell
order with its index, with no temporary the size of the cloud."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.io import pointcloud
from annotator.io.errors import FormatError
from annotator.io.pointcloud import arranged, point_count, read_indexed, read_point_cloud, read_sample
from annotator.io.pointcloud.arranged import read_arranged
from annotator.io.pointcloud.raw import read_kitti_bin


def _scan(count: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    xyzi = np.empty((count, 4), dtype=np.float32)
    xyzi[:, :2] = rng.normal(0.0, 15.0, (count, 2))
    xyzi[:, 2] = rng.uniform(-2.0, 1.0, count)
    xyzi[:, 3] = np.arange(count) % 251  # intensity tells each point's file position apart
    return xyzi


@pytest.fixture
def scan_file(tmp_path: Path) -> tuple[Path, np.ndarray]:
    points = _scan(60_000)
    path = tmp_path / "scan.bin"
    pointcloud.write_kitti_bin(path, points)
    return path, points


def _rows(values: np.ndarray) -> np.ndarray:
    """The rows of an array in a canonical order (to compare point sets whatever their order)."""
    return values[np.lexsort(values.T[::-1])]


def test_a_sample_holds_real_points_of_the_file_spread_over_all_of_it(scan_file) -> None:
    path, points = scan_file
    sample = read_sample(path, 2_000)
    assert sample is not None and 1_900 <= len(sample) <= 2_000
    assert point_count(path) == len(points)
    rows = np.column_stack([sample.xyz, sample.intensity])
    position = {tuple(row): k for k, row in enumerate(points.tolist())}
    where = np.array([position[tuple(row)] for row in rows.tolist()])
    assert where.min() < len(points) // 20 and where.max() > len(points) * 19 // 20
    assert np.all(np.histogram(where, bins=10, range=(0, len(points)))[0] > 150)  # evenly spread


def test_formats_without_fixed_records_have_no_sample_and_bad_files_name_the_problem(tmp_path) -> None:
    pcd = tmp_path / "scan.pcd"
    pointcloud.write_pcd(pcd, pointcloud.PointCloud(_scan(100)[:, :3]))
    assert read_sample(pcd, 50) is None and point_count(pcd) is None
    truncated = tmp_path / "cut.bin"
    truncated.write_bytes(b"\0" * 30)
    with pytest.raises(FormatError, match="multiple of 16"):
        read_sample(truncated, 10)


def test_the_whole_cloud_read_in_cell_order_holds_the_same_points_with_their_values(scan_file) -> None:
    path, points = scan_file
    cloud, index = read_arranged(path)
    assert index.arranged and index._order is None  # no per-point array kept
    assert np.array_equal(_rows(np.column_stack([cloud.xyz, cloud.intensity])), _rows(points))
    rng = np.random.default_rng(5)
    for _ in range(20):
        box = Cuboid(
            tuple(rng.uniform(-20, 20, 3)), tuple(rng.uniform(1.0, 8.0, 3)), float(rng.uniform(-3, 3))
        )
        margin = float(rng.choice([0.0, 1.0]))
        expected = np.flatnonzero(box.points_inside(cloud.xyz, margin))
        assert np.array_equal(index.indices_inside(box, margin), expected)
        sample = index.indices_inside(box, margin, limit=50)  # an even sample of the same points
        assert np.all(np.isin(sample, expected)) and np.all(np.diff(sample) > 0)
        assert len(sample) <= max(200, len(expected))


def test_large_bin_files_come_indexed_small_ones_and_nan_points_as_read(
    scan_file, monkeypatch, tmp_path
) -> None:
    path, points = scan_file
    assert read_indexed(path)[1] is None  # under `ARRANGE_FROM` points: read as stored
    monkeypatch.setattr(pointcloud, "ARRANGE_FROM", 1_000)
    cloud, index = read_indexed(path)
    assert index is not None and index.points is cloud.xyz
    with_nan = points.copy()
    with_nan[7, 0] = np.nan
    nan_path = tmp_path / "nan.bin"
    pointcloud.write_kitti_bin(nan_path, with_nan)
    cloud, index = read_indexed(nan_path)
    assert index is None and len(cloud) == len(points) - 1


def test_reading_needs_no_temporary_the_size_of_the_cloud(scan_file, monkeypatch) -> None:
    path, points = scan_file
    monkeypatch.setattr(arranged, "ARRANGE_BLOCK", 4_096)
    kept = len(points) * 16  # xyz and intensity, float32
    tracemalloc.start()
    try:
        read_arranged(path)
        arranged_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        read_kitti_bin(path)
        plain_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert arranged_peak < kept * 1.25 + 1_500_000  # the result, the cell table and a few blocks
    assert plain_peak < kept * 1.1 + 17_000_000  # the result and one read buffer


def test_a_file_changed_between_the_two_passes_is_a_named_error(scan_file, monkeypatch) -> None:
    path, _ = scan_file
    real = arranged.float_blocks
    passes = []

    def shrinking(file: Path, width: int, block: int):
        passes.append(1)
        if len(passes) == 2:
            pointcloud.write_kitti_bin(file, _scan(50_000))
        yield from real(file, width, block)

    monkeypatch.setattr(arranged, "float_blocks", shrinking)
    with pytest.raises(FormatError, match="changed while it was read"):
        read_arranged(path)
    assert read_point_cloud(path) is not None


def test_a_nuscenes_file_keeps_intensity_and_ring_with_each_point_in_cell_order(tmp_path) -> None:
    points = _scan(20_000)
    records = np.column_stack([points, (np.arange(len(points)) % 32).astype(np.float32)])
    path = tmp_path / "sweep.pcd.bin"
    records.astype("<f4").tofile(path)
    cloud, index = read_arranged(path)
    assert index.arranged and cloud.fields["ring"].dtype == np.int32
    read = np.column_stack([cloud.xyz, cloud.intensity, cloud.fields["ring"]])
    assert np.array_equal(_rows(read), _rows(records))
    sample = read_sample(path, 400)
    assert sample is not None and sample.fields["ring"].dtype == np.int32 and len(sample) == 400


def test_a_file_within_the_budget_is_its_own_sample(tmp_path) -> None:
    for count in (1, 3, 5, 17):
        path = tmp_path / f"small_{count}.bin"
        points = _scan(count, seed=count)
        pointcloud.write_kitti_bin(path, points)
        sample = read_sample(path, 2 if count == 3 else 100)
        assert sample is not None
        assert np.array_equal(_rows(np.column_stack([sample.xyz, sample.intensity])), _rows(points))
