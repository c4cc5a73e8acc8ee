"""A store adopts what it read (version, known rows, decoded history) only once the read went through."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from annotator.core.edits import AddFrames
from annotator.core.model.commands import FunctionCommand
from annotator.core.model.records import Frame
from annotator.io.errors import ProjectError
from annotator.io.store import DATABASE_NAME
from annotator.io.workspace import Workspace


def rename_frames(workspace: Workspace, names: dict[int, str]) -> None:
    """Rename frames by id in one step."""

    def rename(project) -> None:  # type: ignore[no-untyped-def]
        for frame_id, name in names.items():
            project.put("frame", frame_id, dataclasses.replace(project.frames[frame_id], name=name))

    workspace.push(FunctionCommand("Rename frames", rename))


def test_a_read_that_fails_half_way_is_read_again_in_full(tmp_path: Path) -> None:
    root = tmp_path / "project"
    with Workspace.create(root) as first:
        first.push(AddFrames([Frame(0, "a", 0), Frame(0, "b", 1)]))
    window, batch = Workspace.open(root), Workspace.open(root)
    a, b = sorted(batch.project.frames)
    rename_frames(batch, {a: "a2", b: "b2"})
    database = sqlite3.connect(root / DATABASE_NAME)
    database.execute("UPDATE frames SET data = '{' WHERE id = ?", (b,))  # damaged by a faulty writer
    database.commit()
    with pytest.raises(ProjectError, match="damaged project data"):
        window.refresh()
    assert window.project.frames[a].name == "a"  # nothing applied from the failed read
    rename_frames(batch, {b: "b3"})  # the writer repairs frame b; the change log now names only b
    assert window.refresh()
    assert (window.project.frames[a].name, window.project.frames[b].name) == ("a2", "b3")
    database.close()
    window.close()
    batch.close()
