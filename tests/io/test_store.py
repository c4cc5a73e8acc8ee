"""The SQLite project store: every step saved at once, history kept, crashes lose nothing shown as done."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

# Reuse the random-operation generator of the command tests.
from tests_support import apply_random_operation, operations, snapshot  # type: ignore[import-not-found]

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames, SetSchema
from annotator.core.model.records import Annotation, Frame
from annotator.core.model.schema import LabelClass, LabelSchema
from annotator.io.errors import ProjectError
from annotator.io.store import DATABASE_NAME, SCHEMA_VERSION, ProjectStore
from annotator.io.workspace import Workspace


def test_new_project_opens_with_default_schema(tmp_path: Path) -> None:
    with Workspace.create(tmp_path / "p") as workspace:
        assert "Car" in workspace.project.schema
        assert (tmp_path / "p" / DATABASE_NAME).is_file()
        mode = workspace.store.db.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations)
def test_reopened_store_equals_in_memory_model(tmp_path_factory: pytest.TempPathFactory, ops: list) -> None:
    root = tmp_path_factory.mktemp("project")
    with Workspace.create(root / "p") as workspace:
        workspace.push(AddFrames([Frame(0, "000000", 0)]))
        for op, pick, value in ops:
            apply_random_operation(workspace.project, workspace.stack, op, pick, value)
            if pick % 5 == 0:
                workspace.stack.undo()
        expected = snapshot(workspace.project)
        expected_index = workspace.stack.index
        expected_labels = [e.label for e in workspace.stack.entries]
    with Workspace.open(root / "p") as reopened:
        assert snapshot(reopened.project) == expected
        assert reopened.stack.index == expected_index
        assert [e.label for e in reopened.stack.entries] == expected_labels
        # The restored history still undoes to the empty project.
        reopened.stack.undo_all()
        assert not reopened.project.frames and not reopened.project.annotations


def test_history_can_be_dropped_on_open(tmp_path: Path) -> None:
    with Workspace.create(tmp_path / "p") as workspace:
        workspace.push(AddFrames([Frame(0, "a", 0)]))
    with Workspace.open(tmp_path / "p", keep_history=False) as workspace:
        assert not workspace.stack.can_undo()
        assert len(workspace.project.frames) == 1


def test_schema_change_is_saved(tmp_path: Path) -> None:
    schema = LabelSchema((LabelClass("Tree", (0, 200, 0), (2, 2, 6)),))
    with Workspace.create(tmp_path / "p") as workspace:
        workspace.push(SetSchema(schema))
    with Workspace.open(tmp_path / "p") as workspace:
        assert workspace.project.schema == schema


def test_paths_inside_the_project_are_stored_relative(tmp_path: Path) -> None:
    root = tmp_path / "p"
    with Workspace.create(root) as workspace:
        stored = workspace.project.store_path(root / "clouds" / "a.bin")
        assert stored == "clouds/a.bin"
        assert workspace.project.resolve_path(stored) == root / "clouds" / "a.bin"
        assert workspace.project.store_path(tmp_path / "x.bin") == str(tmp_path / "x.bin")


def test_open_refuses_a_directory_without_project(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="not an annotator project"):
        ProjectStore.open(tmp_path)
    with pytest.raises(ProjectError, match="no such directory"):
        ProjectStore.open(tmp_path / "missing")


def test_open_refuses_a_corrupt_database(tmp_path: Path) -> None:
    (tmp_path / DATABASE_NAME).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ProjectError, match="not a readable project database"):
        ProjectStore.open(tmp_path)


def test_open_refuses_a_newer_schema(tmp_path: Path) -> None:
    ProjectStore.create(tmp_path).close()
    db = sqlite3.connect(tmp_path / DATABASE_NAME)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(ProjectError, match="newer annotator"):
        ProjectStore.open(tmp_path)


def test_a_reader_process_sees_committed_steps_while_the_writer_is_open(tmp_path: Path) -> None:
    with Workspace.create(tmp_path / "p") as workspace:
        frame_id = workspace.push(AddFrames([Frame(0, "a", 0)])).ids[0]
        workspace.push(
            AddAnnotations([Annotation(0, frame_id, "Car", cuboid=Cuboid((1, 2, 0), (4, 2, 1.5)))])
        )
        reader = ProjectStore.open(tmp_path / "p", read_only=True)
        try:
            assert reader.count("annotations") == 1
            assert reader.load().annotations == workspace.project.annotations
        finally:
            reader.close()


WRITER = textwrap.dedent(
    """
    import sys
    from annotator.io.workspace import Workspace
    from annotator.core.edits import AddAnnotations, AddFrames
    from annotator.core.model.records import Annotation, Frame
    from annotator.core.cuboids.cuboid import Cuboid
    workspace = Workspace.open(sys.argv[1])
    frame_id = workspace.push(AddFrames([Frame(0, "a", 0)])).ids[0]
    for i in range(100000):
        box = Cuboid((i * 0.5, 0, 0), (4, 2, 1.5))
        command = workspace.push(AddAnnotations([Annotation(0, frame_id, "Car", cuboid=box)]))
        print(command.ids[0], flush=True)
    """
)


def test_kill_9_mid_sequence_loses_no_step_reported_done(tmp_path: Path) -> None:
    root = tmp_path / "p"
    ProjectStore.create(root).close()
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(root)], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    reported: list[int] = []
    assert process.stdout is not None
    for line in process.stdout:
        reported.append(int(line))
        if len(reported) == 300:
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait()
    with Workspace.open(root) as workspace:
        assert set(reported) <= set(workspace.project.annotations)
        assert len(workspace.project.annotations) >= 300


def test_read_only_open_takes_a_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ProjectStore.create(tmp_path / "p").close()
    monkeypatch.chdir(tmp_path)
    reader = ProjectStore.open(Path("p"), read_only=True)
    try:
        assert reader.count("frames") == 0
    finally:
        reader.close()
