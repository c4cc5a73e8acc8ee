"""PCD reading and writing: every encoding, odd layouts, errors, open3d agreement, real files."""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from annotator.io.errors import FormatError
from annotator.io.pointcloud import PointCloud, read_point_cloud, write_pcd
from annotator.io.pointcloud.lzf import compress

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
ENCODINGS = ["ascii", "binary", "binary_compressed"]


def pcd_bytes(
    fields: str, size: str, type_: str, count: str, n: int, data: bytes, encoding: str = "binary"
) -> bytes:
    header = (
        f"# .PCD v0.7\nVERSION 0.7\nFIELDS {fields}\nSIZE {size}\nTYPE {type_}\nCOUNT {count}\n"
        f"WIDTH {n}\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS {n}\nDATA {encoding}\n"
    )
    return header.encode() + data


def write(tmp_path: Path, content: bytes, name: str = "cloud.pcd") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


# ---------------------------------------------------------------- round trips (property test)


def finite32(**kw):
    return st.floats(width=32, allow_nan=False, allow_infinity=False, **kw)


@st.composite
def clouds(draw) -> PointCloud:
    n = draw(st.integers(0, 30))
    xyz = draw(hnp.arrays(np.float32, (n, 3), elements=finite32(min_value=-1e6, max_value=1e6)))
    fields: dict[str, np.ndarray] = {}
    if draw(st.booleans()):
        fields["intensity"] = draw(hnp.arrays(np.float32, n, elements=finite32()))
    if draw(st.booleans()):
        fields["rgb"] = draw(hnp.arrays(np.uint8, (n, 3)))
    if draw(st.booleans()):
        fields["ring"] = draw(hnp.arrays(np.int32, n, elements=st.integers(0, 127)))
    if draw(st.booleans()):
        fields["time"] = draw(
            hnp.arrays(np.float64, n, elements=st.floats(allow_nan=False, allow_infinity=False))
        )
    if draw(st.booleans()):
        fields["normal"] = draw(hnp.arrays(np.float32, (n, 3), elements=finite32()))
    if draw(st.booleans()):
        fields["label"] = draw(hnp.arrays(np.uint16, n))
    if draw(st.booleans()):
        fields["flag"] = draw(hnp.arrays(np.int8, n))
    return PointCloud(xyz, fields)


@pytest.mark.parametrize("encoding", ENCODINGS)
@settings(max_examples=40, deadline=None)
@given(cloud=clouds())
def test_round_trip(encoding: str, cloud: PointCloud) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.pcd"
        write_pcd(path, cloud, encoding=encoding)
        back = read_point_cloud(path)
    assert back.path == path
    np.testing.assert_array_equal(back.xyz, cloud.xyz)
    assert back.xyz.dtype == np.float32
    assert set(back.fields) == set(cloud.fields)
    for name, values in cloud.fields.items():
        np.testing.assert_array_equal(back.fields[name], values, err_msg=name)
        assert back.fields[name].shape == values.shape
    assert back.fields.get("rgb", np.zeros((0, 3), np.uint8)).dtype == np.uint8
    assert back.fields.get("time", np.zeros(0)).dtype == np.float64


# ---------------------------------------------------------------- layouts


def test_padding_count_and_trailing_bytes(tmp_path: Path) -> None:
    # x y z _(4 bytes) intensity _(COUNT 0) normal(COUNT 3) ring(U2) _(2 bytes) = 40 bytes/point
    rec = np.dtype(
        {
            "names": ["x", "y", "z", "intensity", "normal", "ring"],
            "formats": ["<f4", "<f4", "<f4", "<f4", ("<f4", (3,)), "<u2"],
            "offsets": [0, 4, 8, 16, 20, 32],
            "itemsize": 36,
        }
    )
    pts = np.zeros(3, dtype=rec)
    pts["x"], pts["y"], pts["z"] = [1, 2, 3], [4, 5, 6], [7, 8, 9]
    pts["intensity"] = [0.5, 0.25, 0.125]
    pts["normal"] = [[0, 0, 1], [0, 1, 0], [1, 0, 0]]
    pts["ring"] = [3, 4, 65535]
    body = pts.tobytes() + b"\xde\xad\xbe\xef" * 11  # trailing garbage is ignored
    path = write(
        tmp_path,
        pcd_bytes(
            "x y z _ intensity _ normal ring _",
            "4 4 4 1 4 8 4 2 1",
            "F F F U F F F U U",
            "1 1 1 4 1 0 3 1 2",
            3,
            body,
        ),
    )
    cloud = read_point_cloud(path)
    np.testing.assert_array_equal(cloud.xyz, [[1, 4, 7], [2, 5, 8], [3, 6, 9]])
    np.testing.assert_array_equal(cloud.intensity, [0.5, 0.25, 0.125])
    assert cloud.fields["normal"].shape == (3, 3)
    np.testing.assert_array_equal(cloud.fields["normal"][2], [1, 0, 0])
    assert cloud.fields["ring"].dtype == np.int32
    np.testing.assert_array_equal(cloud.fields["ring"], [3, 4, 65535])
    assert set(cloud.fields) == {"intensity", "normal", "ring"}


