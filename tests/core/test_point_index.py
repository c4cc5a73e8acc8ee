"""The grid point index finds exactly the points a brute-force test finds, with 4 bytes a point."""

from __future__ import annotations

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.point_index import CellGrid, CellPlacer, PointIndex


def _cloud(count: int = 60_000) -> np.ndarray:
    rng = np.random.default_rng(7)
    near = rng.normal((0.0, 0.0, -1.5), (8.0, 8.0, 0.5), (count, 3))
    far = rng.uniform(-400.0, 400.0, (50, 3))  # a few far returns stretch the grid
    return np.concatenate([near, far]).astype(np.float32)


def test_boxes_find_the_same_points_as_testing_every_point() -> None:
    points = _cloud()
    index = PointIndex(points)
    rng = np.random.default_rng(3)
    for _ in range(25):
        box = Cuboid(
            tuple(rng.uniform(-12, 12, 3)), tuple(rng.uniform(0.5, 6.0, 3)), float(rng.uniform(-3, 3))
        )
        margin = float(rng.choice([0.0, 1.5]))
        expected = np.flatnonzero(box.points_inside(points, margin))
        assert np.array_equal(index.indices_inside(box, margin), expected)


def test_boxes_outside_the_cloud_find_nothing_and_an_empty_cloud_works() -> None:
    index = PointIndex(_cloud())
    assert len(index.indices_inside(Cuboid((1000.0, 1000.0, 0.0), (2.0, 2.0, 2.0), 0.0))) == 0
    assert len(index.indices_inside(Cuboid((-1000.0, -1000.0, 0.0), (2.0, 2.0, 2.0), 0.0))) == 0
    empty = PointIndex(np.zeros((0, 3), dtype=np.float32))
    assert len(empty.indices_inside(Cuboid((0.0, 0.0, 0.0), (2.0, 2.0, 2.0), 0.0))) == 0


def test_a_limit_gives_an_even_sample_of_the_points_near_a_box() -> None:
    points = _cloud()
    index = PointIndex(points)
    box = Cuboid((0.0, 0.0, -1.5), (6.0, 6.0, 3.0), 0.4)
    everything = index.indices_inside(box, 2.0)
    sample = index.indices_inside(box, 2.0, limit=2_000)
    assert len(everything) > 10_000
    assert 1_000 <= len(sample) <= 4_000
    assert np.all(np.isin(sample, everything))
    assert np.all(np.diff(sample) > 0)


def test_the_index_holds_one_int32_per_point_and_shares_the_points() -> None:
    points = _cloud()
    index = PointIndex(points)
    assert index.points is points
    assert index._order.dtype == np.int32 and len(index._order) == len(points)
    assert index._starts.nbytes <= 4 * (len(points) + 2)


def test_points_placed_block_by_block_come_out_in_a_stable_sort_by_cell() -> None:
    points = _cloud(20_000)
    lo, hi = points[:, :2].min(axis=0), points[:, :2].max(axis=0)
    grid = CellGrid.covering(len(points), lo, hi)
    placer = CellPlacer(grid)
    blocks = [points[start : start + 3_000] for start in range(0, len(points), 3_000)]
    for block in blocks:
        placer.count(block)
    starts = placer.starts()
    laid_out = np.empty(len(points), dtype=np.int64)
    for first, block in zip(range(0, len(points), 3_000), blocks, strict=True):
        local, places = placer.place(block)
        laid_out[places] = local + first
    assert placer.complete
    assert np.array_equal(laid_out, np.argsort(grid.keys(points), kind="stable"))
    assert starts[-1] == len(points)


def test_a_box_query_reads_the_points_near_the_box_however_large_the_cloud() -> None:
    rng = np.random.default_rng(11)
    near = rng.uniform((-10, -10, -2), (10, 10, 1), (40_000, 3)).astype(np.float32)
    box = Cuboid((1.0, 2.0, -0.5), (4.5, 1.9, 1.6), 0.3)
    examined = []
    for far_points in (0, 400_000):  # ten times the points, all of them away from the box
        far = rng.uniform((15, -10, -2), (60, 10, 1), (far_points, 3)).astype(np.float32)
        index = PointIndex(np.concatenate([near, far]))
        assert np.array_equal(index.indices_inside(box), np.flatnonzero(box.points_inside(near)))
        examined.append(index.points_examined)
    assert examined[1] <= examined[0] * 1.5
    assert examined[1] < 3_000  # of 440,000


def test_rows_taken_at_indices_are_a_contiguous_copy_of_those_rows_from_a_file_too(tmp_path) -> None:
    from annotator.core.cuboids.point_index import take_rows

    points = np.arange(30, dtype=np.float32).reshape(10, 3)
    indices = np.array([7, 1, 1, 4])
    mapped = np.memmap(tmp_path / "points.bin", dtype=np.float32, mode="w+", shape=(10, 3))
    mapped[:] = points
    for array in (points, mapped):
        rows = take_rows(array, indices)
        assert type(rows) is np.ndarray and rows.flags["C_CONTIGUOUS"]
        assert np.array_equal(rows, points[indices])
        rows[0] = -1  # a copy: the cloud is untouched
        assert array[7, 0] == 21


def test_rows_of_a_strided_column_are_taken_without_copying_the_whole_column_first() -> None:
    import tracemalloc

    from annotator.core.cuboids.point_index import take_rows

    points = np.arange(3_000_000, dtype=np.float32).reshape(-1, 3)
    heights = points[:, 2]  # a strided view, as a cloud's height scalar is (4 MB were it copied)
    tracemalloc.start()
    try:
        rows = take_rows(heights, np.array([9, 0]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert rows.flags["C_CONTIGUOUS"] and np.array_equal(rows, [29, 2])
    assert peak < 100_000
