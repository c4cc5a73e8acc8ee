"""What one store connection knows the database holds, row by row, to reload only what others changed.

The store records each row it loads and each row it writes (staged until the transaction commits). Each
write transaction also logs the rows it touched under its data version (``change_log``), so a store that
is behind reads only the rows written since its version and decodes only those that differ from what it
knows. When the log does not reach back that far (pruned, or written by an older annotator), every row
is scanned instead: slower, same result.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable
from typing import Any

logger = logging.getLogger(__name__)

TABLES = ("document", "frame", "track", "annotation")

#: One table's differences from the known rows: the table, its (key, raw) rows new or changed, the keys gone.
RowDifference = tuple[str, list[tuple[Any, Any]], list[Any]]
#: Versions of the change log kept (a store further behind scans every row).
LOG_VERSIONS = 2000

ANNOTATION_COLUMNS = (
    "id, frame_id, track_id, class_name, kind, source, review, score, model_id, model_version, keyframe, camera,"
    " g0, g1, g2, g3, g4, g5, g6, g7, g8, extra"
)
_LOG_SCHEMA = """
CREATE TABLE IF NOT EXISTS change_log (version INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS change_log_by_version ON change_log (version);
"""
_QUERIES = {
    "document": "SELECT kind, key, data FROM documents",
    "frame": "SELECT id, data, pose FROM frames",
    "track": "SELECT id, class_name, attributes FROM tracks",
    "annotation": f"SELECT {ANNOTATION_COLUMNS} FROM annotations",
}
_KEYS = {"document": "kind = ? AND key = ?", "frame": "id = ?", "track": "id = ?", "annotation": "id = ?"}


def _pairs(table: str, rows: Iterable[tuple[Any, ...]]) -> list[tuple[Any, Any]]:
    """(key, raw) pairs of a table's rows."""
    if table == "document":
        return [((kind, key), data) for kind, key, data in rows]
    if table == "frame":
        return [(key, (data, pose)) for key, data, pose in rows]
    if table == "track":
        return [(key, (name, attributes)) for key, name, attributes in rows]
    return [(row[0], row) for row in rows]


def all_rows(db: sqlite3.Connection) -> dict[str, list[tuple[Any, Any]]]:
    """Every row as stored, by table: (key, raw) pairs in id order."""
    return {
        table: _pairs(table, db.execute(query + ("" if table == "document" else " ORDER BY id")))
        for table, query in _QUERIES.items()
    }


def rows_for(db: sqlite3.Connection, keys: dict[str, set[Any]]) -> dict[str, list[tuple[Any, Any]]]:
    """The rows of the given keys (those that still exist), by table."""
    found: dict[str, list[tuple[Any, Any]]] = {}
    for table, wanted in keys.items():
        rows: list[tuple[Any, ...]] = []
        for key in sorted(wanted, key=repr):
            args = key if table == "document" else (key,)
            rows.extend(db.execute(f"{_QUERIES[table]} WHERE {_KEYS[table]}", args))
        found[table] = _pairs(table, rows)
    return found


def ensure_log(db: sqlite3.Connection) -> None:
    """Create the change log if the project has none yet (additive: older annotators ignore it)."""
    db.executescript(_LOG_SCHEMA)


def log_writes(db: sqlite3.Connection, version: int, written: Iterable[tuple[str, Any]]) -> None:
    """Log the (table, key) rows a transaction wrote under its new data version; prune old versions."""
    db.executemany(
        "INSERT INTO change_log (version, kind, key) VALUES (?, ?, ?)",
        [(version, table, json.dumps(key)) for table, key in set(written)],
    )
    if version % 64 == 0:
        db.execute("DELETE FROM change_log WHERE version <= ?", (version - LOG_VERSIONS,))


def logged_keys(db: sqlite3.Connection, since: int) -> dict[str, set[Any]] | None:
    """The rows written after version ``since`` by table, or None when the log does not reach back."""
    try:
        oldest = db.execute("SELECT MIN(version) FROM change_log").fetchone()[0]
    except sqlite3.OperationalError:  # no log in this project
        return None
    if oldest is None or oldest > since + 1:
        return None
    keys: dict[str, set[Any]] = {}
    for table, key in db.execute("SELECT DISTINCT kind, key FROM change_log WHERE version > ?", (since,)):
        value = json.loads(key)
        keys.setdefault(table, set()).add(tuple(value) if table == "document" else value)
    return keys


class KnownRows:
    """Raw rows (as stored) per table and key, plus the writes of the open transaction."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[Any, Any]] = {table: {} for table in TABLES}
        self._staged: list[tuple[str, Any, Any]] = []

    def replace(self, rows: dict[str, list[tuple[Any, Any]]]) -> None:
        """Know exactly these (key, raw) rows by table (after a full load that read them all)."""
        self._staged.clear()
        for table, known in self.rows.items():
            known.clear()
            known.update(rows.get(table, ()))

    def stage(self, table: str, key: Any, raw: Any | None) -> None:
        """Record a write (None: a delete) of the open transaction."""
        self._staged.append((table, key, raw))

    def staged_keys(self) -> list[tuple[str, Any]]:
        """The (table, key) rows the open transaction wrote."""
        return [(table, key) for table, key, _ in self._staged]

    def commit(self) -> None:
        """The open transaction committed: its writes are now known rows."""
        for table, key, raw in self._staged:
            if raw is None:
                self.rows[table].pop(key, None)
            else:
                self.rows[table][key] = raw
        self._staged.clear()

    def rollback(self) -> None:
        """The open transaction was rolled back: forget its writes."""
        self._staged.clear()

    def differences(
        self, table: str, fresh: Iterable[tuple[Any, Any]], scope: set[Any] | None = None
    ) -> tuple[list[tuple[Any, Any]], list[Any]]:
        """Compare a table's fresh rows (all of them, or those of the keys in ``scope``) with the known
        ones: the (key, raw) rows that are new or changed, and the keys that are gone. Nothing is
        adopted here: `adopt` them once the whole read went through."""
        known = self.rows[table]
        changed: list[tuple[Any, Any]] = []
        seen = set()
        for key, raw in fresh:
            seen.add(key)
            if known.get(key) != raw:
                changed.append((key, raw))
        candidates = list(known) if scope is None else scope
        gone = [key for key in candidates if key not in seen and key in known]
        return changed, gone

    def adopt_all(self, differences: Iterable[RowDifference]) -> None:
        """`adopt` each table's differences (as `changes_between` lists them)."""
        for table, changed, gone in differences:
            self.adopt(table, changed, gone)

    def adopt(self, table: str, changed: Iterable[tuple[Any, Any]], gone: Iterable[Any]) -> None:
        """Make the rows found by `differences` the known ones."""
        known = self.rows[table]
        known.update(changed)
        for key in gone:
            known.pop(key, None)
