"""KITTI/nuScenes .bin, .npy, .npz, text and LAS readers; the registry and the PointCloud API."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from annotator.io.errors import FormatError
from annotator.io.pointcloud import (
    PointCloud,
    read_point_cloud,
    register_reader,
    supported_suffixes,
    write_kitti_bin,
)

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


def xyzi(n: int = 20) -> np.ndarray:
    return np.random.default_rng(4).normal(size=(n, 4)).astype(np.float32)


def expect_error(path: Path, *problems: str) -> FormatError:
    with pytest.raises(FormatError) as info:
        read_point_cloud(path)
    assert str(path) in str(info.value)
    for problem in problems:
        assert problem in str(info.value)
    return info.value


# ---------------------------------------------------------------- PointCloud


def test_point_cloud_api() -> None:
    cloud = PointCloud(np.arange(6).reshape(2, 3), {"intensity": np.array([0.5, 1.0], np.float32)})
    assert len(cloud) == 2 and cloud.xyz.dtype == np.float32
    out = cloud.xyzi()
    assert out.dtype == np.float32 and out.shape == (2, 4)
    np.testing.assert_array_equal(out, [[0, 1, 2, 0.5], [3, 4, 5, 1.0]])
    assert cloud.rgb is None
    bare = PointCloud(np.zeros((3, 3)))
    assert bare.intensity is None
    np.testing.assert_array_equal(bare.xyzi()[:, 3], 0)
    with pytest.raises(ValueError, match="shape"):
        PointCloud(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="field 'intensity'"):
        PointCloud(np.zeros((3, 3)), {"intensity": np.zeros(2)})


# ---------------------------------------------------------------- registry


def test_unknown_suffix_lists_supported(tmp_path: Path) -> None:
    path = tmp_path / "cloud.e57"
    path.write_bytes(b"x")
    error = expect_error(path, "unsupported point-cloud format '.e57'", ".pcd", ".ply", ".pcd.bin", ".laz")
    assert error.path == path


def test_missing_file_and_directory(tmp_path: Path) -> None:
    expect_error(tmp_path / "nope.pcd", "no such file")
    (tmp_path / "dir.pcd").mkdir()
    expect_error(tmp_path / "dir.pcd", "not a file")


def test_register_reader_and_longest_suffix(tmp_path: Path) -> None:
    assert {
        ".pcd",
        ".ply",
        ".bin",
        ".pcd.bin",
        ".npy",
        ".npz",
        ".las",
        ".laz",
        ".xyz",
        ".pts",
        ".txt",
    } <= set(supported_suffixes())
    calls = []

    def fake(path: Path) -> PointCloud:
        calls.append(path)
        return PointCloud(np.zeros((1, 3)), path=path)

    register_reader(["Fake.Bin", "fk"], fake)
    try:
        for name in ("a.fake.bin", "B.FK"):
            (tmp_path / name).write_bytes(b"")
            assert read_point_cloud(tmp_path / name).path == tmp_path / name
        assert len(calls) == 2
    finally:
        from annotator.io import pointcloud

        pointcloud._READERS.pop(".fake.bin")
        pointcloud._READERS.pop(".fk")


def test_reader_bugs_become_format_errors(tmp_path: Path) -> None:
    def broken(path: Path) -> PointCloud:
        raise IndexError("index 5 is out of bounds")

    register_reader(".broken", broken)
    try:
        (tmp_path / "x.broken").write_bytes(b"")
        expect_error(tmp_path / "x.broken", "cannot read", "IndexError")
    finally:
        from annotator.io import pointcloud

        pointcloud._READERS.pop(".broken")


# ---------------------------------------------------------------- KITTI / nuScenes


def test_kitti_round_trip_case_insensitive(tmp_path: Path) -> None:
    data = xyzi()
    path = tmp_path / "000001.BIN"
    write_kitti_bin(path, data)
    cloud = read_point_cloud(path)
    np.testing.assert_array_equal(cloud.xyzi(), data)
    assert set(cloud.fields) == {"intensity"}


def test_kitti_bad_sizes(tmp_path: Path) -> None:
    (tmp_path / "odd.bin").write_bytes(bytes(20))
    expect_error(tmp_path / "odd.bin", "size 20 bytes is not a multiple of 16")
    (tmp_path / "empty.bin").write_bytes(b"")
    expect_error(tmp_path / "empty.bin", "empty file")


def test_nuscenes_pcd_bin(tmp_path: Path) -> None:
    data = np.zeros((4, 5), np.float32)
    data[:, :4] = xyzi(4)
    data[:, 4] = [0, 5, 31, 2]
    path = tmp_path / "n015-2018_LIDAR_TOP__1533151603547590.pcd.bin"
    data.tofile(path)
    cloud = read_point_cloud(path)
    np.testing.assert_array_equal(cloud.xyzi(), data[:, :4])
    assert cloud.fields["ring"].dtype == np.int32
    np.testing.assert_array_equal(cloud.fields["ring"], [0, 5, 31, 2])
    path.write_bytes(bytes(32))
    expect_error(path, "not a multiple of 20")


def test_kitti_real_frame() -> None:
    path = DATA / "kitti_object" / "training" / "velodyne" / "000000.bin"
    if not path.exists():
        pytest.skip("shared data absent")
    cloud = read_point_cloud(path)
    assert len(cloud) == 115_384
    assert float(cloud.intensity.min()) >= 0.0 and float(cloud.intensity.max()) <= 1.0
    np.testing.assert_array_equal(cloud.xyzi(), np.fromfile(path, np.float32).reshape(-1, 4))


# ---------------------------------------------------------------- npy / npz


def test_npy_plain_and_extra_columns(tmp_path: Path) -> None:
    data = np.random.default_rng(5).random((10, 6))
    data[3, 1] = np.nan
    np.save(tmp_path / "a.npy", data)
    cloud = read_point_cloud(tmp_path / "a.npy")
    assert len(cloud) == 9
    assert set(cloud.fields) == {"intensity", "column_4", "column_5"}
    np.testing.assert_allclose(cloud.intensity, np.delete(data[:, 3], 3), rtol=1e-6)


def test_npy_structured(tmp_path: Path) -> None:
    arr = np.zeros(3, dtype=[("x", "f8"), ("y", "f8"), ("z", "f8"), ("reflectance", "f4"), ("label", "u1")])
    arr["x"] = [1, 2, 3]
    arr["label"] = [7, 8, 9]
    np.save(tmp_path / "s.npy", arr)
    cloud = read_point_cloud(tmp_path / "s.npy")
    np.testing.assert_array_equal(cloud.xyz[:, 0], [1, 2, 3])
    assert set(cloud.fields) == {"intensity", "label"}


def test_npy_errors(tmp_path: Path) -> None:
    np.save(tmp_path / "flat.npy", np.zeros(5))
    expect_error(tmp_path / "flat.npy", "numeric (N, >= 3) array")
    (tmp_path / "junk.npy").write_bytes(b"not numpy at all")
    expect_error(tmp_path / "junk.npy", "not a readable .npy file")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    expect_error(tmp_path / "obj.npy", "not a readable .npy file")


def test_npz_variants(tmp_path: Path) -> None:
    data = xyzi(8)
    np.savez(tmp_path / "p.npz", labels=np.arange(8), points=data)
    np.testing.assert_array_equal(read_point_cloud(tmp_path / "p.npz").xyzi(), data)
    np.savez(tmp_path / "k.npz", x=data[:, 0], y=data[:, 1], z=data[:, 2], intensity=data[:, 3])
    np.testing.assert_array_equal(read_point_cloud(tmp_path / "k.npz").xyzi(), data)
    np.savez(tmp_path / "f.npz", whatever=data[:, :3])
    np.testing.assert_array_equal(read_point_cloud(tmp_path / "f.npz").xyz, data[:, :3])
    np.savez(tmp_path / "bad.npz", x=data[:, 0], y=data[:, 1], z=data[:, 2], label=np.arange(3))
    expect_error(tmp_path / "bad.npz", "label: 3 values for 8 points")
    (tmp_path / "junk.npz").write_bytes(b"PK but not really")
    expect_error(tmp_path / "junk.npz", "not a readable .npz file")


# ---------------------------------------------------------------- text


def test_text_xyz_whitespace(tmp_path: Path) -> None:
    (tmp_path / "a.xyz").write_text("# comment\n1 2 3\n4.5 5 6\n\n")
    np.testing.assert_array_equal(read_point_cloud(tmp_path / "a.xyz").xyz, [[1, 2, 3], [4.5, 5, 6]])


def test_text_pts_with_count_and_colours(tmp_path: Path) -> None:
    (tmp_path / "a.pts").write_text("2\n1 2 3 -100 255 0 10\n4 5 6 200 1 2 3\n")
    cloud = read_point_cloud(tmp_path / "a.pts")
    np.testing.assert_array_equal(cloud.xyz, [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(cloud.intensity, [-100, 200])
    np.testing.assert_array_equal(cloud.rgb, [[255, 0, 10], [1, 2, 3]])


def test_text_csv_with_names(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("//X,Y,Z,R,G,B,Intensity\n1,2,3,10,20,30,0.5\n4,5,6,40,50,60,0.25\n")
    cloud = read_point_cloud(tmp_path / "a.txt")
    np.testing.assert_array_equal(cloud.rgb, [[10, 20, 30], [40, 50, 60]])
    np.testing.assert_array_equal(cloud.intensity, [0.5, 0.25])
    (tmp_path / "b.txt").write_text("z,x,y,label\n3,1,2,7\n")
    cloud = read_point_cloud(tmp_path / "b.txt")
    np.testing.assert_array_equal(cloud.xyz, [[1, 2, 3]])
    np.testing.assert_array_equal(cloud.fields["label"], [7])


def test_text_errors(tmp_path: Path) -> None:
    (tmp_path / "e.xyz").write_text("\n  \n")
    expect_error(tmp_path / "e.xyz", "empty file")
    (tmp_path / "r.xyz").write_text("1 2 3\n4 5 6\n7 8\n")
    assert expect_error(tmp_path / "r.xyz", "expected 3 values, found 2").line == 3
    (tmp_path / "n.xyz").write_text("1 2 3\n4 5 6\n7 8 x9\n")
    assert expect_error(tmp_path / "n.xyz", "not a number: 'x9'").line == 3
    (tmp_path / "w.xyz").write_text("1 2\n3 4\n")
    expect_error(tmp_path / "w.xyz", "need at least 3 columns")


# ---------------------------------------------------------------- LAS / LAZ


def write_las(path: Path, n: int = 10, colour_16bit: bool = True):
    laspy = pytest.importorskip("laspy")
    las = laspy.create(point_format=3, file_version="1.2")
    las.header.scales = [0.001, 0.001, 0.001]
    las.header.offsets = [1000.0, 2000.0, 0.0]
    rng = np.random.default_rng(6)
    las.x = 1000 + rng.random(n) * 10
    las.y = 2000 + rng.random(n) * 10
    las.z = rng.random(n)
    las.intensity = rng.integers(0, 65535, n).astype(np.uint16)
    colours = rng.integers(0, 256, (n, 3)).astype(np.uint16)
    scale = 257 if colour_16bit else 1
    las.red, las.green, las.blue = (colours[:, k] * scale for k in range(3))
    las.classification = np.full(n, 2, np.uint8)
    las.gps_time = np.arange(n, dtype=np.float64)
    las.write(path)
    return las, colours


def test_las_reader(tmp_path: Path) -> None:
    las, colours = write_las(tmp_path / "a.las")
    cloud = read_point_cloud(tmp_path / "a.las")
    np.testing.assert_allclose(cloud.xyz, np.stack([las.x, las.y, las.z], axis=1), atol=1e-3)
    assert cloud.xyz.dtype == np.float32
    np.testing.assert_allclose(cloud.intensity, np.asarray(las.intensity) / 65535, rtol=1e-6)
    np.testing.assert_array_equal(cloud.rgb, colours)
    np.testing.assert_array_equal(cloud.fields["time"], np.arange(10))
    np.testing.assert_array_equal(cloud.fields["classification"], 2)


def test_las_8bit_colours_kept(tmp_path: Path) -> None:
    _, colours = write_las(tmp_path / "b.las", colour_16bit=False)
    np.testing.assert_array_equal(read_point_cloud(tmp_path / "b.las").rgb, colours)


def test_las_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.las").write_bytes(b"LASF" + bytes(50))
    expect_error(tmp_path / "bad.las")
    (tmp_path / "empty.laz").write_bytes(b"")
    expect_error(tmp_path / "empty.laz", "empty file")


@pytest.mark.skipif(
    importlib.util.find_spec("lazrs") is not None or importlib.util.find_spec("laszip") is not None,
    reason="a LAZ backend is installed",
)
def test_laz_without_backend_says_what_to_install(tmp_path: Path) -> None:
    laspy = pytest.importorskip("laspy")
    las, _ = write_las(tmp_path / "a.las")
    # a LAZ header: point format id with the compression bit set
    raw = bytearray((tmp_path / "a.las").read_bytes())
    raw[104] |= 0x80
    (tmp_path / "a.laz").write_bytes(bytes(raw))
    assert laspy is not None and las is not None
    expect_error(tmp_path / "a.laz", "lazrs")


def test_text_crlf_comments_keep_line_numbers(tmp_path: Path) -> None:
    (tmp_path / "c.txt").write_bytes(b"1 2 3\r\n# note\r\n\r\n4 5 6\r\n")
    np.testing.assert_array_equal(read_point_cloud(tmp_path / "c.txt").xyz, [[1, 2, 3], [4, 5, 6]])
    (tmp_path / "d.txt").write_bytes(b"// x y z\r\n1 2 3\r\n# note\r\n4 5 nope\r\n")
    assert expect_error(tmp_path / "d.txt", "not a number: 'nope'").line == 4
