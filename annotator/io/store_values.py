"""Values between Python and SQLite for the project store: strings that are not valid UTF-8, and
database failures as one named line."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from annotator.io.errors import ProjectError

logger = logging.getLogger(__name__)


def bindable(value: Any) -> Any:
    """A string SQLite can store: text, or UTF-8 bytes with its lone surrogates (file names that were
    not UTF-8, decoded by Python with ``surrogateescape``) kept, so `text` restores it exactly."""
    if type(value) is not str:
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")
    return value


def text(value: Any) -> Any:
    """Inverse of `bindable`."""
    return value.decode("utf-8", "surrogatepass") if type(value) is bytes else value


def database_error(path: Path, error: BaseException, busy_timeout_s: float = 10.0) -> ProjectError:
    """A database or file-system failure as one named line (busy, disk full, read-only, damaged)."""
    if isinstance(error, ProjectError):
        return error
    text = str(error)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        problem = f"busy: another program held the project for more than {busy_timeout_s:g} s; nothing was written, try again"
    elif "full" in lowered or getattr(error, "errno", None) == 28:
        problem = "the disk is full; nothing was written"
    elif "readonly" in lowered or "read-only" in lowered:
        problem = "read-only: the project cannot be written here"
    else:
        problem = f"database error: {text}"
    return ProjectError(f"{path}: {problem}")
