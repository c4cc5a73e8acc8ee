"""Undo per user in the shared store: each annotator's own steps and position in them."""

from __future__ import annotations

import json
import logging

import psycopg

from annotator.core.model.commands import HistoryEntry, HistoryUpdate
from annotator.core.model.serialize import change_from_data, change_to_data
from annotator.io.store import HISTORY_LIMIT

logger = logging.getLogger(__name__)

_DUMPS = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def history_done(db: psycopg.Connection, scope: tuple[int, str]) -> int:
    """The last done step of the user of ``scope`` (project id, user); 0 when none."""
    row = db.execute(
        "SELECT done FROM history_position WHERE project_id = %s AND user_name = %s", scope
    ).fetchone()
    return int(row[0]) if row else 0


def load_history(
    db: psycopg.Connection, scope: tuple[int, str], cache: dict[int, tuple[str, HistoryEntry]], where: str
) -> tuple[list[HistoryEntry], int]:
    """A user's history and how many steps are done: digests of every step, the full text only of steps not
    in ``cache`` (seq -> (digest, entry); refilled with the steps read)."""
    done = history_done(db, scope)
    digests = db.execute(
        "SELECT seq, md5(label || changes) FROM history WHERE project_id = %s AND user_name = %s"
        " ORDER BY seq DESC LIMIT %s",
        (*scope, HISTORY_LIMIT),
    ).fetchall()
    old = dict(cache)
    cache.clear()
    missing = [seq for seq, digest in digests if old.get(seq, ("",))[0] != digest]
    texts = {}
    if missing:
        rows = db.execute("SELECT seq, label, changes FROM history WHERE seq = ANY(%s)", (missing,))
        texts = {seq: (label, changes) for seq, label, changes in rows}
    entries: list[HistoryEntry] = []
    index = 0
    for seq, digest in reversed(digests):
        entry = old[seq][1] if seq not in texts else None
        try:
            if entry is None:
                label, changes = texts[seq]
                entry = HistoryEntry(label, tuple(change_from_data(c) for c in json.loads(changes)))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            logger.warning("%s: undo step %d is damaged (%s); older steps dropped", where, seq, error)
            entries, index = [], 0
            continue
        cache[seq] = (digest, entry)
        entries.append(entry)
        if seq <= done:
            index = len(entries)
    return entries, index


def write_history(db: psycopg.Connection, scope: tuple[int, str], update: HistoryUpdate) -> None:
    """Record one step's history update for the user of ``scope`` (project id, user)."""
    done = history_done(db, scope)
    entry = update.entry
    if update.action == "push" and entry is not None:
        db.execute(
            "DELETE FROM history WHERE project_id = %s AND user_name = %s AND seq > %s", (*scope, done)
        )
        done = db.execute(
            "INSERT INTO history (project_id, user_name, label, changes) VALUES (%s, %s, %s, %s) RETURNING seq",
            (*scope, entry.label, _DUMPS([change_to_data(c) for c in entry.changes])),
        ).fetchone()[0]
        if done % 64 == 0:
            db.execute(
                "DELETE FROM history WHERE project_id = %s AND user_name = %s AND seq <= (SELECT seq FROM history"
                " WHERE project_id = %s AND user_name = %s ORDER BY seq DESC LIMIT 1 OFFSET %s)",
                (*scope, *scope, HISTORY_LIMIT),
            )
    elif update.action == "merge" and entry is not None:
        db.execute(
            "UPDATE history SET label = %s, changes = %s WHERE seq = %s",
            (entry.label, _DUMPS([change_to_data(c) for c in entry.changes]), done),
        )
    elif update.action in ("undo", "redo"):
        older = update.action == "undo"
        query = "SELECT MAX(seq)" if older else "SELECT MIN(seq)"
        query += " FROM history WHERE project_id = %s AND user_name = %s AND seq " + (
            "< %s" if older else "> %s"
        )
        found = db.execute(query, (*scope, done)).fetchone()[0]
        done = found if found is not None else (0 if older else done)
    db.execute(
        "INSERT INTO history_position (project_id, user_name, done) VALUES (%s, %s, %s)"
        " ON CONFLICT (project_id, user_name) DO UPDATE SET done = EXCLUDED.done",
        (*scope, done),
    )
