"""Connections to the shared store's server, and its failures as one named line."""

from __future__ import annotations

import psycopg

from annotator.io.errors import ProjectError
from annotator.io.pg.url import ProjectUrl

#: Seconds a connection attempt may take (a dead server must not freeze the window for long).
CONNECT_TIMEOUT_S = 3


def connect(url: ProjectUrl) -> psycopg.Connection:
    """An autocommit connection (transactions are explicit blocks); `ProjectError` when it fails."""
    try:
        return psycopg.connect(url.dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.Error as error:
        raise as_project_error(url.location, error) from error


def as_project_error(where: str, error: BaseException) -> ProjectError:
    """A database failure as one named line."""
    if isinstance(error, ProjectError):
        return error
    if isinstance(error, psycopg.OperationalError):
        first = (str(error).strip().splitlines() or ["connection failed"])[-1]
        return ProjectError(f"{where}: cannot reach the database ({first})")
    if isinstance(error, (ValueError, KeyError, TypeError)):
        return ProjectError(f"{where}: damaged project data ({error})")
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return ProjectError(f"{where}: database error: {first}")
