"""PLY reading and writing: ascii and binary (both byte orders), doubles, colours, other elements."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from annotator.io.errors import FormatError
from annotator.io.pointcloud import PointCloud, read_point_cloud, write_ply

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


def sample(n: int = 50) -> PointCloud:
    rng = np.random.default_rng(3)
    return PointCloud(
        rng.normal(size=(n, 3)).astype(np.float32) * 10,
        {
            "intensity": rng.random(n, dtype=np.float32),
            "rgb": rng.integers(0, 256, (n, 3), dtype=np.uint8),
            "label": rng.integers(0, 30, n).astype(np.int32),
        },
    )


@pytest.mark.parametrize("binary", [True, False])
@pytest.mark.parametrize("double", [True, False])
@pytest.mark.parametrize("big_endian", [True, False])
def test_round_trip(tmp_path: Path, binary: bool, double: bool, big_endian: bool) -> None:
    cloud = sample()
    path = tmp_path / "c.ply"
    write_ply(path, cloud, binary=binary, double=double, big_endian=big_endian)
    header = path.read_bytes().split(b"end_header")[0].decode()
    assert ("property double x" in header) == double
    back = read_point_cloud(path)
    np.testing.assert_array_equal(back.xyz, cloud.xyz)
    np.testing.assert_array_equal(back.intensity, cloud.intensity)
    np.testing.assert_array_equal(back.rgb, cloud.rgb)
    np.testing.assert_array_equal(back.fields["label"], cloud.fields["label"])
    assert back.rgb.dtype == np.uint8 and back.intensity.dtype == np.float32


def test_doubles_and_colours_hand_made_ascii(tmp_path: Path) -> None:
    content = b"""ply
format ascii 1.0
comment made by hand
element vertex 3
property double x
property double y
property double z
property uchar red
property uchar green
property uchar blue
property float scalar_Intensity
element face 1
property list uchar int vertex_indices
end_header
0.5 1.5 2.5 255 0 10 0.25
1e3 -2 3 1 2 3 0.5
nan 0 0 9 9 9 1
3 0 1 2
"""
    path = tmp_path / "hand.ply"
    path.write_bytes(content)
    cloud = read_point_cloud(path)
    np.testing.assert_array_equal(cloud.xyz, [[0.5, 1.5, 2.5], [1000, -2, 3]])
    np.testing.assert_array_equal(cloud.rgb, [[255, 0, 10], [1, 2, 3]])
    np.testing.assert_array_equal(cloud.intensity, [0.25, 0.5])


def test_binary_faces_before_vertices(tmp_path: Path) -> None:
    verts = np.array(
        [(1.0, 2.0, 3.0, 7), (4.0, 5.0, 6.0, 8)],
        dtype=[("x", "<f8"), ("y", "<f8"), ("z", "<f8"), ("red", "u1")],
    )
    faces = (
        bytes([3])
        + np.array([0, 1, 1], "<i4").tobytes()
        + bytes([4])
        + np.array([1, 0, 1, 0], "<i4").tobytes()
    )
    head = (
        b"ply\nformat binary_little_endian 1.0\nelement face 2\nproperty list uchar int vertex_indices\n"
        b"property uchar flags\nelement vertex 2\nproperty double x\nproperty double y\nproperty double z\n"
        b"property uchar red\nend_header\n"
    )
    body = faces[:13] + b"\x01" + faces[13:] + b"\x02" + verts.tobytes()
    path = tmp_path / "faces_first.ply"
    path.write_bytes(head + body)
    cloud = read_point_cloud(path)
    np.testing.assert_array_equal(cloud.xyz, [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(cloud.fields["red"], [7, 8])  # no green/blue: not an rgb colour


def test_binary_faces_after_vertices_ignored(tmp_path: Path) -> None:
    verts = np.array([(1, 2, 3), (4, 5, 6)], dtype="<f4")
    head = (
        b"ply\nformat binary_little_endian 1.0\nelement vertex 2\nproperty float x\nproperty float y\n"
        b"property float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n"
    )
    path = tmp_path / "faces_after.ply"
    path.write_bytes(head + verts.tobytes() + bytes([3]) + np.array([0, 1, 0], "<i4").tobytes())
    np.testing.assert_array_equal(read_point_cloud(path).xyz, verts)


HEAD = b"ply\nformat binary_little_endian 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\nend_header\n"


@pytest.mark.parametrize(
    ("content", "problem", "line"),
    [
        (b"", "empty file", None),
        (b"PCD\nformat ascii 1.0\n", "not a PLY file", 1),
        (b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\n", "no end_header", 5),
        (b"ply\nformat zip 1.0\nend_header\n", "unknown format 'zip 1.0'", 2),
        (
            b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float128 x\nend_header\n",
            "unknown property type",
            4,
        ),
        (
            b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nend_header\n1\n",
            "no y, z property",
            3,
        ),
        (b"ply\nformat ascii 1.0\nelement face 1\nend_header\n", "no 'vertex' element", None),
        (b"ply\nelement vertex 1\nproperty float x\nend_header\n", "no format line", None),
        (HEAD + bytes(12), "truncated vertex data", None),
        (
            HEAD.replace(b"binary_little_endian", b"ascii") + b"1 2 3\n",
            "truncated data: 2 vertices announced, 1 present",
            9,
        ),
        (HEAD.replace(b"binary_little_endian", b"ascii") + b"1 2 3\n4 5\n", "expected 3 values, found 2", 9),
        (HEAD.replace(b"binary_little_endian", b"ascii") + b"1 2 3\n4 x 6\n", "not a number: 'x'", 9),
        (
            b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\n"
            b"property list uchar int idx\nend_header\n",
            "list properties in the vertex element",
            3,
        ),
    ],
)
def test_errors_name_file_line_and_problem(
    tmp_path: Path, content: bytes, problem: str, line: int | None
) -> None:
    path = tmp_path / "bad.ply"
    path.write_bytes(content)
    with pytest.raises(FormatError) as info:
        read_point_cloud(path)
    assert str(path) in str(info.value)
    assert problem in str(info.value)
    if line is not None:
        assert info.value.line == line


def test_open3d_agrees_on_written_binary_ply(tmp_path: Path) -> None:
    o3d = pytest.importorskip("open3d")
    cloud = sample(200)
    path = tmp_path / "o3d.ply"
    write_ply(path, cloud)
    theirs = o3d.io.read_point_cloud(str(path))
    np.testing.assert_array_equal(np.asarray(theirs.points).astype(np.float32), cloud.xyz)
    np.testing.assert_allclose(np.asarray(theirs.colors) * 255, cloud.rgb, atol=1e-3)


def test_labelcloud_exemplary_ply() -> None:
    path = DATA / "labelcloud_example" / "pointclouds" / "exemplary.ply"
    if not path.exists():
        pytest.skip("shared data absent")
    cloud = read_point_cloud(path)
    assert len(cloud) == 86_357
    assert cloud.rgb is not None and cloud.rgb.shape == (86_357, 3) and cloud.rgb.dtype == np.uint8
    assert cloud.intensity is None
    assert np.isfinite(cloud.xyz).all()
    o3d = pytest.importorskip("open3d")
    theirs = o3d.io.read_point_cloud(str(path))
    np.testing.assert_array_equal(np.asarray(theirs.points).astype(np.float32), cloud.xyz)
    np.testing.assert_allclose(np.asarray(theirs.colors) * 255, cloud.rgb, atol=1e-3)