def test_non_adjacent_and_double_xyz(tmp_path: Path) -> None:
    rec = np.dtype([("z", "<f8"), ("i", "<u1"), ("x", "<f8"), ("y", "<f8")])
    pts = np.array([(3.0, 7, 1.0, 2.0), (6.0, 9, 4.0, 5.0)], dtype=rec)
    path = write(tmp_path, pcd_bytes("z i x y", "8 1 8 8", "F U F F", "1 1 1 1", 2, pts.tobytes()))
    cloud = read_point_cloud(path)
    np.testing.assert_array_equal(cloud.xyz, [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(cloud.intensity, [7, 9])
    assert cloud.intensity.dtype == np.float32


def test_nan_points_dropped_from_every_field(tmp_path: Path) -> None:
    xyz = np.array([[1, 2, 3], [np.nan, 0, 0], [4, 5, 6], [0, np.inf, 0]], np.float32)
    cloud = PointCloud(
        xyz,
        {"intensity": np.array([1, 2, 3, 4], np.float32), "rgb": np.arange(12, dtype=np.uint8).reshape(4, 3)},
    )
    for encoding in ENCODINGS:
        path = tmp_path / f"nan_{encoding}.pcd"
        write_pcd(path, cloud, encoding=encoding)
        back = read_point_cloud(path)
        np.testing.assert_array_equal(back.xyz, [[1, 2, 3], [4, 5, 6]])
        np.testing.assert_array_equal(back.intensity, [1, 3])
        np.testing.assert_array_equal(back.rgb, [[0, 1, 2], [6, 7, 8]])


def test_ascii_with_nan_text(tmp_path: Path) -> None:
    body = b"1 2 3 0.5\nnan nan nan 0\n4 5 6 NaN\n\n"
    path = write(tmp_path, pcd_bytes("x y z intensity", "4 4 4 4", "F F F F", "1 1 1 1", 3, body, "ascii"))
    cloud = read_point_cloud(path)
    assert len(cloud) == 2
    assert cloud.intensity[0] == 0.5 and np.isnan(cloud.intensity[1])


def test_rgb_packed_in_float_and_rgba_in_uint(tmp_path: Path) -> None:
    packed = np.array([0x00FF8001, 0x00010203], dtype=np.uint32)
    rec = np.zeros(2, dtype=[("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("rgb", "<u4")])
    rec["rgb"] = packed
    path = write(tmp_path, pcd_bytes("x y z rgb", "4 4 4 4", "F F F F", "1 1 1 1", 2, rec.tobytes()), "f.pcd")
    np.testing.assert_array_equal(read_point_cloud(path).rgb, [[255, 128, 1], [1, 2, 3]])
    rec["rgb"] = packed | np.uint32(0xFF000000)
    path = write(
        tmp_path, pcd_bytes("x y z rgba", "4 4 4 4", "F F F U", "1 1 1 1", 2, rec.tobytes()), "u.pcd"
    )
    cloud = read_point_cloud(path)
    np.testing.assert_array_equal(cloud.rgb, [[255, 128, 1], [1, 2, 3]])
    assert "rgba" not in cloud.fields
    # ascii, PCL style: the packed colour written as a float
    as_float = packed.view(np.float32)
    body = "".join(f"0 0 0 {v:.9g}\n" for v in as_float).encode()
    path = write(tmp_path, pcd_bytes("x y z rgb", "4 4 4 4", "F F F F", "1 1 1 1", 2, body, "ascii"), "a.pcd")
    np.testing.assert_array_equal(read_point_cloud(path).rgb, [[255, 128, 1], [1, 2, 3]])


def test_compressed_field_major_with_padding(tmp_path: Path) -> None:
    n = 4
    x = np.arange(n, dtype="<f4")
    raw = (
        x.tobytes()
        + (x + 10).tobytes()
        + (x + 20).tobytes()
        + bytes(2 * n)
        + np.arange(n, dtype="<u2").tobytes()
    )
    body = struct.pack("<II", len(compress(raw)), len(raw)) + compress(raw)
    path = write(
        tmp_path,
        pcd_bytes("x y z _ ring", "4 4 4 1 2", "F F F U U", "1 1 1 2 1", n, body, "binary_compressed"),
    )
    cloud = read_point_cloud(path)
    np.testing.assert_array_equal(cloud.xyz[:, 2], x + 20)
    np.testing.assert_array_equal(cloud.fields["ring"], [0, 1, 2, 3])


def test_v05_header_without_width(tmp_path: Path) -> None:
    content = (
        b"VERSION .5\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nPOINTS 2\nDATA ascii\n1 2 3\n4 5 6\n"
    )
    cloud = read_point_cloud(write(tmp_path, content))
    np.testing.assert_array_equal(cloud.xyz, [[1, 2, 3], [4, 5, 6]])


def test_upper_case_suffix_and_empty_cloud(tmp_path: Path) -> None:
    path = tmp_path / "EMPTY.PCD"
    write_pcd(path, PointCloud(np.zeros((0, 3), np.float32)))
    cloud = read_point_cloud(path)
    assert len(cloud) == 0 and cloud.xyzi().shape == (0, 4)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("content", "problem", "line"),
    [
        (b"", "empty file", None),
        (pcd_bytes("x y z", "4 4 4", "F F F", "1 1 1", 10, bytes(12 * 9)), "truncated binary data", None),
        (pcd_bytes("x y z", "4 4", "F F F", "1 1 1", 1, bytes(12)), "2 values for 3 fields", 4),
        (pcd_bytes("x y z", "4 4 four", "F F F", "1 1 1", 1, bytes(12)), "expected integers", 4),
        (pcd_bytes("x y z", "4 4 3", "F F F", "1 1 1", 1, bytes(12)), "size 3 is invalid", 4),
        (pcd_bytes("x y z", "4 4 4", "F F Q", "1 1 1", 1, bytes(12)), "unknown type 'Q'", 5),
        (pcd_bytes("x y z", "4 4 4", "F F F", "1 1 -1", 1, bytes(12)), "negative value", 6),
        (pcd_bytes("x y i", "4 4 4", "F F F", "1 1 1", 1, bytes(12)), "no 'z' field", 3),
        (
            pcd_bytes("x y z", "4 4 4", "F F F", "1 1 1", 1, bytes(12), "binary_zipped"),
            "unknown encoding",
            11,
        ),
        (b"VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\n", "no DATA line", None),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a PCD file", 1),
        (
            pcd_bytes("x y z", "4 4 4", "F F F", "1 1 1", 3, b"1 2 3\n4 5 6\n", "ascii"),
            "truncated data: 3 points announced, 2 present",
            14,
        ),
        (
            pcd_bytes("x y z", "4 4 4", "F F F", "1 1 1", 2, b"1 2 3\n4 5\n", "ascii"),
            "expected 3 values, found 2",
            13,
        ),
        (
            pcd_bytes("x y z", "4 4 4", "F F F", "1 1 1", 2, b"1 2 3\n4 five 6\n", "ascii"),
            "not a number: 'five'",
            13,
        ),
        (
            pcd_bytes("x y z", "4 4 4", "F F F", "1 1 1", 2, b"\x01\x00", "binary_compressed"),
            "missing the two size words",
            None,
        ),
        (
            pcd_bytes(
                "x y z",
                "4 4 4",
                "F F F",
                "1 1 1",
                2,
                struct.pack("<II", 5, 24) + b"\x00a",
                "binary_compressed",
            ),
            "truncated binary_compressed",
            None,
        ),
        (
            pcd_bytes(
                "x y z",
                "4 4 4",
                "F F F",
                "1 1 1",
                2,
                struct.pack("<II", 3, 24) + b"\x05ab",
                "binary_compressed",
            ),
            "corrupt binary_compressed",
            None,
        ),
        (
            pcd_bytes("x y z", "4 4 4", "F F F", "1 1 1", 2, struct.pack("<II", 0, 12), "binary_compressed"),
            "holds 12 bytes",
            None,
        ),
    ],
)
def test_errors_name_file_line_and_problem(
    tmp_path: Path, content: bytes, problem: str, line: int | None
) -> None:
    path = write(tmp_path, content, "bad.pcd")
    with pytest.raises(FormatError) as info:
        read_point_cloud(path)
    message = str(info.value)
    assert str(path) in message
    assert problem in message
    assert info.value.path == path
    if line is not None:
        assert info.value.line == line
        assert f"{path}:{line}:" in message


# ---------------------------------------------------------------- open3d agreement


def test_open3d_reads_what_we_write(tmp_path: Path) -> None:
    o3d = pytest.importorskip("open3d")
    rng = np.random.default_rng(1)
    cloud = PointCloud(
        rng.normal(size=(500, 3)).astype(np.float32) * 20,
        {
            "intensity": rng.random(500, dtype=np.float32),
            "rgb": rng.integers(0, 256, (500, 3), dtype=np.uint8),
        },
    )
    for encoding in ENCODINGS:
        path = tmp_path / f"o3d_{encoding}.pcd"
        write_pcd(path, cloud, encoding=encoding)
        theirs = o3d.io.read_point_cloud(str(path))
        np.testing.assert_array_equal(np.asarray(theirs.points).astype(np.float32), cloud.xyz)
        np.testing.assert_allclose(np.asarray(theirs.colors) * 255, cloud.rgb, atol=1e-3)


def test_we_read_what_open3d_writes(tmp_path: Path) -> None:
    o3d = pytest.importorskip("open3d")
    rng = np.random.default_rng(2)
    pts = rng.normal(size=(300, 3)) * 5
    cols = rng.integers(0, 256, (300, 3)) / 255.0
    theirs = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts))
    theirs.colors = o3d.utility.Vector3dVector(cols)
    for ascii_, compressed in [(True, False), (False, False), (False, True)]:
        path = tmp_path / f"from_o3d_{ascii_}_{compressed}.pcd"
        assert o3d.io.write_point_cloud(str(path), theirs, write_ascii=ascii_, compressed=compressed)
        ours = read_point_cloud(path)
        np.testing.assert_allclose(ours.xyz, pts, rtol=1e-6, atol=1e-5)
        np.testing.assert_array_equal(ours.rgb, np.round(cols * 255).astype(np.uint8))


# ---------------------------------------------------------------- real files


def _header_points_and_nan(path: Path) -> int:
    """Expected count, computed independently: POINTS (or WIDTH*HEIGHT) minus points with NaN x/y/z."""
    raw = path.read_bytes()
    head, _, _ = raw.partition(b"DATA binary\n")
    values = {
        ln.split()[0]: ln.split()[1:] for ln in head.decode().splitlines() if ln and not ln.startswith("#")
    }
    n = int(values["POINTS"][0]) if "POINTS" in values else int(values["WIDTH"][0]) * int(values["HEIGHT"][0])
    step = sum(int(s) * int(c) for s, c in zip(values["SIZE"], values["COUNT"]))
    rows = np.frombuffer(raw, np.uint8, n * step, len(head) + len(b"DATA binary\n")).reshape(n, step)
    xyz = rows[:, :12].copy().view("<f4")
    return n - int(np.isnan(xyz).any(axis=1).sum())


@pytest.mark.parametrize("name", ["000950", "000965", "000970", "000975"])
def test_sustechpoints_frames(name: str) -> None:
    path = DATA / "sustechpoints_example" / "lidar" / f"{name}.pcd"
    if not path.exists():
        pytest.skip("shared data absent")
    cloud = read_point_cloud(path)
    assert len(cloud) == _header_points_and_nan(path)
    assert set(cloud.fields) == {"intensity", "time", "ring"}
    assert np.isfinite(cloud.xyz).all()
    assert float(cloud.intensity.min()) >= 0 and float(cloud.intensity.max()) <= 255
    o3d = pytest.importorskip("open3d")
    theirs = o3d.io.read_point_cloud(str(path), remove_nan_points=True)
    assert len(theirs.points) == len(cloud)
    np.testing.assert_array_equal(np.asarray(theirs.points, dtype=np.float32), cloud.xyz)


def test_decoding_past_the_reading_budget_is_a_named_error(tmp_path: Path, monkeypatch) -> None:
    xyz = np.random.default_rng(0).normal(size=(2_000, 3)).astype(np.float32)
    path = tmp_path / "slow.pcd"
    write_pcd(path, PointCloud(xyz), encoding="binary_compressed")
    assert len(read_point_cloud(path)) == 2_000  # within the default budget
    monkeypatch.setenv("ANNOTATOR_MAX_READ_SECONDS", "0")
    with pytest.raises(FormatError, match=r"slow\.pcd: reading took longer than the 0 s budget"):
        read_point_cloud(path)
