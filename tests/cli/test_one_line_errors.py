"""Bad input and bad conditions give one named line (``annotator: error: WHERE: problem``), never a
traceback, and never a silent wrong result."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from annotator.cli import main
from annotator.core.edits import AddFrames
from annotator.core.model.commands import FunctionCommand
from annotator.core.model.records import Frame
from annotator.io import store as store_module
from annotator.io.errors import FormatError, ProjectError
from annotator.io.importers import read_source
from annotator.io.store import DATABASE_NAME, ProjectStore
from annotator.io.workspace import Workspace


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    with Workspace.create(root) as workspace:
        np.zeros((8, 4), np.float32).tofile(root / "a.bin")
        workspace.push(AddFrames([Frame(0, "a", 0, cloud="a.bin")]))
    return root


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("annotator: error: ") and err.count("\n") == 1, err
    return err


def test_file_names_that_are_not_utf8_are_stored_and_read_back(tmp_path, project, capsys) -> None:
    cloud = tmp_path / os.fsdecode(b"caf\xe9.bin")
    np.zeros((8, 4), np.float32).tofile(cloud)
    assert main(["add-frames", str(project), str(cloud)]) == 0
    name = os.fsdecode(b"caf\xe9")
    with Workspace.open(project) as workspace:
        frame = workspace.project.frame_by_name(name)
        assert frame is not None
        moved = dataclasses.replace(frame, index=7)
        workspace.push(FunctionCommand(f"Move {name}", lambda p: p.put("frame", frame.id, moved)))
    with Workspace.open(project) as workspace:
        assert workspace.project.frames[frame.id] == moved
        assert workspace.stack.undo_label() == f"Move {name}"
    assert main(["info", str(project)]) == 0


def sustech_label(tmp_path: Path, text: str) -> Path:
    (tmp_path / "label").mkdir(parents=True, exist_ok=True)
    (tmp_path / "label" / "a.json").write_text(text, encoding="utf-8")
    return tmp_path


def sustech_object(class_name: str = "Car", x: object = 1) -> dict:
    return {
        "obj_type": class_name,
        "psr": {
            "position": {"x": x, "y": 0, "z": 0},
            "scale": {"x": 4, "y": 2, "z": 1.5},
            "rotation": {"x": 0, "y": 0, "z": 0},
        },
    }


def test_deeply_nested_json_is_a_named_error(tmp_path) -> None:
    sustech_label(tmp_path, "[" * 100_000 + "]" * 100_000)
    with pytest.raises(FormatError, match=r"a\.json: JSON nested too deeply"):
        read_source("sustech", tmp_path)


def test_a_400_digit_integer_is_a_named_error(tmp_path) -> None:
    label = json.dumps([sustech_object()]).replace('"x": 1,', '"x": ' + "9" * 400 + ",")
    sustech_label(tmp_path, label)
    problems = [str(p) for p in read_source("sustech", tmp_path).problems]
    assert (
        len(problems) == 1 and "psr.position.x: expected a finite number, got a huge integer" in problems[0]
    )


def test_absurd_cuboid_sizes_are_refused(tmp_path) -> None:
    entry = sustech_object()
    entry["psr"]["scale"]["x"] = 1e300
    sustech_label(tmp_path, json.dumps([entry]))
    problems = [str(p) for p in read_source("sustech", tmp_path).problems]
    assert len(problems) == 1 and "implausible cuboid" in problems[0]


@pytest.mark.parametrize("name", ["\udcff", "Car\x00", "Car\n2", "x" * 201])
def test_bad_class_names_stop_the_import(tmp_path, project, capsys, name: str) -> None:
    source = sustech_label(tmp_path / "src", json.dumps([sustech_object(name)]))
    assert main(["import", str(project), "--format", "sustech", str(source)]) == 1
    assert "bad class name" in one_line(capsys)


def test_voc_corners_the_wrong_way_round_are_refused(tmp_path) -> None:
    folder = tmp_path / "Annotations"
    folder.mkdir()
    box = "<xmin>50</xmin><ymin>10</ymin><xmax>20</xmax><ymax>40</ymax>"
    (folder / "a.xml").write_text(
        f"<annotation><object><name>Car</name><bndbox>{box}</bndbox></object></annotation>"
    )
    problems = [str(p) for p in read_source("voc", tmp_path).problems]
    assert len(problems) == 1 and "corners the wrong way round" in problems[0]


def test_a_busy_database_is_one_line(project, capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.2)
    holder = sqlite3.connect(project / DATABASE_NAME)
    holder.execute("BEGIN IMMEDIATE")
    try:
        np.zeros((8, 4), np.float32).tofile(tmp_path / "b.bin")
        assert main(["add-frames", str(project), str(tmp_path / "b.bin")]) == 1
    finally:
        holder.rollback()
        holder.close()
    assert "busy: another program held the project" in one_line(capsys)


class _FullDisk:
    """A connection whose writes fail as SQLite's do when the disk is full."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            raise sqlite3.OperationalError("database or disk is full")
        return self.connection.execute(sql, *args)

    def __getattr__(self, name: str) -> object:
        return getattr(self.connection, name)


def test_a_full_disk_is_one_line_and_the_edit_is_undone_in_memory(project) -> None:
    with Workspace.open(project) as workspace:
        workspace.store.db = _FullDisk(workspace.store.db)  # type: ignore[assignment]
        with pytest.raises(ProjectError, match="the disk is full; nothing was written"):
            workspace.push(AddFrames([Frame(0, "b", 1)]))
        assert [f.name for f in workspace.project.frames.values()] == ["a"]


def test_a_damaged_history_row_does_not_block_opening(project) -> None:
    with Workspace.open(project) as workspace:
        workspace.push(AddFrames([Frame(0, "b", 1)]))
    with sqlite3.connect(project / DATABASE_NAME) as db:
        db.execute("UPDATE history SET changes = '[{not json' WHERE seq = (SELECT MIN(seq) FROM history)")
    with Workspace.open(project) as workspace:
        assert len(workspace.project.frames) == 2
        assert [e.label for e in workspace.stack.entries] == ["Add 1 frame"]  # the steps after the damage
        workspace.stack.undo()
        assert len(workspace.project.frames) == 1


def test_an_empty_database_file_is_not_silently_reinitialised(project, capsys) -> None:
    (project / DATABASE_NAME).write_bytes(b"")
    for suffix in ("-wal", "-shm"):
        (project / (DATABASE_NAME + suffix)).unlink(missing_ok=True)
    assert main(["info", str(project)]) == 1
    assert "empty database file (0 bytes)" in one_line(capsys)
    assert (project / DATABASE_NAME).stat().st_size == 0


def test_a_project_that_cannot_be_written_opens_read_only(project, monkeypatch) -> None:
    monkeypatch.setattr(os, "access", lambda path, mode: mode != os.W_OK)
    with Workspace.open(project) as workspace:
        assert workspace.read_only and len(workspace.project.frames) == 1
        with pytest.raises(ProjectError, match="opened read-only"):
            workspace.push(AddFrames([Frame(0, "b", 1)]))


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a user that permissions bind")
def test_a_read_only_project_folder_can_be_read(project, capsys) -> None:
    with Workspace.open(project):
        pass
    for path in project.iterdir():
        path.chmod(0o444)
    project.chmod(0o555)
    try:
        assert main(["info", str(project)]) == 0
        assert "frames       1" in capsys.readouterr().out
        store = ProjectStore.open(project)
        assert store.read_only
        store.close()
    finally:
        project.chmod(0o755)
