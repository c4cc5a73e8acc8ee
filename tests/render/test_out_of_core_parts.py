"""The full detail of a cloud read out of core comes in parts of neighbouring points, each spread over the
whole cloud, and drawing them leaves only the chunk in hand resident."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from memory_support import linux_only, out_of_core_cloud, resident_bytes  # type: ignore[import-not-found]

from annotator.io.pointcloud.backing import is_backed
from annotator.render import cloud as cloud_module
from annotator.render.cloud import OutOfCoreParts, prepare_cloud


@pytest.fixture
def out_of_core(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return out_of_core_cloud(tmp_path)


def test_the_parts_of_a_cloud_out_of_core_hold_every_point_once_in_runs_spread_over_it(out_of_core) -> None:
    prepared = out_of_core
    assert is_backed(prepared.xyz) and is_backed(prepared.scalars["distance"])
    parts = 30  # 10,000 points a part, runs of 1,024: about ten runs each, all over the cloud
    cut = OutOfCoreParts(prepared, parts)
    seen = np.zeros(len(prepared), dtype=np.int32)
    for first, stop in ((0, 1), (1, 5), (5, 17), (17, 30)):  # chunks of different sizes
        for start, end in cut.runs(first, stop):
            seen[start:end] += 1
    assert np.all(seen == 1)  # chunk boundaries lose and repeat nothing
    apart = abs(cut.runs(1, 2)[0][0] - cut.runs(0, 1)[0][0])
    assert apart > 10 * cloud_module.RUN_POINTS  # the next part fills in elsewhere, not beside this one
    runs = cut.runs(7, 8)
    assert len(runs) >= 9 and all(end - start <= cloud_module.RUN_POINTS for start, end in runs)
    assert runs[0][0] < len(prepared) // 10 and runs[-1][1] > len(prepared) * 9 // 10
    chunk = prepared.strided(7, 8, parts)  # what the refiner draws: the points of those runs, copied
    expected = np.concatenate([prepared.xyz[a:b] for a, b in runs])
    assert np.array_equal(chunk.xyz, expected) and not is_backed(chunk.xyz)
    assert set(chunk.scalars) == set(prepared.scalars) and len(chunk.scalars["intensity"]) == len(chunk)


@linux_only
def test_drawing_the_full_detail_keeps_only_the_chunk_in_hand_resident(out_of_core) -> None:
    prepared = out_of_core
    assert resident_bytes(prepared.xyz) < prepared.xyz.nbytes // 4  # prepared, then handed back
    parts = 30
    for first in range(0, parts, 3):
        chunk = prepared.strided(first, first + 3, parts)
        assert len(chunk) > 0
        assert resident_bytes(prepared.xyz) < prepared.xyz.nbytes // 4
    assert resident_bytes(prepared.scalars["distance"]) < prepared.scalars["distance"].nbytes // 4


def test_a_cloud_in_memory_keeps_its_evenly_interleaved_parts(out_of_core) -> None:
    in_memory = np.array(out_of_core.xyz)
    prepared = prepare_cloud(in_memory, {}, 20_000)
    chunk = prepared.strided(2, 3, 30)
    assert np.array_equal(chunk.xyz, in_memory[2::30])


@linux_only
def test_the_frame_ground_of_a_cloud_out_of_core_brings_none_of_its_pages_back(out_of_core) -> None:
    pytest.importorskip("PySide6")
    from annotator.qt.editing.ground import frame_ground

    assert frame_ground(out_of_core) is not None
    assert resident_bytes(out_of_core.xyz) < out_of_core.xyz.nbytes // 4  # from the copied coarse sample


def test_runs_outside_the_view_frustum_are_left_out_and_every_point_in_view_is_kept(out_of_core) -> None:
    prepared = out_of_core
    parts = 30
    half = np.array([[1.0, 0.0, 0.0, -10.0]])  # a view that sees x >= 10 m only (one plane is enough)
    every, in_view = OutOfCoreParts(prepared, parts), OutOfCoreParts(prepared, parts, half)
    for first in (0, 11, 29):
        kept, all_runs = in_view.runs(first, first + 1), every.runs(first, first + 1)
        assert 0 < len(kept) < len(all_runs) / 2  # the points lie over -40..40 m
        left_out = set(all_runs) - set(kept)
        assert all(prepared.xyz[a:b, 0].max() < 10.0 for a, b in left_out)  # each wholly out of view
    chunk = prepared.strided(4, 5, parts, half)
    whole = prepared.strided(4, 5, parts)
    assert np.sum(chunk.xyz[:, 0] >= 10.0) == np.sum(whole.xyz[:, 0] >= 10.0)  # nothing in view missed


def test_a_perspective_camera_s_frustum_keeps_the_runs_it_looks_at(out_of_core) -> None:
    from annotator.render.camera import CameraPose
    from annotator.render.scene import PerspectiveScene

    scene = PerspectiveScene()
    scene.set_camera_pose(CameraPose((0.0, 0.0, 5.0), (20.0, 0.0, 0.0), view_angle=40.0))
    planes = scene.frustum_planes()
    assert np.all(planes[:, :3] @ [20.0, 0.0, 0.0] + planes[:, 3] >= 0)  # ahead: inside every plane
    assert np.any(planes[:, :3] @ [-20.0, 0.0, 0.0] + planes[:, 3] < 0)  # behind: outside one
    kept = OutOfCoreParts(out_of_core, 30, planes).runs(0, 30)
    assert 0 < sum(b - a for a, b in kept) < len(out_of_core) * 0.7
