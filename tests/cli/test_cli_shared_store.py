"""The CLI on a shared (PostgreSQL) project: new --store, info, export and lease take the project URL."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pytest

from annotator.cli import main
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations
from annotator.core.model.records import Annotation
from annotator.io.workspace import Workspace

pytestmark = pytest.mark.postgres


def local_project(root: Path) -> Path:
    """A SQLite project of two frames (clouds inside it) with one Car box."""
    main(["new", str(root)])
    for i in range(2):
        np.zeros((5, 4), np.float32).tofile(root / f"{i:06d}.bin")
    main(["add-frames", str(root), *(str(root / f"{i:06d}.bin") for i in range(2))])
    with Workspace.open(root) as workspace:
        frame = workspace.project.frames_in_order()[0]
        workspace.push(
            AddAnnotations([Annotation(0, frame.id, "Car", cuboid=Cuboid((5, 1, 0), (4, 2, 1.5), 0.3))])
        )
    return root


def test_new_with_store_names_the_project_after_its_directory(
    pg_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"scans-{uuid.uuid4().hex[:8]}"
    directory = tmp_path / name
    assert main(["new", str(directory), "--store", pg_dsn]) == 0
    out = capsys.readouterr().out
    assert f"created project {pg_dsn}/{name} (frame paths resolve in {directory})" in out
    assert main(["info", f"{pg_dsn}/{name}", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["project"] == f"{pg_dsn}/{name}" and summary["frames"] == 0


def test_a_copied_project_exports_the_same_labels_as_the_original(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = local_project(tmp_path / "local")
    assert main(["new", pg_url, "--from", str(source)]) == 0
    assert "copied 6 records" in capsys.readouterr().out  # 2 frames, a track, a box, schema, a setting
    assert main(["info", pg_url, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["frames"], summary["annotations"]) == (2, 1)
    assert (
        main(
            [
                "export",
                pg_url,
                "--format",
                "kitti",
                "-o",
                "calib=synthetic",
                "--out",
                str(tmp_path / "shared"),
                "--no-progress",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "export",
                str(source),
                "--format",
                "kitti",
                "-o",
                "calib=synthetic",
                "--out",
                str(tmp_path / "own"),
                "--no-progress",
            ]
        )
        == 0
    )
    shared = sorted((tmp_path / "shared").rglob("*.txt"))
    own = sorted((tmp_path / "own").rglob("*.txt"))
    assert [p.read_text() for p in shared] == [p.read_text() for p in own]
    assert "Car" in "".join(p.read_text() for p in shared)


def test_lease_take_list_and_a_leads_forced_release(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["new", pg_url])
    monkeypatch.setenv("ANNOTATOR_USER", "alice")
    assert main(["lease", "take", pg_url, "7"]) == 0
    monkeypatch.setenv("ANNOTATOR_USER", "bob")
    assert main(["lease", "take", pg_url, "7"]) == 1
    assert main(["lease", "release", pg_url, "7"]) == 1
    err = capsys.readouterr().err
    assert "frame 7 is leased by alice until" in err and "needs --force" in err
    assert main(["lease", "list", pg_url]) == 0
    assert "frame 7" in capsys.readouterr().out
    monkeypatch.setenv("ANNOTATOR_USER", "lead")
    assert main(["lease", "release", pg_url, "7", "--force"]) == 0
    assert main(["lease", "list", pg_url]) == 0
    assert "no frame is leased" in capsys.readouterr().out


def test_leases_of_a_local_project_and_unknown_projects_are_one_line_errors(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["new", str(tmp_path / "local")])
    capsys.readouterr()
    assert main(["lease", "list", str(tmp_path / "local")]) == 1
    assert main(["info", pg_url]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        f"annotator: error: {tmp_path / 'local'}: leases need a shared project (postgresql://HOST/DATABASE/PROJECT)",
        f"annotator: error: {pg_url}: no such project in the database; create it with 'annotator new {pg_url}'",
    ]
