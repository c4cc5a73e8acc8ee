"""The project store: one SQLite database (WAL) per project directory.

Each undo-stack step is written in its own transaction (`ProjectStore.write`), so a crash never loses a
step that was shown as done; the history (up to ``HISTORY_LIMIT`` steps) is stored too and restored on
open. Readers in other processes (the CLI) see a consistent snapshot while the app writes.

Durability: ``synchronous=NORMAL`` in WAL mode survives the application being killed at any moment; a
power loss may lose the last few committed steps (``FULL`` would cost an fsync per edit).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from annotator.core.commands import HistoryEntry, HistoryUpdate
from annotator.core.geometry import Box2D, Cuboid
from annotator.core.project import Change, Project
from annotator.core.records import Annotation, Provenance, Review, Source, Track
from annotator.core.schema import LabelSchema, default_schema
from annotator.core.serialize import change_from_data, change_to_data, record_from_data, record_to_data
from annotator.io.errors import ProjectError

logger = logging.getLogger(__name__)

DATABASE_NAME = "annotator.sqlite"
SCHEMA_VERSION = 2
HISTORY_LIMIT = 1000

_SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE frames (id INTEGER PRIMARY KEY, idx INTEGER NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE tracks (id INTEGER PRIMARY KEY, class_name TEXT NOT NULL, attributes TEXT);
CREATE TABLE annotations (
    id INTEGER PRIMARY KEY, frame_id INTEGER NOT NULL, track_id INTEGER, class_name TEXT NOT NULL,
    kind TEXT NOT NULL, source TEXT NOT NULL, review TEXT NOT NULL, score REAL, model_id TEXT,
    model_version TEXT, keyframe INTEGER NOT NULL, camera TEXT,
    g0 REAL, g1 REAL, g2 REAL, g3 REAL, g4 REAL, g5 REAL, g6 REAL, g7 REAL, g8 REAL,
    extra TEXT
);
CREATE INDEX annotations_by_frame ON annotations (frame_id);
CREATE TABLE documents (kind TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, key));
CREATE TABLE history (seq INTEGER PRIMARY KEY AUTOINCREMENT, label TEXT NOT NULL, changes TEXT NOT NULL);
"""

#: Migrations: MIGRATIONS[v] takes a database at version v - 1 to version v.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: lambda db: db.executescript(_SCHEMA_V1),
    # v2: a frame's ego pose (LiDAR -> world, JSON) in a column of its own; older frames have none.
    2: lambda db: db.execute("ALTER TABLE frames ADD COLUMN pose TEXT"),
}

_DUMPS = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def database_path(root: Path | str) -> Path:
    """Where a project's database lives."""
    return Path(root) / DATABASE_NAME


def is_project(root: Path | str) -> bool:
    """True when ``root`` holds a project database."""
    return database_path(root).is_file()


