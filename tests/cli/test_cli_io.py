"""`annotator formats/import/export`: summaries, partial failures, exit codes and one-line errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.cli.io_commands import EXIT_PARTIAL
from annotator.cli.progress import Progress
from annotator.io.workspace import Workspace


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "annotator.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_formats_lists_every_format_and_what_it_carries(capsys):
    assert main(["formats"]) == 0
    table = capsys.readouterr().out
    for format_id in (
        "kitti",
        "openlabel",
        "labelcloud",
        "sustech",
        "nuscenes",
        "coco",
        "yolo",
        "voc",
        "folder",
    ):
        assert f"\n{format_id} " in table
    assert main(["formats", "--json"]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["openlabel"]["carries"] == ["cuboid", "box2d"] and rows["yolo"]["carries"] == ["box2d"]
    assert rows["folder"]["export"] is False and rows["labelcloud"]["variants"][0] == "centroid_rel"


def test_import_then_export_kitti(shared_data, tmp_path, capsys):
    project = tmp_path / "p"
    assert (
        main(["import", str(project), "--format", "kitti", str(shared_data / "kitti_object" / "training")])
        == 0
    )
    out = capsys.readouterr().out
    assert "created project" in out and "Pedestrian 1" in out
    assert main(["export", str(project), "--format", "kitti", "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert "exported    1 frames as kitti" in captured.out and "Pedestrian 1" in captured.out
    assert "100% 1/1" in captured.err  # progress printed as plain lines when stderr is not a terminal
    original = (shared_data / "kitti_object" / "training" / "label_2" / "000000.txt").read_text()
    assert (tmp_path / "out" / "label_2" / "000000.txt").read_text() == original
    assert (tmp_path / "out" / "calib" / "000000.txt").is_file()
    # importing again matches the objects already there by their KITTI rows: nothing is doubled
    assert main(["import", str(project), "-f", "kitti", str(shared_data / "kitti_object" / "training")]) == 0
    out = capsys.readouterr().out
    assert "0 added, 1 already there" in out and "0 added, 0 updated, 1 unchanged" in out
    with Workspace.open(project) as workspace:
        assert len(workspace.project.frames) == 1 and len(workspace.project.annotations) == 1


def test_openlabel_edge_case_imports_the_good_object_and_exits_partial(shared_data, tmp_path, capsys):
    source = shared_data / "openlabel_example" / "openlabel100_test_cuboids.json"
    assert main(["import", str(tmp_path / "p"), "-f", "openlabel", str(source)]) == EXIT_PARTIAL
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert line.startswith(f"annotator: error: {source}: ") and 'object "1" (car2)' in line
    assert "objects     1 (car 1)" in captured.out
    assert main(["import", str(tmp_path / "q"), "-f", "openlabel", "--strict", str(source)]) == 1
    assert "--strict: nothing imported" in capsys.readouterr().err
    assert not (tmp_path / "q").exists()


def test_export_skips_a_bad_frame_reports_it_and_exits_partial(shared_data, tmp_path, capsys):
    project = tmp_path / "p"
    main(["import", str(project), "-f", "sustech", str(shared_data / "sustechpoints_example")])
    capsys.readouterr()
    code = main(["export", str(project), "-f", "kitti", "--out", str(tmp_path / "out"), "--camera", "front"])
    assert code == EXIT_PARTIAL
    captured = capsys.readouterr()
    assert captured.err.count("annotator: error: frame 000950:") == 1  # the frame without cameras
    assert "exported    3 frames as kitti" in captured.out and "skipped     1 frames" in captured.out
    assert sorted(p.name for p in (tmp_path / "out" / "label_2").iterdir()) == [
        "000965.txt",
        "000970.txt",
        "000975.txt",
    ]


def test_export_selects_frames_and_classes(shared_data, tmp_path, capsys):
    project = tmp_path / "p"
    main(["import", str(project), "-f", "sustech", str(shared_data / "sustechpoints_example")])
    capsys.readouterr()
    args = [
        "export",
        str(project),
        "-f",
        "nuscenes",
        "--out",
        str(tmp_path / "out"),
        "--frames",
        "1-2",
        "--classes",
        "Car,Bus",
        "--no-progress",
    ]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    records = json.loads((tmp_path / "out" / "sample_annotation.json").read_text())
    assert {r["sample_token"] for r in records} == {"000965", "000970"}
    assert {r["category_name"] for r in records} <= {"Car", "Bus"}
    assert (
        main(["export", str(project), "-f", "nuscenes", "--out", str(tmp_path / "o2"), "--classes", "Plane"])
        == 1
    )
    assert "unknown class 'Plane'" in capsys.readouterr().err


def test_a_malformed_source_fails_in_one_line_and_creates_nothing(tmp_path):
    labels = tmp_path / "src" / "labels"
    labels.mkdir(parents=True)
    (labels / "a.json").write_text('{"objects": [ {"name": "x",, }]}')
    result = run_cli("import", str(tmp_path / "p"), "--format", "labelcloud", str(tmp_path / "src"))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"annotator: error: {labels / 'a.json'}:1: not valid JSON (")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "p").exists()


def test_failed_import_into_an_existing_project_changes_nothing(tmp_path, capsys):
    main(["new", str(tmp_path / "p")])
    before = (tmp_path / "p" / "annotator.sqlite").stat().st_size
    assert main(["import", str(tmp_path / "p"), "-f", "kitti", str(tmp_path / "missing")]) == 1
    assert "no such file or folder" in capsys.readouterr().err
    with Workspace.open(tmp_path / "p") as workspace:
        assert not workspace.project.frames and workspace.stack.index == 0
    assert (tmp_path / "p" / "annotator.sqlite").stat().st_size == before


def test_bad_option_is_one_line():
    result = run_cli("export", "x", "-f", "kitti", "--out", "o", "-o", "novalue")
    assert result.returncode == 1 and "option 'novalue' is not KEY=VALUE" in result.stderr


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_redraws_one_line_on_a_terminal_and_prints_few_lines_otherwise():
    terminal = FakeTerminal()
    with Progress(1000, "export", stream=terminal, interval=0.0) as progress:
        for done in range(1, 1001):
            progress.update(done, f"frame {done}")
    text = terminal.getvalue()
    assert "\n" not in text and text.count("\r") > 100 and "1000/1000" in text and text.endswith("\r\x1b[K")
    plain = io.StringIO()
    progress = Progress(1000, "export", stream=plain)
    for _ in range(1000):
        progress.advance()
    lines = plain.getvalue().splitlines()
    assert len(lines) == 10 and lines[-1].startswith("export [##############################] 100% 1000/1000")
    quiet = io.StringIO()
    Progress(5, stream=quiet, enabled=False).update(5)
    assert quiet.getvalue() == ""


@pytest.mark.parametrize("format_id", ["coco", "yolo", "voc", "openlabel"])
def test_2d_exports_of_a_cuboid_only_project_write_empty_label_sets(shared_data, tmp_path, capsys, format_id):
    project = tmp_path / "p"
    main(["import", str(project), "-f", "kitti", str(shared_data / "kitti_object" / "training")])
    code = main(["export", str(project), "-f", format_id, "--out", str(tmp_path / "out"), "--no-progress"])
    assert code == 0, capsys.readouterr().err
    assert any(Path(tmp_path / "out").rglob("*.*"))
