"""Hostile files stay small: each gives a named error in < 5 s and < 1 GB, and mutated files of every
reader give a cloud or a named error, never a traceback, a hang or runaway memory."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import hostile_files as hostile  # type: ignore[import-not-found]
import numpy as np
import pytest
from hostile_files import capped, mutate, mutations  # type: ignore[import-not-found]
from hypothesis import HealthCheck, given, settings

from annotator.core.errors import AnnotatorError
from annotator.io.pointcloud import PointCloud, read_point_cloud, write_pcd, write_ply

HERE = Path(__file__).parent

#: Reads one file in a fresh interpreter: prints the error (or "read") and the seconds and peak memory.
#: The peak is the interpreter's own (VmHWM of its address space): Linux carries ``ru_maxrss`` over from
#: the parent across fork and exec, so a large test process (a Ray runtime in it) would be counted too.
CHILD = """
import json, resource, sys, time
from annotator.core.errors import AnnotatorError
from annotator.io.pointcloud import read_point_cloud
start = time.perf_counter()
try:
    read_point_cloud(sys.argv[1]); outcome = "read"
except AnnotatorError as error:
    outcome = str(error)
try:
    status = open("/proc/self/status").read().split("VmHWM:")[1]
    peak = int(status.split()[0]) * 1024
except (OSError, IndexError):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"outcome": outcome, "seconds": time.perf_counter() - start, "peak": peak}))
"""

HOSTILE: dict[str, tuple[Callable[[Path], Path], str, str]] = {
    "compressed PCD announcing 4 GB": (hostile.huge_compressed_pcd, "x.pcd", "cannot expand"),
    "npz zip bomb": (hostile.npz_bomb, "x.npz", "inflates"),
    "20 MB one-line text cloud": (hostile.one_line_text, "x.txt", "values on one line"),
    "npy declaring 10^10 points": (hostile.huge_npy, "x.npy", "reading budget"),
    "PLY declaring 2^40 vertices": (hostile.huge_ply, "x.ply", "reading budget"),
    "LAS data offset past the end": (
        lambda p: hostile.las_with_header(p, offset=10**8),
        "x.las",
        "past the end",
    ),
    "LAS declaring 4e9 points": (
        lambda p: hostile.las_with_header(p, count=4_000_000_000),
        "x.las",
        "budget",
    ),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_file_gives_a_named_error_quickly_and_small(tmp_path: Path, name: str) -> None:
    make, file_name, expected = HOSTILE[name]
    path = make(tmp_path / file_name)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=60,
        cwd=HERE.parents[1],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert expected in result["outcome"] and str(path) in result["outcome"]
    assert result["seconds"] < 5.0
    assert result["peak"] < 1 << 30


# -- fuzzing ------------------------------------------------------------------------------------------
def _sample_cloud(points: int = 64) -> PointCloud:
    rng = np.random.default_rng(1)
    xyz = rng.uniform(-10, 10, (points, 3)).astype(np.float32)
    return PointCloud(xyz, {"intensity": rng.random(points).astype(np.float32)})


def _writers() -> dict[str, Callable[[Path], None]]:
    cloud = _sample_cloud()
    return {
        "pcd-binary": lambda p: write_pcd(p.with_suffix(".pcd"), cloud, "binary"),
        "pcd-compressed": lambda p: write_pcd(p.with_suffix(".pcd"), cloud, "binary_compressed"),
        "pcd-ascii": lambda p: write_pcd(p.with_suffix(".pcd"), cloud, "ascii"),
        "ply-binary": lambda p: write_ply(p.with_suffix(".ply"), cloud),
        "ply-ascii": lambda p: write_ply(p.with_suffix(".ply"), cloud, binary=False),
        "npy": lambda p: np.save(p.with_suffix(".npy"), np.column_stack([cloud.xyz, cloud.intensity])),
        "npz": lambda p: np.savez(p.with_suffix(".npz"), points=cloud.xyz),
        "txt": lambda p: np.savetxt(p.with_suffix(".txt"), cloud.xyz, fmt="%.3f"),
        "bin": lambda p: np.column_stack([cloud.xyz, cloud.intensity]).astype("<f4").tofile(p.with_suffix(".bin")),
        "las": lambda p: hostile.small_las(p.with_suffix(".las"), 64),
        "laz": lambda p: hostile.small_las(p.with_suffix(".laz"), 64),
    }  # fmt: skip


@pytest.fixture(scope="module")
def valid_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("valid")
    files = {}
    for name, write in _writers().items():
        write(folder / name)
        (path,) = folder.glob(f"{name}.*")
        files[name] = path.read_bytes()
    return files


SUFFIXES = {
    "pcd": ".pcd",
    "ply": ".ply",
    "npy": ".npy",
    "npz": ".npz",
    "txt": ".txt",
    "bin": ".bin",
    "las": ".las",
    "laz": ".laz",
}


@pytest.mark.parametrize("kind", list(_writers()))
def test_mutated_files_read_or_fail_with_a_named_error(
    valid_files, tmp_path_factory, monkeypatch, kind: str
) -> None:
    monkeypatch.setenv("ANNOTATOR_MAX_CLOUD_MB", "32")  # the readers' budget; the cap below allows 8x
    folder = tmp_path_factory.mktemp(kind)
    suffix = SUFFIXES[kind.split("-")[0]]

    @settings(max_examples=15 if kind == "laz" else 40, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
    @given(mutations)
    def check(edits: list[tuple[int, int, str]]) -> None:
        path = folder / f"fuzz{suffix}"
        path.write_bytes(mutate(valid_files[kind], edits, 400))
        with capped():
            try:
                cloud = read_point_cloud(path)
            except AnnotatorError as error:
                assert str(path) in str(error)
                return
        assert cloud.xyz.dtype == np.float32 and cloud.xyz.shape[1] == 3

    check()
