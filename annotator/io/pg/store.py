"""A project in a shared PostgreSQL database: several annotators at once (psycopg 3).

The store implements `annotator.io.store_api.SharedStore`, so the workspace, the window and the CLI use it
as they use the SQLite store. What differs:

- **Per-record version checks.** Every row carries the project data version that last wrote it and who
  wrote it. A step is written only if each row it touches still has the version this store read (or is
  still absent); otherwise nothing is written and `RecordConflict` (a `ProjectChanged`) names the row and
  who changed it. Edits of other rows go through while this store is behind, so annotators on different
  frames never wait for each other; the workspace reloads and re-runs on a conflict as it does for SQLite.
- **Undo per user.** Each annotator has an own undo history and position; an undo or redo that would
  revert a row someone else wrote since is refused.
- **Leases** (`annotator.io.pg.leases`): a write touching a frame leased by another annotator is refused.
- **Live changes.** Each commit sends ``NOTIFY annotator_changes``; `changed_elsewhere` drains the
  notices of a listening connection without a server round trip (the window's external-changes timer).
- **Offline journal** (`annotator.io.pg.journal`): when the connection drops, steps are journaled to a
  local file and shown as done; on reconnect (or the next open) they are replayed with the versions they
  were based on, and conflicting ones are kept aside and reported.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from annotator.core.model.commands import HistoryEntry, HistoryUpdate
from annotator.core.model.project import Change, Project
from annotator.core.model.schema import LabelSchema, default_schema
from annotator.core.model.serialize import record_to_data
from annotator.io.errors import EditRefused, ProjectChanged, ProjectError
from annotator.io.pg import leases as lease_sql
from annotator.io.pg.connection import as_project_error, connect
from annotator.io.pg.history import load_history, write_history
from annotator.io.pg.journal import OfflineJournal, journal_path
from annotator.io.pg.leases import LeaseHeld
from annotator.io.pg.offline import RECONNECT_EVERY_S, OfflineReplay
from annotator.io.pg.renumber import (
    Renumbering,
    renumbered_change,
    renumbered_expected,
    renumbered_update,
)
from annotator.io.pg.rows import (
    TABLE_NAMES,
    Versions,
    all_rows,
    current_versions,
    log_writes,
    logged_keys,
    row_key,
    rows_for,
    slot,
)
from annotator.io.pg.schema import migrate
from annotator.io.pg.url import ProjectUrl, join_project_url, parse_project_url
from annotator.io.store import (
    AnnotationRows,
    annotation_to_row,
    changes_between,
    decode_records,
    status_counts,
)
from annotator.io.store_rows import ANNOTATION_COLUMNS, KnownRows

logger = logging.getLogger(__name__)

CHANNEL = "annotator_changes"
#: Ids reserved on the server per request (see `reserve_id`).
ID_BLOCK = 64

_DUMPS = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
_ANNOTATION_UPSERT = (
    f"INSERT INTO annotations (project_id, {ANNOTATION_COLUMNS}, version, modified_by)"
    f" VALUES ({', '.join(['%s'] * 25)}) ON CONFLICT (project_id, id) DO UPDATE SET "
    + ", ".join(f"{c.strip()} = EXCLUDED.{c.strip()}" for c in ANNOTATION_COLUMNS.split(",")[1:])
    + ", version = EXCLUDED.version, modified_by = EXCLUDED.modified_by"
)


class RecordConflict(ProjectChanged):
    """A row this step touches was changed by someone else since this store read it; nothing was written."""


class PgProjectStore(OfflineReplay):
    """Reads and writes one project of a shared database. Use `create` or `open`; `close` when done."""

    def __init__(
        self, url: ProjectUrl, db: psycopg.Connection, project_id: int, root: Path, read_only: bool
    ) -> None:
        self.url = url
        self.db: psycopg.Connection | None = db
        self.project_id = project_id
        self.root = root
        self.read_only = read_only
        self.user = url.user
        self.location = url.location
        self.known = KnownRows()
        self.journal = OfflineJournal(journal_path(self.location, self.user))
        self._versions: Versions = {}
        self._staged_versions: list[tuple[tuple[str, Any], tuple[int, str] | None]] = []
        self._read_version: int | None = None
        self._depth = 0
        self._token = uuid.uuid4().hex[:12]
        self._listener: psycopg.Connection | None = None
        self._offline_rows: set[tuple[str, Any]] = set()
        #: Rows whose in-memory state may differ from what this store knows (reloaded on the next read).
        self._unknown: set[tuple[str, Any]] = set()
        #: While replaying: rows the replay wrote, and the highest id of each kind in the journal.
        self._written_in_replay: set[tuple[str, Any]] = set()
        self._journal_ids: dict[str, int] = {}
        self._next_reconnect = 0.0
        self._reconnect_pause = RECONNECT_EVERY_S
        self._reports: list[str] = []
        self._id_block: list[int] = []
        #: Decoded undo steps by seq, with the digest of their stored text.
        self._history_cache: dict[int, tuple[str, HistoryEntry]] = {}

    # -- opening ------------------------------------------------------------------------------------
    @classmethod
    def create(
        cls, url: str, schema: LabelSchema | None = None, data_root: Path | None = None
    ) -> PgProjectStore:
        """Create the project ``url`` names (migrating the database first); frame paths resolve in ``data_root``."""
        parsed = parse_project_url(url)
        migrate(parsed.dsn, parsed.location)
        root = (data_root or Path.cwd()).absolute()
        db = connect(parsed)
        try:
            with db.transaction():
                row = db.execute(
                    "INSERT INTO projects (name, data_root) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING RETURNING id",
                    (parsed.project, str(root)),
                ).fetchone()
                if row is None:
                    raise ProjectError(f"{parsed.location}: already holds a project")
                store = cls(parsed, db, row[0], root, read_only=False)
                store._write_rows([Change("schema", "schema", None, schema or default_schema())], 1)
                db.execute("UPDATE projects SET data_version = 1 WHERE id = %s", (row[0],))
            store.known.commit()
            store._commit_versions()
        except BaseException as error:
            db.close()
            raise as_project_error(parsed.location, error) from error
        return store

    @classmethod
    def open(cls, url: str, read_only: bool = False) -> PgProjectStore:
        """Open the project ``url`` names; raises `ProjectError` when the server or project is missing.

        Steps journaled while a previous session was offline are replayed first.
        """
        parsed = parse_project_url(url)
        if not read_only:
            migrate(parsed.dsn, parsed.location)
        db = connect(parsed)
        try:
            row = db.execute(
                "SELECT id, data_root FROM projects WHERE name = %s", (parsed.project,)
            ).fetchone()
        except pg_errors.UndefinedTable:
            row = None
        except psycopg.Error as error:
            db.close()
            raise as_project_error(parsed.location, error) from error
        if row is None:
            db.close()
            raise ProjectError(
                f"{parsed.location}: no such project in the database; create it with 'annotator new {parsed.location}'"
            )
        store = cls(parsed, db, row[0], Path(row[1]), read_only)
        if not read_only:
            store._listening()  # from now on: notices of others' commits
            if store.journal.steps():
                store._replay_journal()
        return store

    @classmethod
    def exists(cls, url: str) -> bool:
        """True when the project ``url`` names exists (False when the server has no annotator schema)."""
        parsed = parse_project_url(url)
        with connect(parsed) as db:
            try:
                return (
                    db.execute("SELECT 1 FROM projects WHERE name = %s", (parsed.project,)).fetchone()
                    is not None
                )
            except pg_errors.UndefinedTable:
                return False

    @staticmethod
    def url_for(dsn: str, project: str) -> str:
        """The project URL of ``project`` in the database ``dsn``."""
        return join_project_url(dsn, project)

    def close(self) -> None:
        """Close the connections."""
        for connection in (self.db, self._listener):
            if connection is not None:
                connection.close()
        self.db = self._listener = None

    # -- reading ------------------------------------------------------------------------------------
    @contextmanager
    def _snapshot(self) -> Iterator[psycopg.Connection]:
        db = self._online()
        try:
            outermost = db.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            with db.transaction():
                if outermost:
                    db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                yield db
        except (psycopg.Error, ValueError, KeyError, TypeError) as error:
            raise self._failure(error) from error

    def _data_version(self, db: psycopg.Connection, lock: bool = False) -> int:
        suffix = " FOR UPDATE" if lock else ""
        row = db.execute(
            f"SELECT data_version FROM projects WHERE id = %s{suffix}", (self.project_id,)
        ).fetchone()
        if row is None:
            raise ProjectError(f"{self.location}: the project was deleted from the database")
        return int(row[0])

    def load(self) -> Project:
        """Read the whole project into memory."""
        return self.snapshot()[0]

    def snapshot(self) -> tuple[Project, list[HistoryEntry], int]:
        """The whole project and this user's undo history, read as one consistent state."""
        with self._snapshot() as db:
            version = self._data_version(db)
            rows, versions = all_rows(db, self.project_id)
            project = Project(self.root)
            project.load_records(decode_records(rows, AnnotationRows()))
            self.known.replace(rows)  # known only once every row decoded
            entries, index = load_history(
                db, (self.project_id, self.user), self._history_cache, self.location
            )
        self._versions = versions
        self._read_version = version
        return project, entries, index

    def changes_since_read(self, project: Project) -> tuple[list[Change], list[HistoryEntry], int]:
        """What others wrote since this store last read: changes bringing ``project`` up to date."""
        with self._snapshot() as db:
            version = self._data_version(db)
            since = self._read_version
            scope: dict[str, set[Any]] | None
            if since is None:
                scope = None
            else:
                scope = {} if since >= version else logged_keys(db, self.project_id, since)
            if scope is not None:
                for table, key in self._unknown:
                    self.known.rows[table].pop(key, None)
                    scope.setdefault(table, set()).add(key)
            self._unknown.clear()
            if scope is None:
                rows, versions = all_rows(db, self.project_id)
                self._versions = versions
            else:
                rows, versions = rows_for(db, self.project_id, scope)
                for table, keys in scope.items():
                    for key in keys:
                        self._versions.pop((table, key), None)
                self._versions.update(versions)
            changes, differences = changes_between(project, self.known, rows, scope)
            entries, index = load_history(
                db, (self.project_id, self.user), self._history_cache, self.location
            )
            self.known.adopt_all(differences)  # the rows are known once all of them were read
        self._read_version = version
        return changes, entries, index

    def load_history(self) -> tuple[list[HistoryEntry], int]:
        """This user's stored undo history and how many of its steps are done."""
        with self._snapshot() as db:
            return load_history(db, (self.project_id, self.user), self._history_cache, self.location)

    # -- live changes -------------------------------------------------------------------------------
    def changed_elsewhere(self) -> bool:
        """True when another annotator committed to this project since the last read (drains notices).

        While offline this also tries to reconnect; True after a reconnect, whose replay may have changed rows.
        """
        if self.db is None:
            return self._try_reconnect()
        if self._read_version is None:
            return False
        try:
            listener = self._listening()
            foreign = False
            for notice in listener.notifies(timeout=0):
                project, _, token = notice.payload.partition(" ")[0], None, notice.payload.rsplit(" ", 1)[-1]
                if project == str(self.project_id) and token != self._token:
                    foreign = True
            return foreign
        except psycopg.OperationalError as error:
            self._go_offline(error)
            return False

    def _listening(self) -> psycopg.Connection:
        if self._listener is None or self._listener.closed:
            self._listener = connect(self.url)
            self._listener.execute(f"LISTEN {CHANNEL}")
        return self._listener

    def notice_socket(self) -> int | None:
        """The socket that becomes readable when a change notice arrives (None while offline)."""
        if self.db is None:
            return None
        try:
            return self._listening().fileno()
        except psycopg.OperationalError:
            return None

    def take_reports(self) -> list[str]:
        """Messages since the last call: went offline, reconnected, replayed edits, conflicts kept aside."""
        reports, self._reports = self._reports, []
        return reports

    @property
    def offline(self) -> bool:
        """True while the server cannot be reached (steps go to the local journal)."""
        return self.db is None

    # -- writing ------------------------------------------------------------------------------------
    def write(self, changes: Sequence[Change], update: HistoryUpdate) -> None:
        """Write one step, checking each touched row's version; journal it while offline.

        Raises `RecordConflict` (a `ProjectChanged`, nothing written) when someone changed a touched row,
        `LeaseHeld` when a touched frame is leased by someone else.
        """
        if self.read_only:
            raise ProjectError(f"{self.location}: opened read-only")
        if self.db is None and not self._try_reconnect():
            self._journal_step(changes, update)
            return
        try:
            self._commit_step(changes, update, None)
        except RecordConflict as error:
            error.changes = tuple(changes)  # type: ignore[attr-defined]  # what the workspace may retry
            raise
        except psycopg.Error as error:  # lost connection: journal; anything else: one named line
            if not isinstance(error, psycopg.OperationalError) or not self._lost(error):
                raise self._failure(error) from error
            self._go_offline(error)
            self._journal_step(changes, update)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the project's write lock for the block; the writes inside commit together at its end."""
        db = self._online()
        self._depth += 1
        try:
            with db.transaction():
                self._data_version(db, lock=True)
                yield
        except BaseException as error:
            self._depth -= 1
            self._forget_staged()
            if isinstance(error, psycopg.Error):
                raise self._failure(error) from error
            raise
        self._depth -= 1
        if self._depth == 0:
            self.known.commit()
            self._commit_versions()

    def clear_history(self) -> None:
        """Forget this user's undo history (others' stay)."""
        if self.read_only:
            return
        with self._guarded() as db, db.transaction():
            db.execute(
                "DELETE FROM history WHERE project_id = %s AND user_name = %s", (self.project_id, self.user)
            )
            db.execute(
                "DELETE FROM history_position WHERE project_id = %s AND user_name = %s",
                (self.project_id, self.user),
            )

    def _commit_step(
        self,
        changes: Sequence[Change],
        update: HistoryUpdate,
        expected: dict[str, Any] | None,
        ids: Renumbering | None = None,
    ) -> None:
        """One checked write transaction (joins `locked`'s when inside it). With ``ids`` (a replay), new
        records whose ids were taken are renumbered first, under the lock, so nobody takes them meanwhile."""
        db = self._online()
        try:
            with db.transaction():
                version = self._data_version(db, lock=True) + 1
                if ids is not None:
                    self._renumber_taken(db, changes, ids)
                    changes = [renumbered_change(c, ids) for c in changes]
                    update, expected = (
                        renumbered_update(update, ids),
                        renumbered_expected(expected or {}, ids),
                    )
                keys = [row_key(c) for c in changes]
                stored = current_versions(db, self.project_id, keys)
                self._check_versions(changes, stored, expected)
                if update.action in ("undo", "redo"):
                    self._check_own_rows(changes, stored, update.action)
                self._check_leases(db, changes)
                self._write_rows(changes, version)
                write_history(db, (self.project_id, self.user), update)
                db.execute("UPDATE projects SET data_version = %s WHERE id = %s", (version, self.project_id))
                log_writes(db, self.project_id, version, keys)
                db.execute(
                    "SELECT pg_notify(%s, %s)", (CHANNEL, f"{self.project_id} {version} {self._token}")
                )
        except BaseException:
            if self._depth == 0:
                self._forget_staged()
            raise
        if self._depth == 0:
            self.known.commit()
            self._commit_versions()

    def _check_versions(
        self, changes: Sequence[Change], stored: Versions, expected: dict[str, Any] | None
    ) -> None:
        for change in changes:
            key = row_key(change)
            if expected is None:  # a record new to the project in memory must be new to the database too
                want = None if change.before is None else self._versions.get(key, (None,))[0]
            else:
                want = expected.get(slot(key))
                if want == "pending":
                    want = self._versions.get(key, (None,))[0]
            have = stored.get(key)
            if (have[0] if have else None) != want:
                what = f"{change.kind} {change.key}"
                if have is None:
                    problem = f"{what} was deleted by another annotator meanwhile"
                elif want is None:
                    problem = f"{what} was created by {have[1]} meanwhile"
                else:
                    problem = f"{what} was changed by {have[1]} meanwhile"
                raise RecordConflict(
                    f"{self.location}: {problem}; nothing was written, reload and edit again"
                )

    def _check_own_rows(self, changes: Sequence[Change], stored: Versions, action: str) -> None:
        """Undo stays per user: never revert a row another annotator wrote since."""
        for change in changes:
            have = stored.get(row_key(change))
            if have is not None and have[1] != self.user:
                self._unknown.update(
                    row_key(c) for c in changes
                )  # reload them: memory holds the step's values
                raise EditRefused(
                    f"{self.location}: cannot {action}: {change.kind} {change.key} was since edited by {have[1]}; "
                    "undo only reverts your own work"
                )

    def _check_leases(self, db: psycopg.Connection, changes: Sequence[Change]) -> None:
        frames = set()
        for change in changes:
            if change.kind == "frame":
                frames.add(change.key)
            elif change.kind == "annotation":
                frames.add((change.after or change.before).frame_id)
        if not frames:
            return
        for lease in lease_sql.active(db, self.project_id, frames):
            if lease.holder != self.user:
                raise LeaseHeld(lease_sql.held_message(self.location, lease))

    def _write_rows(self, changes: Sequence[Change], version: int) -> None:
        db = self._online()
        who = self.user
        for change in changes:
            kind, key, value = change.kind, change.key, change.after
            target = row_key(change)
            table = TABLE_NAMES[target[0]]
            raw: Any = None
            if value is None:
                if target[0] == "document":
                    db.execute(
                        "DELETE FROM documents WHERE project_id = %s AND kind = %s AND key = %s",
                        (self.project_id, kind, key),
                    )
                else:
                    db.execute(
                        f"DELETE FROM {table} WHERE project_id = %s AND id = %s", (self.project_id, key)
                    )
            elif target[0] == "document":
                raw = _DUMPS(record_to_data(kind, value))
                db.execute(
                    "INSERT INTO documents (project_id, kind, key, data, version, modified_by) VALUES (%s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (project_id, kind, key) DO UPDATE SET data = EXCLUDED.data,"
                    " version = EXCLUDED.version, modified_by = EXCLUDED.modified_by",
                    (self.project_id, kind, key, raw, version, who),
                )
            elif kind == "annotation":
                raw = annotation_to_row(value)
                db.execute(_ANNOTATION_UPSERT, (self.project_id, *raw, version, who))
            elif kind == "frame":
                fields = record_to_data(kind, value)
                pose = fields.pop("pose", None)
                raw = (_DUMPS(fields), None if pose is None else _DUMPS(pose))
                db.execute(
                    "INSERT INTO frames (project_id, id, idx, name, data, pose, version, modified_by)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (project_id, id) DO UPDATE SET"
                    " idx = EXCLUDED.idx, name = EXCLUDED.name, data = EXCLUDED.data, pose = EXCLUDED.pose,"
                    " version = EXCLUDED.version, modified_by = EXCLUDED.modified_by",
                    (self.project_id, key, value.index, value.name, *raw, version, who),
                )
            else:
                raw = (value.class_name, _DUMPS(value.attributes) if value.attributes else None)
                db.execute(
                    "INSERT INTO tracks (project_id, id, class_name, attributes, version, modified_by)"
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (project_id, id) DO UPDATE SET"
                    " class_name = EXCLUDED.class_name, attributes = EXCLUDED.attributes,"
                    " version = EXCLUDED.version, modified_by = EXCLUDED.modified_by",
                    (self.project_id, key, *raw, version, who),
                )
            self.known.stage(target[0], target[1], raw)
            self._staged_versions.append((target, None if value is None else (version, who)))

    def _commit_versions(self) -> None:
        for key, version in self._staged_versions:
            if version is None:
                self._versions.pop(key, None)
            else:
                self._versions[key] = version
        self._staged_versions.clear()

    def _forget_staged(self) -> None:
        self.known.rollback()
        self._staged_versions.clear()

    # -- leases -------------------------------------------------------------------------------------
    def acquire_lease(self, frame_id: int) -> None:
        """Lease ``frame_id`` to this user (renewing an own lease); raises `LeaseHeld` when another holds it."""
        with self._guarded() as db:
            if lease_sql.acquire(db, self.project_id, frame_id, self.user) is None:
                held = lease_sql.active(db, self.project_id, [frame_id])
                if held:
                    raise LeaseHeld(lease_sql.held_message(self.location, held[0]))
                raise LeaseHeld(
                    f"{self.location}: frame {frame_id} is being leased by someone else; try again"
                )

    def renew_leases(self) -> None:
        """Extend this user's leases."""
        with self._guarded() as db:
            lease_sql.renew(db, self.project_id, self.user)

    def release_lease(self, frame_id: int, force: bool = False) -> bool:
        """Release ``frame_id``'s lease (anyone's with ``force``); True when one was released."""
        with self._guarded() as db:
            return lease_sql.release(db, self.project_id, frame_id, None if force else self.user)

    def leases(self) -> list[lease_sql.Lease]:
        """The leases that have not lapsed."""
        with self._guarded() as db:
            return lease_sql.active(db, self.project_id)

    @contextmanager
    def _guarded(self) -> Iterator[psycopg.Connection]:
        db = self._online()
        try:
            yield db
        except psycopg.Error as error:
            raise self._failure(error) from error

    # -- ids ----------------------------------------------------------------------------------------
    def reserve_id(self, kind: str) -> int | None:
        """A new record's id from this session's block of server-reserved ids (`Project.id_source`);
        None while offline (the project's own counters then; a replay renumbers clashes)."""
        if not self._id_block:
            if self.db is None:
                return None
            try:
                with self._guarded() as db:
                    self._id_block = self._next_id_block(db)
            except ProjectError:
                return None
        return self._id_block.pop(0)

    def _next_id_block(self, db: psycopg.Connection) -> list[int]:
        """The next block of ``ID_BLOCK`` ids, above every id the project holds."""
        (start,) = db.execute("SELECT nextval('annotator_id_blocks')").fetchone()
        (top,) = db.execute(
            "SELECT GREATEST((SELECT MAX(id) FROM frames WHERE project_id = %s),"
            " (SELECT MAX(id) FROM tracks WHERE project_id = %s),"
            " (SELECT MAX(id) FROM annotations WHERE project_id = %s))",
            (self.project_id,) * 3,
        ).fetchone()
        if top is not None and start <= top:  # ids made elsewhere (a copied project): jump past them
            db.execute(
                "SELECT setval('annotator_id_blocks', GREATEST(%s, last_value)) FROM annotator_id_blocks",
                (top,),
            )
            (start,) = db.execute("SELECT nextval('annotator_id_blocks')").fetchone()
        return list(range(start, start + ID_BLOCK))

    # -- queries for the CLI ------------------------------------------------------------------------
    def setting(self, name: str) -> Any:
        """A project setting's stored value (None when unset)."""
        with self._guarded() as db:
            row = db.execute(
                "SELECT data FROM documents WHERE project_id = %s AND kind = 'setting' AND key = %s",
                (self.project_id, name),
            ).fetchone()
        return json.loads(row[0]) if row else None

    def frame_statuses(self) -> dict[str, int]:
        """Frame counts by review status."""
        with self._guarded() as db:
            rows = db.execute("SELECT data FROM frames WHERE project_id = %s", (self.project_id,)).fetchall()
        return status_counts(data for (data,) in rows)

    def count_by(self, column: str) -> dict[str, int]:
        """Annotation counts grouped by ``class_name``, ``source``, ``review`` or ``kind``."""
        if column not in ("class_name", "source", "review", "kind"):
            raise ValueError(f"cannot group annotations by {column!r}")
        with self._guarded() as db:
            rows = db.execute(
                f"SELECT {column}, COUNT(*) FROM annotations WHERE project_id = %s GROUP BY {column}",
                (self.project_id,),
            ).fetchall()
        return {key: count for key, count in rows}

    def count(self, table: str) -> int:
        """Number of rows of ``frames``, ``tracks`` or ``annotations``."""
        if table not in ("frames", "tracks", "annotations"):
            raise ValueError(f"unknown table {table!r}")
        query = f"SELECT COUNT(*) FROM {table} WHERE project_id = %s"
        with self._guarded() as db:
            return db.execute(query, (self.project_id,)).fetchone()[0]

    # -- helpers ------------------------------------------------------------------------------------
    def _online(self) -> psycopg.Connection:
        if self.db is None:
            raise ProjectError(
                f"{self.location}: offline (the database cannot be reached); edits are journaled"
            )
        return self.db

    def _lost(self, error: BaseException) -> bool:
        """True when ``error`` means the connection is gone (not a refused statement)."""
        return self.db is None or self.db.closed or self.db.broken

    def _failure(self, error: BaseException) -> ProjectError:
        if isinstance(error, psycopg.OperationalError) and self._lost(error):
            self._go_offline(error)
        return as_project_error(self.location, error)
