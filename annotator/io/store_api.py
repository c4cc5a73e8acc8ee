"""The project store interface the workspace uses, and where a project's location says to open it.

Two stores implement it: `annotator.io.store.ProjectStore` (one SQLite file in the project directory,
the embedded default) and `annotator.io.pg.store.PgProjectStore` (a project in a shared PostgreSQL
database, for teams). A location is either a directory or a URL ``postgresql://[user@]host[:port]/db/project``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from annotator.core.model.commands import HistoryEntry, HistoryUpdate
from annotator.core.model.project import Change, Project
from annotator.core.model.schema import LabelSchema

#: URL schemes of the shared (PostgreSQL) store.
SHARED_SCHEMES = ("postgresql://", "postgres://")

Location = Path | str


@runtime_checkable
class Store(Protocol):
    """What the workspace and the CLI need of a project store."""

    root: Path
    read_only: bool

    def snapshot(self) -> tuple[Project, list[HistoryEntry], int]:
        """The whole project, its undo history and how many steps of it are done, read consistently."""

    def load(self) -> Project:
        """Read the whole project into memory."""

    def load_history(self) -> tuple[list[HistoryEntry], int]:
        """The stored undo history and how many of its steps are done."""

    def changes_since_read(self, project: Project) -> tuple[list[Change], list[HistoryEntry], int]:
        """What other writers changed since this store last read or wrote, and the undo history."""

    def changed_elsewhere(self) -> bool:
        """True when another writer changed the project since this store last read or wrote it."""

    def clear_history(self) -> None:
        """Forget the stored undo history."""

    def write(self, changes: Sequence[Change], update: HistoryUpdate) -> None:
        """Write one step; raises `ProjectChanged` (writing nothing) when it conflicts with another writer."""

    def locked(self) -> AbstractContextManager[None]:
        """Hold the project's write lock for a block (a reload and re-run)."""

    def setting(self, name: str) -> Any:
        """A project setting's stored value (None when unset)."""

    def frame_statuses(self) -> dict[str, int]:
        """Frame counts by review status."""

    def count(self, table: str) -> int:
        """Number of rows of ``frames``, ``tracks`` or ``annotations``."""

    def count_by(self, column: str) -> dict[str, int]:
        """Annotation counts grouped by ``class_name``, ``source``, ``review`` or ``kind``."""

    def close(self) -> None:
        """Release the connection."""


@runtime_checkable
class SharedStore(Store, Protocol):
    """A store several annotators use at once: frame leases, live change notices, an offline journal."""

    user: str
    location: str

    def acquire_lease(self, frame_id: int) -> None:
        """Lease a frame to this user (renews an own lease); raises `LeaseHeld` when another user holds it."""

    def renew_leases(self) -> None:
        """Extend this user's leases (call well within the lease time)."""

    def release_lease(self, frame_id: int, force: bool = False) -> bool:
        """Give a frame's lease back (``force``: whoever holds it, for a lead); True when one was held."""

    def leases(self) -> list[Any]:
        """The frame leases that have not lapsed (frame_id, holder, expires_at)."""

    def reserve_id(self, kind: str) -> int | None:
        """An id for a new record that no other annotator gets (None: use the project's counters)."""

    def take_reports(self) -> list[str]:
        """Messages for the user since the last call (offline, reconnected, replay conflicts)."""


def is_shared_location(location: Location) -> bool:
    """True when ``location`` names a project in a shared (PostgreSQL) store."""
    return isinstance(location, str) and location.startswith(SHARED_SCHEMES)


def project_location(text: str) -> Location:
    """An argparse type: a store URL stays text, anything else is a directory path."""
    return text if is_shared_location(text) else Path(text)


def location_name(location: Location) -> str:
    """A short name for titles and messages: the directory name or the URL's project name."""
    return (
        str(location).rstrip("/").rsplit("/", 1)[-1] if is_shared_location(location) else Path(location).name
    )


def open_store(location: Location, read_only: bool = False) -> Store:
    """Open the project at ``location`` (a directory or a store URL); raises `ProjectError`."""
    if is_shared_location(location):
        from annotator.io.pg.store import PgProjectStore  # psycopg only when a shared store is used

        return PgProjectStore.open(str(location), read_only=read_only)
    from annotator.io.store import ProjectStore

    return ProjectStore.open(location, read_only=read_only)


def create_store(
    location: Location, schema: LabelSchema | None = None, data_root: Path | None = None
) -> Store:
    """Create a project at ``location``; a shared project resolves relative frame paths in ``data_root``."""
    if is_shared_location(location):
        from annotator.io.pg.store import PgProjectStore

        return PgProjectStore.create(str(location), schema, data_root)
    from annotator.io.store import ProjectStore

    return ProjectStore.create(location, schema)


def project_exists(location: Location) -> bool:
    """True when ``location`` holds a project."""
    if is_shared_location(location):
        from annotator.io.pg.store import PgProjectStore

        return PgProjectStore.exists(str(location))
    from annotator.io.store import is_project

    return is_project(location)
