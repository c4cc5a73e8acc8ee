"""Project URLs of the shared store: ``postgresql://[user[:password]@]host[:port]/database/project``.

The last path segment names the project inside the database; everything else is a libpq connection URI
(query parameters such as ``?host=/run/postgresql`` or ``connect_timeout`` pass through). The parameter
``annotator_user`` names the annotator (default: ``$ANNOTATOR_USER``, else the login name) and is not
sent to the server.
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from annotator.io.errors import ProjectError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


@dataclass(frozen=True)
class ProjectUrl:
    """A parsed project URL: the connection string, the project name and the annotator's name."""

    dsn: str
    project: str
    user: str

    @property
    def location(self) -> str:
        """The URL without password or annotator name (for titles and messages)."""
        parts = urlsplit(self.dsn)
        netloc = parts.netloc.rsplit("@", 1)
        host = netloc[-1]
        if len(netloc) == 2:
            host = f"{netloc[0].split(':', 1)[0]}@{host}"
        return urlunsplit((parts.scheme, host, f"{parts.path}/{self.project}", parts.query, ""))


def parse_project_url(url: str) -> ProjectUrl:
    """Split a project URL; raises `ProjectError` naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ProjectError(f"{url}: not a postgresql:// project URL")
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) != 2:
        raise ProjectError(f"{_safe(url)}: expected postgresql://HOST/DATABASE/PROJECT")
    database, project = segments
    if not _NAME.match(project):
        raise ProjectError(f"{_safe(url)}: project name {project!r} must be letters, digits, '_', '.', '-'")
    query = parse_qsl(parts.query, keep_blank_values=True)
    user = next((v for k, v in query if k == "annotator_user"), "") or _default_user()
    query = [(k, v) for k, v in query if k != "annotator_user"]
    dsn = urlunsplit((parts.scheme, parts.netloc, f"/{database}", urlencode(query), ""))
    return ProjectUrl(dsn, project, user)


def join_project_url(dsn: str, project: str) -> str:
    """The project URL of ``project`` in the database ``dsn`` names."""
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"{parts.path.rstrip('/')}/{project}", parts.query, ""))


def _default_user() -> str:
    try:
        return os.environ.get("ANNOTATOR_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "annotator"


def _safe(url: str) -> str:
    """``url`` with any password masked."""
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", url)
