"""Per-frame leases of a shared project: one annotator edits a frame at a time.

A lease is taken when a frame is opened, renewed while it stays open and released when the annotator
moves on; it lapses by itself ``LEASE_SECONDS`` after the last renewal (a crashed window blocks nobody for
long). A lead can force-release anyone's lease. Writes that touch a frame leased by someone else are
refused by the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from annotator.io.errors import ProjectError

if TYPE_CHECKING:
    import psycopg

#: How long a lease lasts without renewal.
LEASE_SECONDS = 90


class LeaseHeld(ProjectError):
    """The frame is leased by another annotator; nothing was written."""


@dataclass(frozen=True)
class Lease:
    """A frame's lease: who holds it and until when (UTC)."""

    frame_id: int
    holder: str
    expires_at: datetime


def acquire(
    db: psycopg.Connection, project_id: int, frame_id: int, user: str, seconds: int = LEASE_SECONDS
) -> Lease | None:
    """Take or renew the lease of ``frame_id`` for ``user``; None when someone else holds it."""
    row = db.execute(
        "INSERT INTO leases (project_id, frame_id, holder, expires_at)"
        " VALUES (%s, %s, %s, now() + make_interval(secs => %s))"
        " ON CONFLICT (project_id, frame_id) DO UPDATE"
        " SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at"
        " WHERE leases.holder = EXCLUDED.holder OR leases.expires_at < now()"
        " RETURNING frame_id, holder, expires_at",
        (project_id, frame_id, user, seconds),
    ).fetchone()
    return Lease(*row) if row else None


def renew(db: psycopg.Connection, project_id: int, user: str, seconds: int = LEASE_SECONDS) -> int:
    """Extend every lease ``user`` holds in the project; the number renewed."""
    cursor = db.execute(
        "UPDATE leases SET expires_at = now() + make_interval(secs => %s)"
        " WHERE project_id = %s AND holder = %s AND expires_at >= now()",
        (seconds, project_id, user),
    )
    return cursor.rowcount


def release(db: psycopg.Connection, project_id: int, frame_id: int, user: str | None) -> bool:
    """Drop the lease of ``frame_id`` (only ``user``'s, or anyone's when ``user`` is None)."""
    if user is None:
        cursor = db.execute(
            "DELETE FROM leases WHERE project_id = %s AND frame_id = %s", (project_id, frame_id)
        )
    else:
        cursor = db.execute(
            "DELETE FROM leases WHERE project_id = %s AND frame_id = %s AND holder = %s",
            (project_id, frame_id, user),
        )
    return cursor.rowcount > 0


def active(db: psycopg.Connection, project_id: int, frames: Iterable[int] | None = None) -> list[Lease]:
    """The leases that have not lapsed (of ``frames`` when given), by frame."""
    query = "SELECT frame_id, holder, expires_at FROM leases WHERE project_id = %s AND expires_at >= now()"
    args: tuple[object, ...] = (project_id,)
    if frames is not None:
        query += " AND frame_id = ANY(%s)"
        args = (project_id, sorted(set(frames)))
    return [Lease(*row) for row in db.execute(query + " ORDER BY frame_id", args)]


def held_message(where: str, lease: Lease) -> str:
    """The one-line refusal for a frame someone else holds."""
    until = lease.expires_at.strftime("%H:%M:%S UTC")
    return (
        f"{where}: frame {lease.frame_id} is leased by {lease.holder} until {until}; "
        f"ask them, or a lead can run 'annotator lease release PROJECT {lease.frame_id} --force'"
    )
