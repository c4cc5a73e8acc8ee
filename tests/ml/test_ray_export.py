"""Exporting on Ray: actors render the frames, the driver merges and writes the files a serial export writes."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest

from annotator.core.model.project import Project
from annotator.io.formats import available_formats, get_format
from annotator.io.formats.base import ExportContext
from annotator.io.formats.export import ExportReport, class_list, export_project
from annotator.io.workspace import Workspace
from annotator.ml.ray_batch import RaySettings
from annotator.ml.ray_export import ExportPlan, export_plan, ray_renderer
from annotator.testing.export_project import PLAIN, labelled_project

#: Every exportable format once, with the options that change what a frame's rendering does.
CASES = {
    "kitti": {},
    "openlabel": {"boxes": "world"},
    "labelcloud": {"variant": "vertices"},
    "sustech": {},
    "nuscenes": {"boxes": "world"},
    "coco": {},
    "yolo": {"images": "copy"},
    "voc": {},
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Five labelled frames: two cameras, poses, tracks, cuboids and 2D boxes, some unreviewed."""
    root = labelled_project(tmp_path_factory.mktemp("export") / "project", 5)
    with Workspace.open(root) as workspace:
        return workspace.project


def files_of(folder: Path) -> dict[str, bytes | str]:
    """Every file's bytes (a symbolic link: its target) by path relative to ``folder``."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[key] = os.readlink(path)
        elif path.is_file():
            found[key] = path.read_bytes()
    return found


def serial_and_ray(project: Project, format_id: str, tmp_path: Path, **options: str):
    """Export serially and on Ray into the same path (one after the other, so absolute paths written
    into the files, such as YOLO's ``data.yaml``, agree); both trees' files and both reports."""
    out = tmp_path / "out"
    results: list[tuple[dict[str, bytes | str], ExportReport]] = []
    for render in (None, ray_renderer(RaySettings(workers=2))):
        report = export_project(
            project, format_id, out, options=options, include_unreviewed=True, render=render
        )
        results.append((files_of(out), report))
        shutil.rmtree(out)
    return results


def test_every_exportable_format_is_covered():
    assert set(CASES) == {f.id for f in available_formats() if f.can_export}


@pytest.mark.parametrize("format_id", ["kitti", "openlabel", "labelcloud", "sustech", "yolo"])
def test_every_exporter_pickles_without_the_project(project, tmp_path, format_id):
    context = ExportContext(project, tmp_path, project.frames_in_order(), class_list(project))
    exporter = get_format(format_id).exporter(context)
    copy = pickle.loads(pickle.dumps(exporter))  # what a Ray actor receives
    assert not any(isinstance(value, Project) for value in vars(copy).values())


@pytest.mark.ray
@pytest.mark.parametrize("format_id", list(CASES))
def test_export_on_ray_writes_the_same_bytes_as_the_serial_export(project, tmp_path, ray_cluster, format_id):
    (serial, serial_report), (on_ray, ray_report) = serial_and_ray(
        project, format_id, tmp_path, **CASES[format_id]
    )
    assert serial_report.frames == 5 and not serial_report.skipped
    assert serial
    assert on_ray == serial  # byte for byte, link targets too: no normalisation needed
    assert ray_report == serial_report


@pytest.mark.ray
def test_a_frame_a_worker_cannot_render_is_named_and_the_others_are_exported(tmp_path, ray_cluster):
    root = labelled_project(tmp_path / "project", 4)
    (root / PLAIN / "000002.png").unlink()  # an uncalibrated camera's size comes from its image
    with Workspace.open(root) as workspace:
        project = workspace.project
    (serial, serial_report), (on_ray, ray_report) = serial_and_ray(project, "coco", tmp_path)
    assert [name for name, _reason in ray_report.skipped] == ["000002"]
    assert "no such image file" in ray_report.skipped[0][1]
    assert ray_report.frames == 3 and on_ray == serial and ray_report == serial_report


def test_tasks_run_one_per_cpu_and_each_slot_gets_a_few_blocks_of_frames():
    assert export_plan({"CPU": 8.0}, 200, workers=2) == ExportPlan(2, 25)  # 8 blocks of 25
    assert export_plan({"CPU": 8.0}, 3, None) == ExportPlan(3, 1)  # never more slots than frames
    assert export_plan({"CPU": 2.0}, 1, None) == ExportPlan(1, 1)
