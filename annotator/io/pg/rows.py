"""Reading a shared project's rows: (key, raw) pairs in the same shapes as the SQLite store's, plus each
row's version and last writer (the per-record version check compares those)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import psycopg

from annotator.core.model.project import Change
from annotator.io.store_rows import ANNOTATION_COLUMNS

#: (table, key) -> (version, modified_by) of the rows read.
Versions = dict[tuple[str, Any], tuple[int, str]]

TABLE_NAMES = {"document": "documents", "frame": "frames", "track": "tracks", "annotation": "annotations"}
_COLUMNS = {
    "document": "kind, key, data",
    "frame": "id, data, pose",
    "track": "id, class_name, attributes",
    "annotation": ANNOTATION_COLUMNS,
}


def _query(table: str) -> str:
    return f"SELECT {_COLUMNS[table]}, version, modified_by FROM {TABLE_NAMES[table]} WHERE project_id = %s"


def _pair(table: str, row: tuple[Any, ...]) -> tuple[Any, Any]:
    if table == "document":
        return (row[0], row[1]), row[2]
    if table == "annotation":
        return row[0], tuple(row)
    return row[0], (row[1], row[2])


def _collect(
    table: str, rows: Iterable[tuple[Any, ...]], found: dict[str, list[tuple[Any, Any]]], versions: Versions
) -> None:
    pairs = found.setdefault(table, [])
    for row in rows:
        key, raw = _pair(table, row[:-2])
        pairs.append((key, raw))
        versions[(table, key)] = (row[-2], row[-1])


def all_rows(db: psycopg.Connection, project_id: int) -> tuple[dict[str, list[tuple[Any, Any]]], Versions]:
    """Every row of a project by table (in id order) and every row's version."""
    found: dict[str, list[tuple[Any, Any]]] = {}
    versions: Versions = {}
    for table in TABLE_NAMES:
        order = "" if table == "document" else " ORDER BY id"
        _collect(table, db.execute(_query(table) + order, (project_id,)), found, versions)
    return found, versions


def rows_for(
    db: psycopg.Connection, project_id: int, keys: dict[str, set[Any]]
) -> tuple[dict[str, list[tuple[Any, Any]]], Versions]:
    """The rows of the given keys that still exist, by table, and their versions."""
    found: dict[str, list[tuple[Any, Any]]] = {table: [] for table in keys}
    versions: Versions = {}
    for table, wanted in keys.items():
        if table == "document":
            for kind, key in sorted(wanted):
                rows = db.execute(_query(table) + " AND kind = %s AND key = %s", (project_id, kind, key))
                _collect(table, rows, found, versions)
        elif wanted:
            rows = db.execute(_query(table) + " AND id = ANY(%s) ORDER BY id", (project_id, sorted(wanted)))
            _collect(table, rows, found, versions)
    return found, versions


def current_versions(db: psycopg.Connection, project_id: int, keys: Iterable[tuple[str, Any]]) -> Versions:
    """The stored version and last writer of each (table, key) row that exists."""
    wanted: dict[str, set[Any]] = {}
    for table, key in keys:
        wanted.setdefault(table, set()).add(key)
    versions: Versions = {}
    for table, ids in wanted.items():
        name = TABLE_NAMES[table]
        if table == "document":
            for kind, key in sorted(ids):
                row = db.execute(
                    f"SELECT version, modified_by FROM {name} WHERE project_id = %s AND kind = %s AND key = %s",
                    (project_id, kind, key),
                ).fetchone()
                if row:
                    versions[(table, (kind, key))] = (row[0], row[1])
            continue
        rows = db.execute(
            f"SELECT id, version, modified_by FROM {name} WHERE project_id = %s AND id = ANY(%s)",
            (project_id, sorted(ids)),
        )
        for key, version, who in rows:
            versions[(table, key)] = (version, who)
    return versions


def log_writes(
    db: psycopg.Connection, project_id: int, version: int, written: Iterable[tuple[str, Any]]
) -> None:
    """Log the rows a transaction wrote under its data version (pruned to the last 2000 versions)."""
    with db.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO change_log (project_id, version, kind, key) VALUES (%s, %s, %s, %s)",
            [(project_id, version, table, json.dumps(key)) for table, key in set(written)],
        )
    if version % 64 == 0:
        db.execute(
            "DELETE FROM change_log WHERE project_id = %s AND version <= %s", (project_id, version - 2000)
        )


def logged_keys(db: psycopg.Connection, project_id: int, since: int) -> dict[str, set[Any]] | None:
    """The rows written after version ``since`` by table, or None when the log does not reach back."""
    oldest = db.execute(
        "SELECT MIN(version) FROM change_log WHERE project_id = %s", (project_id,)
    ).fetchone()[0]
    if oldest is None or oldest > since + 1:
        return None
    keys: dict[str, set[Any]] = {}
    rows = db.execute(
        "SELECT DISTINCT kind, key FROM change_log WHERE project_id = %s AND version > %s",
        (project_id, since),
    )
    for table, key in rows:
        value = json.loads(key)
        keys.setdefault(table, set()).add(tuple(value) if table == "document" else value)
    return keys


def row_key(change: Change) -> tuple[str, Any]:
    """The (table, key) row a change writes."""
    if change.kind in ("schema", "setting"):
        return "document", (change.kind, change.key)
    return change.kind, change.key


def slot(key: tuple[str, Any]) -> str:
    """A row key as journal text."""
    return f"{key[0]}|{json.dumps(key[1])}"
