"""Opening a project saved before model versions were records (schema 2: ``model_version:*`` settings)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from annotator.core.model_versions import (
    ModelVersion,
    RecordModelVersion,
    current_version,
    model_versions,
)
from annotator.core.version_record import DataEntry
from annotator.io.store import database_path
from annotator.io.workspace import Workspace


def _version(vid: str, parent: str | None) -> ModelVersion:
    entry = DataEntry(1, "000000", "train", (4, 5), "abc")
    return ModelVersion(
        vid, "det", parent, float(vid[1:]), f"m{vid}", f"models/det/{vid}.pt", (entry,), {"lr": 1}
    )


def _as_schema_2(root: Path) -> None:
    """Write the project back the way schema 2 stored versions: settings named model_version:<plugin>:<id>."""
    db = sqlite3.connect(database_path(root))
    with db:
        db.execute(
            "UPDATE documents SET kind = 'setting', key = 'model_version:' || key WHERE kind = 'model_version'"
        )
        for seq, text in db.execute("SELECT seq, changes FROM history").fetchall():
            changes = json.loads(text)
            for change in changes:
                if change[0] == "model_version":
                    change[0], change[1] = "setting", f"model_version:{change[1]}"
            db.execute("UPDATE history SET changes = ? WHERE seq = ?", (json.dumps(changes), seq))
        db.execute("PRAGMA user_version = 2")
    db.close()


def test_an_older_project_opens_with_its_versions_as_records_and_keeps_undoing_them(tmp_path: Path) -> None:
    root = tmp_path / "old"
    with Workspace.create(root) as workspace:
        workspace.push(RecordModelVersion(_version("v1", None), promote=True))
        workspace.push(RecordModelVersion(_version("v2", "v1"), promote=False))
    _as_schema_2(root)
    legacy = sqlite3.connect(database_path(root))
    assert (
        legacy.execute("SELECT COUNT(*) FROM documents WHERE key LIKE 'model_version:%'").fetchone()[0] == 2
    )
    legacy.close()

    with Workspace.open(root) as workspace:
        project = workspace.project
        assert model_versions(project, "det") == [_version("v1", None), _version("v2", "v1")]
        assert current_version(project, "det") == _version("v1", None)
        assert not [key for key in project.settings if key.startswith("model_version:")]
        workspace.undo()  # the step recorded before the upgrade still removes its version
        assert [v.id for v in model_versions(workspace.project, "det")] == ["v1"]
        workspace.redo()
    with Workspace.open(root) as reopened:
        assert [v.id for v in model_versions(reopened.project, "det")] == ["v1", "v2"]
        assert isinstance(reopened.project.model_versions["det:v2"], ModelVersion)  # parsed once, on load