class ProjectStore:
    """Reads and writes one project database. Use `create` or `open`; call `close` when done."""

    def __init__(self, root: Path, connection: sqlite3.Connection, read_only: bool = False) -> None:
        self.root = root
        self.db = connection
        self.read_only = read_only
        self._done_cache: int | None = None

    # -- opening ------------------------------------------------------------------------------------
    @classmethod
    def create(cls, root: Path | str, schema: LabelSchema | None = None) -> ProjectStore:
        """Create a new project in ``root`` (created if missing; must not hold a project yet)."""
        root = Path(root)
        if root.exists() and not root.is_dir():
            raise ProjectError(f"{root}: exists and is not a directory")
        if is_project(root):
            raise ProjectError(f"{root}: already holds a project")
        root.mkdir(parents=True, exist_ok=True)
        store = cls(root, _connect(database_path(root)))
        store._migrate()
        store._write_document("schema", "schema", record_to_data("schema", schema or default_schema()))
        store.db.commit()
        return store

    @classmethod
    def open(cls, root: Path | str, read_only: bool = False) -> ProjectStore:
        """Open the project in ``root``; raises `ProjectError` for a missing, corrupt or newer project."""
        root = Path(root)
        path = database_path(root)
        if not root.is_dir():
            raise ProjectError(f"{root}: no such directory")
        if not path.is_file():
            raise ProjectError(
                f"{root}: not an annotator project (no {DATABASE_NAME}); create one with 'annotator new'"
            )
        try:
            store = cls(root, _connect(path, read_only), read_only)
            store._migrate()
        except sqlite3.DatabaseError as error:
            raise ProjectError(f"{path}: not a readable project database ({error})") from error
        return store

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ProjectError(
                f"{database_path(self.root)}: made by a newer annotator (schema {version}, this one reads "
                f"up to {SCHEMA_VERSION}); update annotator"
            )
        if version == SCHEMA_VERSION:
            return
        if self.read_only:
            raise ProjectError(f"{database_path(self.root)}: needs an upgrade; open it once for writing")
        with self.db:
            for target in range(version + 1, SCHEMA_VERSION + 1):
                logger.info("migrating %s to schema %d", self.root, target)
                MIGRATIONS[target](self.db)
                self.db.execute(f"PRAGMA user_version = {target}")

    # -- loading ------------------------------------------------------------------------------------
    def load(self) -> Project:
        """Read the whole project into memory."""
        try:
            return self._load()
        except (sqlite3.DatabaseError, ValueError, KeyError, TypeError) as error:
            raise ProjectError(f"{database_path(self.root)}: damaged project data ({error})") from error

    def _load(self) -> Project:
        loads = json.loads
        project = Project(self.root)
        records: list[tuple[str, Any, Any]] = []
        for kind, key, data in self.db.execute("SELECT kind, key, data FROM documents"):
            records.append((kind, key, record_from_data(kind, loads(data))))
        for key, data, pose in self.db.execute("SELECT id, data, pose FROM frames ORDER BY id"):
            fields = loads(data)
            if pose:
                fields["pose"] = loads(pose)
            records.append(("frame", key, record_from_data("frame", fields)))
        for key, class_name, attributes in self.db.execute("SELECT id, class_name, attributes FROM tracks"):
            records.append(("track", key, Track(key, class_name, loads(attributes) if attributes else {})))
        decode = AnnotationRows()
        for row in self.db.execute(f"SELECT {ANNOTATION_COLUMNS} FROM annotations ORDER BY id"):
            records.append(("annotation", row[0], decode.from_row(row)))
        project.load_records(records)
        return project

    def load_history(self) -> tuple[list[HistoryEntry], int]:
        """The stored undo history (the newest ``HISTORY_LIMIT`` steps) and how many of them are done."""
        self._done_cache = None
        done = self._history_done()
        entries: list[HistoryEntry] = []
        index = 0
        rows = self.db.execute(
            "SELECT seq, label, changes FROM (SELECT * FROM history ORDER BY seq DESC LIMIT ?) ORDER BY seq",
            (HISTORY_LIMIT,),
        )
        for seq, label, changes in rows:
            entries.append(HistoryEntry(label, tuple(change_from_data(c) for c in json.loads(changes))))
            if seq <= done:
                index = len(entries)
        return entries, index

    def clear_history(self) -> None:
        """Forget the stored undo history."""
        with self.db:
            self.db.execute("DELETE FROM history")
            self._set_meta("history_done", "0")
        self._done_cache = 0

    # -- writing ------------------------------------------------------------------------------------
    def write(self, changes: Sequence[Change], update: HistoryUpdate) -> None:
        """Write one step's changes and its history update in one transaction."""
        if self.read_only:
            raise ProjectError(f"{self.root}: opened read-only")
        with self.db:
            for change in changes:
                self._write_change(change)
            self._write_history(update)

    def _write_change(self, change: Change) -> None:
        kind, key, value = change.kind, change.key, change.after
        if kind in ("schema", "setting"):
            if value is None:
                self.db.execute("DELETE FROM documents WHERE kind = ? AND key = ?", (kind, key))
            else:
                self._write_document(kind, key, record_to_data(kind, value))
            return
        table = {"frame": "frames", "track": "tracks", "annotation": "annotations"}[kind]
        if value is None:
            self.db.execute(f"DELETE FROM {table} WHERE id = ?", (key,))
            return
        if kind == "annotation":
            self.db.execute(_INSERT_ANNOTATION, annotation_to_row(value))
            return
        if kind == "frame":
            fields = record_to_data(kind, value)
            pose = fields.pop("pose", None)
            self.db.execute(
                "INSERT OR REPLACE INTO frames (id, idx, name, data, pose) VALUES (?, ?, ?, ?, ?)",
                (key, value.index, value.name, _DUMPS(fields), None if pose is None else _DUMPS(pose)),
            )
        else:
            attributes = _DUMPS(value.attributes) if value.attributes else None
            self.db.execute(
                "INSERT OR REPLACE INTO tracks (id, class_name, attributes) VALUES (?, ?, ?)",
                (key, value.class_name, attributes),
            )

    def _write_history(self, update: HistoryUpdate) -> None:
        done = self._history_done()
        if update.action == "push":
            self.db.execute("DELETE FROM history WHERE seq > ?", (done,))
            entry = update.entry
            assert entry is not None
            cursor = self.db.execute(
                "INSERT INTO history (label, changes) VALUES (?, ?)",
                (entry.label, _DUMPS([change_to_data(c) for c in entry.changes])),
            )
            done = cursor.lastrowid
            if done % 64 == 0:  # prune now and then, not on every step
                self.db.execute(
                    "DELETE FROM history WHERE seq <= (SELECT seq FROM history ORDER BY seq DESC LIMIT 1 OFFSET ?)",
                    (HISTORY_LIMIT,),
                )
        elif update.action == "merge":
            entry = update.entry
            assert entry is not None
            self.db.execute(
                "UPDATE history SET label = ?, changes = ? WHERE seq = ?",
                (entry.label, _DUMPS([change_to_data(c) for c in entry.changes]), done),
            )
        elif update.action == "undo":
            row = self.db.execute("SELECT MAX(seq) FROM history WHERE seq < ?", (done,)).fetchone()
            done = row[0] or 0
        elif update.action == "redo":
            row = self.db.execute("SELECT MIN(seq) FROM history WHERE seq > ?", (done,)).fetchone()
            done = row[0] if row[0] is not None else done
        self._set_meta("history_done", str(done))
        self._done_cache = done

    def _history_done(self) -> int:
        if self._done_cache is None:
            self._done_cache = int(self._meta("history_done") or 0)
        return self._done_cache

    # -- small helpers ------------------------------------------------------------------------------
    def _write_document(self, kind: str, key: str, data: Any) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO documents (kind, key, data) VALUES (?, ?, ?)", (kind, key, _DUMPS(data))
        )

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- queries for the CLI (no full load needed) ------------------------------------------------
    def setting(self, name: str) -> Any:
        """A project setting's stored value (None when unset)."""
        row = self.db.execute(
            "SELECT data FROM documents WHERE kind = 'setting' AND key = ?", (name,)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def count_by(self, column: str) -> dict[str, int]:
        """Annotation counts grouped by ``class_name``, ``source``, ``review`` or ``kind``."""
        if column not in ("class_name", "source", "review", "kind"):
            raise ValueError(f"cannot group annotations by {column!r}")
        rows = self.db.execute(f"SELECT {column}, COUNT(*) FROM annotations GROUP BY {column}")
        return {key: count for key, count in rows}

    def count(self, table: str) -> int:
        """Number of rows of ``frames``, ``tracks`` or ``annotations``."""
        if table not in ("frames", "tracks", "annotations"):
            raise ValueError(f"unknown table {table!r}")
        return self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


ANNOTATION_COLUMNS = (
    "id, frame_id, track_id, class_name, kind, source, review, score, model_id, model_version, keyframe, camera,"
    " g0, g1, g2, g3, g4, g5, g6, g7, g8, extra"
)
_INSERT_ANNOTATION = (
    f"INSERT OR REPLACE INTO annotations ({ANNOTATION_COLUMNS}) VALUES ({', '.join('?' * 22)})"
)


def annotation_to_row(annotation: Annotation) -> tuple[Any, ...]:
    """An annotation as a row of the annotations table (geometry in columns, rare fields as JSON)."""
    if annotation.cuboid is not None:
        geometry = tuple(annotation.cuboid.to_array(nine_dof=True).tolist())
    else:
        geometry = (*annotation.box2d.to_array().tolist(), None, None, None, None, None)  # type: ignore[union-attr]
    extra: dict[str, Any] = {}
    if annotation.attributes:
        extra["attributes"] = annotation.attributes
    if annotation.uncertainty is not None:
        extra["uncertainty"] = annotation.uncertainty
    provenance = annotation.provenance
    return (
        annotation.id,
        annotation.frame_id,
        annotation.track_id,
        annotation.class_name,
        annotation.kind,
        provenance.source.value,
        annotation.review.value,
        provenance.score,
        provenance.model_id,
        provenance.model_version,
        int(annotation.keyframe),
        annotation.camera,
        *geometry,
        _DUMPS(extra) if extra else None,
    )


class AnnotationRows:
    """Decodes annotation rows, sharing equal provenance objects between rows."""

    def __init__(self) -> None:
        self._provenance: dict[tuple[Any, ...], Provenance] = {}
        self._sources = {s.value: s for s in Source}
        self._reviews = {r.value: r for r in Review}

    def from_row(self, row: tuple[Any, ...]) -> Annotation:
        """Inverse of `annotation_to_row`."""
        (id_, frame_id, track_id, class_name, kind, source, review, score, model_id, model_version, keyframe,
         camera, g0, g1, g2, g3, g4, g5, g6, g7, g8, extra) = row  # fmt: skip
        key = (source, model_id, model_version, score)
        provenance = self._provenance.get(key)
        if provenance is None:
            provenance = Provenance(self._sources[source], model_id, model_version, score)
            self._provenance[key] = provenance
        cuboid = Cuboid.from_stored((g0, g1, g2), (g3, g4, g5), g6, g7, g8) if kind == "cuboid" else None
        box2d = Box2D(g0, g1, g2, g3) if kind == "box2d" else None
        extras = json.loads(extra) if extra else {}
        return Annotation(
            id_, frame_id, class_name, track_id, cuboid, box2d, camera, provenance, self._reviews[review],
            bool(keyframe), extras.get("attributes", {}), extras.get("uncertainty"),
        )  # fmt: skip


def _connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10.0)
    else:
        connection = sqlite3.connect(path, timeout=10.0)
    connection.execute("PRAGMA busy_timeout = 10000")
    if not read_only:
        mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            logger.warning("%s: could not switch to WAL mode (got %s)", path, mode)
        connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")
    return connection
