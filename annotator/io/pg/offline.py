"""Working through a dropped connection: the shared store's offline half (a mixin of `PgProjectStore`).

While the server cannot be reached, each step goes to the local journal (`annotator.io.pg.journal`) with
the row versions it was based on and is shown as done. Reconnecting (first after ``RECONNECT_EVERY_S``,
then less and less often) replays the journal in order: records created offline whose ids others took
meanwhile are renumbered (`annotator.io.pg.renumber`), and a step that conflicts is kept aside in the
conflicts file and reported.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import psycopg

from annotator.core.model.commands import HistoryUpdate
from annotator.core.model.project import Change
from annotator.io.errors import ProjectError
from annotator.io.pg.connection import connect
from annotator.io.pg.journal import JournalStep
from annotator.io.pg.renumber import RENUMBERED_KINDS, Renumbering, renumbered_change
from annotator.io.pg.rows import TABLE_NAMES, current_versions, row_key, slot

if TYPE_CHECKING:
    from annotator.io.pg.store import PgProjectStore

    _Base = PgProjectStore
else:
    _Base = object

logger = logging.getLogger(__name__)

#: Seconds before the first reconnection attempt; the pause doubles after each failed one ...
RECONNECT_EVERY_S = 2.0
#: ... up to this (an attempt at an unreachable host blocks for the connect timeout).
RECONNECT_AT_MOST_S = 60.0


class OfflineReplay(_Base):
    """Journal steps while offline; reconnect and replay them."""

    def _journal_step(self, changes: Sequence[Change], update: HistoryUpdate) -> None:
        expected: dict[str, Any] = {}
        for change in changes:
            key = row_key(change)
            name = slot(key)
            if name not in expected:
                expected[name] = (
                    "pending" if key in self._offline_rows else self._versions.get(key, (None,))[0]
                )
        self.journal.append(changes, update, expected)
        self._offline_rows.update(row_key(c) for c in changes)

    def _go_offline(self, error: BaseException) -> None:
        logger.warning("%s: connection lost (%s); edits go to %s", self.location, error, self.journal.path)
        for connection in (self.db, self._listener):
            if connection is not None:
                connection.close()
        self.db = self._listener = None
        self._reconnect_pause = RECONNECT_EVERY_S
        self._next_reconnect = time.monotonic() + RECONNECT_EVERY_S
        self._reports.append(
            f"{self.location}: lost the connection to the database; edits are kept in {self.journal.path} "
            "and sent when it is back"
        )

    def _try_reconnect(self) -> bool:
        """Reconnect (after a pause that doubles with each failure) and replay the journal; True when
        online again."""
        if time.monotonic() < self._next_reconnect:
            return False
        try:
            self.db = connect(self.url)
            self._listening()
        except (ProjectError, psycopg.OperationalError):
            self.db = self._listener = None
            self._reconnect_pause = min(2 * self._reconnect_pause, RECONNECT_AT_MOST_S)
            self._next_reconnect = time.monotonic() + self._reconnect_pause
            return False
        self._replay_journal()
        return self.db is not None

    def reconnect(self) -> bool:
        """Try to reconnect now (ignoring the retry pause); True when online."""
        if self.db is not None:
            return True
        self._next_reconnect = 0.0
        return self._try_reconnect()

    def _replay_journal(self) -> None:
        steps = self.journal.steps()
        replayed, conflicts = 0, 0
        spoilt: set[tuple[str, Any]] = set()
        ids: Renumbering = {}
        self._written_in_replay = set()
        self._journal_ids = {}
        for step in steps:
            for change in step.changes:
                if change.kind in RENUMBERED_KINDS:
                    self._journal_ids[change.kind] = max(self._journal_ids.get(change.kind, 0), change.key)
        for position, step in enumerate(steps):
            keys = {row_key(c) for c in step.changes}
            reason = (
                "builds on an offline edit that conflicted" if keys & spoilt else self._replay_step(step, ids)
            )
            if reason is None:
                replayed += 1
                self._written_in_replay |= {(c.kind, ids.get((c.kind, c.key), c.key)) for c in step.changes}
            elif self.db is None:  # lost again mid-replay: keep the rest for the next time
                self.journal.replace(steps[position:])
                return
            else:
                conflicts += 1
                spoilt |= keys
                self.journal.keep_conflict(step, reason)
                logger.warning("%s: offline edit not replayed: %s", self.location, reason)
        self.journal.clear()
        self._offline_rows.clear()
        if steps:
            kept = f", {conflicts} conflicted (kept in {self.journal.conflicts_path})" if conflicts else ""
            renumbered = f", {len(ids)} new records renumbered (their ids were taken)" if ids else ""
            self._reports.append(
                f"{self.location}: back online; replayed {replayed} offline edits{renumbered}{kept}"
            )

    def _replay_step(self, step: JournalStep, ids: Renumbering) -> str | None:
        """Write one journaled step (new records whose ids were taken get new ones); the reason when it
        conflicts, None when written."""
        try:
            self._commit_step(step.changes, step.update, step.expected, ids)
        except ProjectError as error:
            return str(error)
        except psycopg.OperationalError as error:
            self._go_offline(error)
            return "connection lost again"
        return None

    def _renumber_taken(self, db: psycopg.Connection, originals: Sequence[Change], ids: Renumbering) -> None:
        """Give the records a journaled step creates new ids where theirs are taken in the database."""
        created = [
            (original, renumbered_change(original, ids))
            for original in originals
            if original.kind in RENUMBERED_KINDS and original.before is None and original.after is not None
        ]
        created = [(o, c) for o, c in created if (c.kind, c.key) not in self._written_in_replay]
        if not created:
            return
        stored = current_versions(db, self.project_id, [(c.kind, c.key) for _, c in created])
        for original, change in created:
            if (change.kind, change.key) not in stored:
                continue
            (top,) = db.execute(
                f"SELECT COALESCE(MAX(id), 0) FROM {TABLE_NAMES[change.kind]} WHERE project_id = %s",
                (self.project_id,),
            ).fetchone()
            used = [new for (kind, _), new in ids.items() if kind == change.kind]
            fresh = max([top, *used, self._journal_ids.get(change.kind, 0)]) + 1  # clear of later steps too
            ids[(original.kind, original.key)] = fresh
            self._unknown.update({(change.kind, change.key), (change.kind, fresh)})
