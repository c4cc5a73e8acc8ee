"""The project store: one SQLite database (WAL) per project directory.

Each undo-stack step is written in its own transaction (`ProjectStore.write`), so a crash never loses a
step that was shown as done; the history (up to ``HISTORY_LIMIT`` steps) is stored too and restored on
open. Readers in other processes (the CLI) see a consistent snapshot while the app writes.

Durability: ``synchronous=NORMAL`` in WAL mode survives the application being killed at any moment; a
power loss may lose the last few committed steps (``FULL`` would cost an fsync per edit). The log's
checkpoints (where the fsyncs are) run in a thread of their own, not inside a commit
(`annotator.io.store_checkpoint`).

Several writers (the window and a batch command) may hold the same project: every write transaction
bumps a data version kept in the database and first checks it against the version this store last read
(optimistic concurrency). A store that is behind writes nothing and raises `ProjectChanged`; its
workspace then reloads what the others wrote and retries (see `annotator.io.workspace`). So no writer
silently overwrites another, and ids, which a writer takes from the freshly loaded records, never clash.
The undo history is shared: its position is read from the database inside each transaction, never from
a cache, so a writer never trims away steps another writer added.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from annotator.core.box2d import Box2D
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.model.commands import HistoryEntry, HistoryUpdate
from annotator.core.model.project import Change, Project
from annotator.core.model.records import Annotation, Provenance, Review, Source, Track
from annotator.core.model.schema import LabelSchema, default_schema
from annotator.core.model.serialize import change_from_data, change_to_data, record_from_data, record_to_data
from annotator.io.errors import ProjectChanged, ProjectError
from annotator.io.store_checkpoint import SAFETY_PAGES, Checkpointer
from annotator.io.store_migrations import versions_as_records
from annotator.io.store_rows import (
    ANNOTATION_COLUMNS,
    KnownRows,
    RowDifference,
    all_rows,
    ensure_log,
    log_writes,
    logged_keys,
    rows_for,
)
from annotator.io.store_values import bindable, database_error, text

logger = logging.getLogger(__name__)

DATABASE_NAME = "annotator.sqlite"
SCHEMA_VERSION = 3
HISTORY_LIMIT = 1000
#: Record kinds kept as JSON documents (kind, key, data).
DOCUMENT_KINDS = ("schema", "setting", "model_version")
#: How long a writer waits for another one to finish its step before giving up.
BUSY_TIMEOUT_S = 10.0

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
    # v3: model versions are records of their own kind (were ``model_version:*`` settings).
    3: versions_as_records,
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
        #: The data version this store last read or wrote (None: not read yet).
        self._version: int | None = None
        self.known = KnownRows()
        self._history_known: dict[int, tuple[tuple[Any, str], HistoryEntry]] = {}
        self._checkpointer: Checkpointer | None = None  # started by the first commit

    # -- opening ------------------------------------------------------------------------------------
    @classmethod
    def create(cls, root: Path | str, schema: LabelSchema | None = None) -> ProjectStore:
        """Create a new project in ``root`` (created if missing; must not hold a project yet)."""
        root = Path(root)
        if root.exists() and not root.is_dir():
            raise ProjectError(f"{root}: exists and is not a directory")
        if is_project(root):
            raise ProjectError(f"{root}: already holds a project")
        try:
            root.mkdir(parents=True, exist_ok=True)
            store = cls(root, _connect(database_path(root)))
            store._migrate()
            ensure_log(store.db)
            store._write_document("schema", "schema", record_to_data("schema", schema or default_schema()))
            store.db.commit()
        except (OSError, sqlite3.Error) as error:
            raise database_error(database_path(root), error, BUSY_TIMEOUT_S) from error
        return store

    @classmethod
    def open(cls, root: Path | str, read_only: bool = False) -> ProjectStore:
        """Open the project in ``root``; raises `ProjectError` for a missing, corrupt or newer project.

        A project on read-only media (or without write permission) is opened read-only whatever
        ``read_only`` says: reading works, writing raises `ProjectError`.
        """
        root = Path(root)
        path = database_path(root)
        if not root.is_dir():
            raise ProjectError(f"{root}: no such directory")
        if not path.is_file():
            raise ProjectError(
                f"{root}: not an annotator project (no {DATABASE_NAME}); create one with 'annotator new'"
            )
        if path.stat().st_size == 0:
            raise ProjectError(
                f"{path}: empty database file (0 bytes); restore it from a backup or remove it"
            )
        writable = os.access(root, os.W_OK) and os.access(path, os.W_OK)
        try:
            connection = _connect(path, read_only or not writable, immutable=not writable)
            store = cls(root, connection, read_only or not writable)
            store._migrate()
            if not store.read_only:
                ensure_log(store.db)
        except sqlite3.DatabaseError as error:
            raise ProjectError(f"{path}: not a readable project database ({error})") from error
        return store

    def close(self) -> None:
        """Close the database connection (after the checkpoint thread, if one runs)."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self.db.close()

    def _committed(self) -> None:
        """Count a commit for the checkpoint thread (started with the first one; from then on SQLite's
        own checkpoint inside a commit only comes at `SAFETY_PAGES`)."""
        if self._checkpointer is None:
            self.db.execute(f"PRAGMA wal_autocheckpoint = {SAFETY_PAGES}")
            self._checkpointer = Checkpointer(database_path(self.root))
        self._checkpointer.wrote()

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
        with self._snapshot():
            return self._load_project()

    def snapshot(self) -> tuple[Project, list[HistoryEntry], int]:
        """The whole project and its undo history (see `load_history`), read as one consistent state."""
        with self._snapshot():
            project = self._load_project()
            entries, index = self._load_history()
        return project, entries, index

    def changed_elsewhere(self) -> bool:
        """True when another connection wrote to the project since this store last read or wrote it."""
        try:
            return self._version is not None and self._data_version() != self._version
        except sqlite3.Error as error:
            raise database_error(database_path(self.root), error, BUSY_TIMEOUT_S) from error

    @contextmanager
    def _snapshot(self, records_too: bool = True) -> Iterator[None]:
        """One read transaction: everything read inside sees the same committed state. With
        ``records_too`` the records are read inside, so this store is up to date at its version once the
        block completes (a read that fails half-way leaves the store as far behind as it was)."""
        try:
            began = not self.db.in_transaction
            if began:
                self.db.execute("BEGIN")
            try:
                version = self._data_version() if records_too else None
                yield
                if version is not None:  # only a read that went through makes this store up to date
                    self._version = version
            finally:
                if began:
                    self.db.rollback()
        except (sqlite3.DatabaseError, ValueError, KeyError, TypeError, RecursionError) as error:
            raise ProjectError(f"{database_path(self.root)}: damaged project data ({error})") from error

    def _load_project(self) -> Project:
        project = Project(self.root)
        rows = all_rows(self.db)
        project.load_records(self._records(rows, AnnotationRows()))
        self.known.replace(rows)  # known only once every row decoded
        return project

    def changes_since_read(self, project: Project) -> tuple[list[Change], list[HistoryEntry], int]:
        """What other writers changed since this store last read or wrote: the changes that bring
        ``project`` (which holds what this store read and wrote) up to date, and the undo history."""
        since = self._version
        with self._snapshot():
            scope = None if since is None else logged_keys(self.db, since)
            fresh = all_rows(self.db) if scope is None else rows_for(self.db, scope)
            changes, differences = changes_between(project, self.known, fresh, scope)
            entries, index = self._load_history()
            self.known.adopt_all(differences)  # the rows are known once all of them were read
        return changes, entries, index

    def _records(
        self, rows: dict[str, list[tuple[Any, Any]]], decode: AnnotationRows
    ) -> list[tuple[str, Any, Any]]:
        return decode_records(rows, decode)

    def load_history(self) -> tuple[list[HistoryEntry], int]:
        """The stored undo history (the newest ``HISTORY_LIMIT`` steps) and how many of them are done.

        A damaged step (unreadable JSON) ends the history there: only the steps after it are kept.
        """
        with self._snapshot(records_too=False):
            return self._load_history()

    def _load_history(self) -> tuple[list[HistoryEntry], int]:
        done = self._history_done()
        entries: list[HistoryEntry] = []
        index = 0
        rows = self.db.execute(
            "SELECT seq, label, changes FROM (SELECT * FROM history ORDER BY seq DESC LIMIT ?) ORDER BY seq",
            (HISTORY_LIMIT,),
        )
        cache, decoded = self._history_known, {}
        for seq, label, changes in rows:
            known = cache.get(seq)
            if known is not None and known[0] == (label, changes):
                entry = known[1]  # decoded before (a merged drag step has new text, so is decoded again)
            else:
                try:
                    entry = HistoryEntry(text(label), tuple(change_from_data(c) for c in json.loads(changes)))
                except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
                    logger.warning(
                        "%s: undo step %d is damaged (%s); older steps dropped", self.root, seq, error
                    )
                    entries, index = [], 0
                    continue
            decoded[seq] = ((label, changes), entry)
            entries.append(entry)
            if seq <= done:
                index = len(entries)
        self._history_known = decoded  # the cache follows only a history read to the end
        return entries, index

    def clear_history(self) -> None:
        """Forget the stored undo history."""
        if self.read_only:
            return

        def clear() -> None:
            self.db.execute("DELETE FROM history")
            self._set_meta("history_done", "0")

        self._transaction(clear)

    # -- writing ------------------------------------------------------------------------------------
    def write(self, changes: Sequence[Change], update: HistoryUpdate) -> None:
        """Write one step's changes and its history update in one transaction.

        Raises `ProjectChanged` (writing nothing) when another process wrote since this store last read.
        """
        if self.read_only:
            raise ProjectError(f"{self.root}: opened read-only")

        def step() -> None:
            for change in changes:
                self._write_change(change)
            self._write_history(update)

        try:
            self._transaction(step)
        except ProjectChanged as error:
            error.changes = tuple(changes)  # type: ignore[attr-defined]  # what the caller may retry
            raise

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the project's write lock for the block: reads inside see the latest state and no other
        writer can come in between; the writes inside commit together at the end."""
        path = database_path(self.root)
        try:
            self.db.execute("BEGIN IMMEDIATE")  # waits up to the busy timeout for other writers
        except sqlite3.Error as error:
            raise database_error(path, error, BUSY_TIMEOUT_S) from error
        try:
            yield
            self.db.commit()
            self.known.commit()
            self._committed()
        except BaseException as error:
            self.db.rollback()
            self.known.rollback()
            self._version = -1  # whatever this store holds in memory is now suspect: reload next time
            if isinstance(error, sqlite3.Error):
                raise database_error(path, error, BUSY_TIMEOUT_S) from error
            raise

    def _transaction(self, work: Callable[[], object]) -> None:
        """Run ``work`` in one write transaction after checking that no other writer came in between
        (inside `locked`, the work joins the lock's transaction)."""
        path = database_path(self.root)
        held = self.db.in_transaction
        try:
            if not held:
                self.db.execute("BEGIN IMMEDIATE")  # takes the write lock (waits up to the busy timeout)
            try:
                version = self._data_version()
                if self._version is not None and version != self._version:
                    raise ProjectChanged(f"{self.root}: changed by another process; nothing was written")
                work()
                self._set_meta("data_version", str(version + 1))
                log_writes(self.db, version + 1, self.known.staged_keys())
                if not held:
                    self.db.commit()
                    self.known.commit()
                    self._committed()
            except BaseException:
                if not held:
                    self.db.rollback()
                    self.known.rollback()
                raise
        except sqlite3.Error as error:
            raise database_error(path, error, BUSY_TIMEOUT_S) from error
        self._version = version + 1

    def _write_change(self, change: Change) -> None:
        kind, key, value = change.kind, change.key, change.after
        if kind in DOCUMENT_KINDS:
            if value is None:
                self.db.execute("DELETE FROM documents WHERE kind = ? AND key = ?", (kind, key))
                self.known.stage("document", (kind, key), None)
            else:
                data = self._write_document(kind, key, record_to_data(kind, value))
                self.known.stage("document", (kind, key), data)
            return
        table = {"frame": "frames", "track": "tracks", "annotation": "annotations"}[kind]
        if value is None:
            self.db.execute(f"DELETE FROM {table} WHERE id = ?", (key,))
            self.known.stage(kind, key, None)
            return
        if kind == "annotation":
            row = annotation_to_row(value)
            self.db.execute(_INSERT_ANNOTATION, row)
            self.known.stage(kind, key, row)
            return
        if kind == "frame":
            fields = record_to_data(kind, value)
            pose = fields.pop("pose", None)
            data = _DUMPS(fields)
            pose_text = None if pose is None else _DUMPS(pose)
            self.db.execute(
                "INSERT OR REPLACE INTO frames (id, idx, name, data, pose) VALUES (?, ?, ?, ?, ?)",
                (key, value.index, bindable(value.name), data, pose_text),
            )
            self.known.stage(kind, key, (data, pose_text))
        else:
            track = (bindable(value.class_name), _DUMPS(value.attributes) if value.attributes else None)
            self.db.execute(
                "INSERT OR REPLACE INTO tracks (id, class_name, attributes) VALUES (?, ?, ?)", (key, *track)
            )
            self.known.stage(kind, key, track)

    def _write_history(self, update: HistoryUpdate) -> None:
        done = self._history_done()
        if update.action == "push":
            self.db.execute("DELETE FROM history WHERE seq > ?", (done,))
            entry = update.entry
            assert entry is not None
            cursor = self.db.execute(
                "INSERT INTO history (label, changes) VALUES (?, ?)",
                (bindable(entry.label), _DUMPS([change_to_data(c) for c in entry.changes])),
            )
            done = cursor.lastrowid or done
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
                (bindable(entry.label), _DUMPS([change_to_data(c) for c in entry.changes]), done),
            )
        elif update.action == "undo":
            row = self.db.execute("SELECT MAX(seq) FROM history WHERE seq < ?", (done,)).fetchone()
            done = row[0] or 0
        elif update.action == "redo":
            row = self.db.execute("SELECT MIN(seq) FROM history WHERE seq > ?", (done,)).fetchone()
            done = row[0] if row[0] is not None else done
        self._set_meta("history_done", str(done))

    def _history_done(self) -> int:
        """The last done step, read from the database (other writers move it too)."""
        value = self._meta("history_done") or "0"
        return int(value) if value.isdigit() and len(value) < 19 else 0

    def _data_version(self) -> int:
        value = self._meta("data_version") or "0"
        return int(value) if value.isdigit() and len(value) < 19 else 0

    # -- small helpers ------------------------------------------------------------------------------
    def _write_document(self, kind: str, key: str, data: Any) -> str:
        encoded = _DUMPS(data)
        self.db.execute(
            "INSERT OR REPLACE INTO documents (kind, key, data) VALUES (?, ?, ?)", (kind, key, encoded)
        )
        return encoded

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

    def frame_statuses(self) -> dict[str, int]:
        """Frame counts by review status (``new``, ``in_progress``, ``verified`` ...)."""
        return status_counts(data for (data,) in self.db.execute("SELECT data FROM frames"))

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
    if provenance.author is not None:
        extra["author"] = provenance.author
    return (
        annotation.id,
        annotation.frame_id,
        annotation.track_id,
        bindable(annotation.class_name),
        annotation.kind,
        provenance.source.value,
        annotation.review.value,
        provenance.score,
        bindable(provenance.model_id),
        bindable(provenance.model_version),
        int(annotation.keyframe),
        bindable(annotation.camera),
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
        if (
            type(class_name) is bytes
            or type(camera) is bytes
            or type(model_id) is bytes
            or type(model_version) is bytes
        ):
            class_name, camera, model_id, model_version = map(
                text, (class_name, camera, model_id, model_version)
            )
        extras = json.loads(extra) if extra else {}
        author = extras.get("author")
        key = (source, model_id, model_version, score, author)
        provenance = self._provenance.get(key)
        if provenance is None:
            provenance = Provenance(self._sources[source], model_id, model_version, score, author)
            self._provenance[key] = provenance
        cuboid = Cuboid.from_stored((g0, g1, g2), (g3, g4, g5), g6, g7, g8) if kind == "cuboid" else None
        box2d = Box2D(g0, g1, g2, g3) if kind == "box2d" else None
        return Annotation(
            id_, frame_id, class_name, track_id, cuboid, box2d, camera, provenance, self._reviews[review],
            bool(keyframe), extras.get("attributes", {}), extras.get("uncertainty"),
        )  # fmt: skip


def status_counts(frame_data: Iterable[str]) -> dict[str, int]:
    """Frame counts by review status, from frames' stored JSON."""
    counts: dict[str, int] = {}
    for data in frame_data:
        status = json.loads(data).get("status", "new")
        counts[status] = counts.get(status, 0) + 1
    return counts


def decode_records(
    rows: dict[str, list[tuple[Any, Any]]], decode: AnnotationRows
) -> list[tuple[str, Any, Any]]:
    """Decoded records (kind, key, value) of raw rows (as `store_rows` reads them); nothing is adopted as
    known here (see `KnownRows.adopt`)."""
    loads = json.loads
    records: list[tuple[str, Any, Any]] = []
    for (kind, key), data in rows.get("document", ()):
        records.append((kind, key, record_from_data(kind, loads(data))))
    for key, (data, pose) in rows.get("frame", ()):
        fields = loads(data)
        if pose:
            fields["pose"] = loads(pose)
        records.append(("frame", key, record_from_data("frame", fields)))
    for key, (name, attributes) in rows.get("track", ()):
        records.append(("track", key, Track(key, text(name), loads(attributes) if attributes else {})))
    for key, row in rows.get("annotation", ()):
        records.append(("annotation", key, decode.from_row(row)))
    return records


def changes_between(
    project: Project,
    known: KnownRows,
    fresh: dict[str, list[tuple[Any, Any]]],
    scope: dict[str, set[Any]] | None,
) -> tuple[list[Change], list[RowDifference]]:
    """The changes that bring ``project`` to the ``fresh`` rows (all rows, or those of the keys in
    ``scope``), judged against the ``known`` rows, new or changed frames first and removed frames last (an
    annotation is always applied while its frame exists, whatever order the tables were read in); and the
    row differences, which the caller adopts (`KnownRows.adopt_all`) only once its whole read went through."""
    decode = AnnotationRows()
    frames: list[Change] = []
    changes: list[Change] = []
    removed_frames: list[Change] = []
    differences: list[RowDifference] = []
    for table, rows in fresh.items():
        changed, gone = known.differences(table, rows, None if scope is None else scope.get(table, set()))
        differences.append((table, changed, gone))
        for kind, key, value in decode_records({table: changed}, decode):
            before = project.get(kind, key)
            if before != value:
                (frames if kind == "frame" else changes).append(Change(kind, key, before, value))
        for key in gone:
            kind, key = key if table == "document" else (table, key)
            if kind != "schema" and project.get(kind, key) is not None:
                change = Change(kind, key, project.get(kind, key), None)
                (removed_frames if kind == "frame" else changes).append(change)
    return frames + changes + removed_frames, differences


def _connect(path: Path, read_only: bool = False, immutable: bool = False) -> sqlite3.Connection:
    if immutable:  # read-only media: no -shm/-wal can be created, so read the file as it is
        connection = sqlite3.connect(
            f"{path.resolve().as_uri()}?immutable=1", uri=True, timeout=BUSY_TIMEOUT_S
        )
    elif read_only:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
    else:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    if not read_only:
        mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            logger.warning("%s: could not switch to WAL mode (got %s)", path, mode)
        connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")
    return connection
